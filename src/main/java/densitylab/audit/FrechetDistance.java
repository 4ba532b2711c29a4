package densitylab.audit;

/**
 * The Frechet distance between Gaussians fitted to two sets of features (the FID formula, here in the audit's own
 * feature space): |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2). Computed in double with a symmetric
 * eigendecomposition (cyclic Jacobi), so it needs no matrix square root of a non-symmetric product. Like FID it
 * depends on the number of rows: compare it with the same number for two real sets of the same sizes.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /**
     * The distance between Gaussians fitted (mean, unbiased covariance) to the rows of a and b.
     *
     * @throws IllegalArgumentException when a set has fewer than 2 rows or the spaces differ
     */
    public static double of(Features a, Features b) {
        a.checkComparable(b);
        if (a.count() < 2 || b.count() < 2) {
            throw new IllegalArgumentException("the Frechet distance needs at least 2 rows in each set");
        }
        double[] m1 = mean(a);
        double[] m2 = mean(b);
        return between(m1, covariance(a, m1), m2, covariance(b, m2));
    }

    /** The distance between N(mu1, s1) and N(mu2, s2); s1 and s2 symmetric positive semi-definite. */
    public static double between(double[] mu1, double[][] s1, double[] mu2, double[][] s2) {
        int d = mu1.length;
        double dist = 0;
        for (int i = 0; i < d; i++) {
            dist += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + s1[i][i] + s2[i][i];
        }
        double[][] root1 = sqrtm(s1);
        double[][] inner = multiply(multiply(root1, s2), root1);
        symmetrize(inner);
        double trace = 0;
        for (double v : symmetricEigen(inner).values) {
            trace += Math.sqrt(Math.max(0, v));
        }
        return dist - 2 * trace;
    }

    static double[] mean(Features f) {
        int d = f.dims();
        double[] m = new double[d];
        float[] v = f.values();
        for (int i = 0; i < f.count(); i++) {
            for (int j = 0; j < d; j++) {
                m[j] += v[i * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            m[j] /= f.count();
        }
        return m;
    }

    static double[][] covariance(Features f, double[] mean) {
        int d = f.dims();
        double[][] c = new double[d][d];
        double[] row = new double[d];
        float[] v = f.values();
        for (int i = 0; i < f.count(); i++) {
            for (int j = 0; j < d; j++) {
                row[j] = v[i * d + j] - mean[j];
            }
            for (int j = 0; j < d; j++) {
                double rj = row[j];
                double[] cj = c[j];
                for (int k = j; k < d; k++) {
                    cj[k] += rj * row[k];
                }
            }
        }
        for (int j = 0; j < d; j++) {
            for (int k = j; k < d; k++) {
                c[j][k] /= f.count() - 1;
                c[k][j] = c[j][k];
            }
        }
        return c;
    }

    /** The symmetric square root V diag(sqrt(max(l, 0))) V^T. */
    static double[][] sqrtm(double[][] s) {
        Eigen e = symmetricEigen(s);
        int d = s.length;
        double[][] out = new double[d][d];
        for (int k = 0; k < d; k++) {
            double r = Math.sqrt(Math.max(0, e.values[k]));
            for (int i = 0; i < d; i++) {
                double vik = e.vectors[i][k] * r;
                for (int j = 0; j < d; j++) {
                    out[i][j] += vik * e.vectors[j][k];
                }
            }
        }
        return out;
    }

    private static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        int m = b[0].length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < b.length; k++) {
                double aik = a[i][k];
                for (int j = 0; j < m; j++) {
                    c[i][j] += aik * b[k][j];
                }
            }
        }
        return c;
    }

    private static void symmetrize(double[][] m) {
        for (int i = 0; i < m.length; i++) {
            for (int j = i + 1; j < m.length; j++) {
                double v = 0.5 * (m[i][j] + m[j][i]);
                m[i][j] = v;
                m[j][i] = v;
            }
        }
    }

    /** Eigenvalues and eigenvectors (columns of vectors) of a symmetric matrix. */
    record Eigen(double[] values, double[][] vectors) {
    }

    /** Cyclic Jacobi rotations until the off-diagonal mass is negligible next to the diagonal. */
    static Eigen symmetricEigen(double[][] input) {
        int n = input.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = input[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < n; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < n; j++) {
                    off += a[i][j] * a[i][j];
                }
            }
            if (off <= 1e-30 * Math.max(diag, Double.MIN_NORMAL) || off == 0) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p][q];
                    if (apq == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = a[i][i];
        }
        return new Eigen(values, v);
    }
}
