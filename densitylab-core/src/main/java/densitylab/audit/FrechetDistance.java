package densitylab.audit;

/**
 * The Frechet distance between Gaussians fitted to two sets of features (the FID formula, here in the audit's own
 * feature space): |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2). Computed in double with a symmetric
 * eigendecomposition, so it needs no matrix square root of a non-symmetric product. Like FID it
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

    /**
     * EJML's symmetric eigendecomposition (tridiagonal QR: O(n^3) once, not per sweep, so 1,728 pixel dimensions of
     * CIFAR take seconds).
     *
     * @throws IllegalStateException when it does not converge
     */
    static Eigen symmetricEigen(double[][] input) {
        int n = input.length;
        org.ejml.data.DMatrixRMaj m = new org.ejml.data.DMatrixRMaj(input);
        org.ejml.interfaces.decomposition.EigenDecomposition_F64<org.ejml.data.DMatrixRMaj> eig =
                org.ejml.dense.row.factory.DecompositionFactory_DDRM.eig(n, true, true);
        if (!eig.decompose(m)) {
            throw new IllegalStateException("the eigendecomposition of a " + n + "x" + n + " covariance did not converge");
        }
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int k = 0; k < n; k++) {
            values[k] = eig.getEigenvalue(k).getReal();
            org.ejml.data.DMatrixRMaj v = eig.getEigenVector(k);
            for (int i = 0; i < n; i++) {
                vectors[i][k] = v == null ? 0 : v.get(i, 0);
            }
        }
        return new Eigen(values, vectors);
    }
}
