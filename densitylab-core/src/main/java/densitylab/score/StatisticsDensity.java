package densitylab.score;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The density of per-image statistic vectors: each statistic standardised by its mean and standard deviation, then a
 * Gaussian mixture with full covariances fitted by EM from k-means++ starts, the number of components chosen by the
 * Bayesian information criterion (the candidates fitted in parallel).
 */
public final class StatisticsDensity {
    /** Added to every covariance's diagonal (in standardised units) so that no component collapses. */
    static final double RIDGE = 1e-4;
    private static final int EM_ITERATIONS = 200;
    private static final double TOLERANCE = 1e-7;

    private final double[] centre;
    private final double[] scale;
    private final double[] logWeights;
    private final double[][] means;
    /** Lower-triangular Cholesky factors of the covariances. */
    private final double[][][] chol;
    private final double[] logNorm;
    private final double bic;

    private StatisticsDensity(double[] centre, double[] scale, double[] weights, double[][] means, double[][][] covs, double bic) {
        int d = centre.length;
        this.centre = centre;
        this.scale = scale;
        this.means = means;
        this.bic = bic;
        int k = weights.length;
        this.logWeights = new double[k];
        this.chol = new double[k][][];
        this.logNorm = new double[k];
        for (int j = 0; j < k; j++) {
            logWeights[j] = Math.log(weights[j]);
            chol[j] = cholesky(covs[j]);
            double logDet = 0;
            for (int i = 0; i < d; i++) {
                logDet += 2 * Math.log(chol[j][i][i]);
            }
            logNorm[j] = -0.5 * (d * Math.log(2 * Math.PI) + logDet);
        }
    }

    /**
     * Fits mixtures of 1..maxComponents components to the rows of x (n images x d statistics) and keeps the one of
     * lowest BIC.
     *
     * @throws IllegalArgumentException for fewer rows than 2 d + 2, or a non-finite statistic
     */
    public static StatisticsDensity fit(double[][] x, int maxComponents, long seed) {
        int n = x.length;
        int d = n == 0 ? 0 : x[0].length;
        if (d == 0 || n < 2 * d + 2) {
            throw new IllegalArgumentException("a density of " + d + " statistics needs at least " + (2 * d + 2)
                    + " fitting images, got " + n);
        }
        double[] centre = new double[d];
        double[] scale = new double[d];
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                if (!Double.isFinite(row[i])) {
                    throw new IllegalArgumentException("statistic " + i + " is not finite for a fitting image: " + row[i]);
                }
                centre[i] += row[i] / n;
            }
        }
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                scale[i] += (row[i] - centre[i]) * (row[i] - centre[i]) / n;
            }
        }
        for (int i = 0; i < d; i++) {
            scale[i] = Math.sqrt(scale[i]) > 1e-12 ? Math.sqrt(scale[i]) : 1;
        }
        double[][] z = new double[n][];
        for (int r = 0; r < n; r++) {
            z[r] = standardise(x[r], centre, scale);
        }
        // each k is fitted on its own seed, so fitting them in parallel gives the same mixture as one after another
        List<StatisticsDensity> fits = java.util.stream.IntStream.rangeClosed(1, Math.max(1, Math.min(maxComponents, n / (2 * d + 2))))
                .parallel().mapToObj(k -> em(z, k, centre, scale, seed + k)).toList();
        StatisticsDensity best = null;
        for (StatisticsDensity m : fits) { // the fewest components among equal BICs
            if (best == null || m.bic < best.bic) {
                best = m;
            }
        }
        return best;
    }

    /** The number of statistics. */
    public int dimensions() {
        return centre.length;
    }

    /** The fit as JSON-ready values: centre, scale, weights, means, the covariances' Cholesky factors, BIC. */
    public java.util.Map<String, Object> toMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("centre", list(centre));
        m.put("scale", list(scale));
        double[] w = new double[logWeights.length];
        for (int j = 0; j < w.length; j++) {
            w[j] = Math.exp(logWeights[j]);
        }
        m.put("weights", list(w));
        m.put("means", java.util.Arrays.stream(means).map(StatisticsDensity::list).toList());
        m.put("cholesky", java.util.Arrays.stream(chol).map(l -> java.util.Arrays.stream(l).map(StatisticsDensity::list).toList()).toList());
        m.put("bic", bic);
        return m;
    }

    /**
     * The fit {@link #toMap} described.
     *
     * @throws IllegalArgumentException for missing or inconsistent entries
     */
    public static StatisticsDensity fromMap(java.util.Map<?, ?> m) {
        try {
            double[] centre = vector(m.get("centre"));
            double[] scale = vector(m.get("scale"));
            double[] w = vector(m.get("weights"));
            java.util.List<?> mu = (java.util.List<?>) m.get("means");
            java.util.List<?> ch = (java.util.List<?>) m.get("cholesky");
            int d = centre.length;
            int k = w.length;
            if (scale.length != d || mu.size() != k || ch.size() != k) {
                throw new IllegalArgumentException("sizes disagree");
            }
            double[][] means = new double[k][];
            double[][][] covs = new double[k][d][d];
            for (int j = 0; j < k; j++) {
                means[j] = vector(mu.get(j));
                java.util.List<?> rows = (java.util.List<?>) ch.get(j);
                double[][] l = new double[d][];
                for (int a = 0; a < d; a++) {
                    l[a] = vector(rows.get(a));
                }
                for (int a = 0; a < d; a++) { // the covariance back from its factor: L L^T
                    for (int b = 0; b < d; b++) {
                        double s = 0;
                        for (int c = 0; c < d; c++) {
                            s += l[a][c] * l[b][c];
                        }
                        covs[j][a][b] = s;
                    }
                }
                if (means[j].length != d) {
                    throw new IllegalArgumentException("a mean of " + means[j].length + " dimensions for " + d);
                }
            }
            return new StatisticsDensity(centre, scale, w, means, covs, ((Number) m.get("bic")).doubleValue());
        } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("a statistics density needs centre, scale, weights, means, cholesky and bic: " + e, e);
        }
    }

    /** v as a list of numbers, for a fitted score's JSON state. */
    static java.util.List<Double> list(double[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }

    /** A list of numbers from a fitted score's JSON state as an array. */
    static double[] vector(Object o) {
        java.util.List<?> l = (java.util.List<?>) o;
        double[] v = new double[l.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) l.get(i)).doubleValue();
        }
        return v;
    }

    /** The number of mixture components BIC chose. */
    public int components() {
        return logWeights.length;
    }

    /** The Bayesian information criterion of the fit (lower is better). */
    public double bic() {
        return bic;
    }

    /** log density of each row of x in the statistics' own units (the standardisation's Jacobian included). */
    public double[] logDensity(double[][] x) {
        double logJacobian = 0;
        for (double s : scale) {
            logJacobian -= Math.log(s);
        }
        double[] out = new double[x.length];
        for (int r = 0; r < x.length; r++) {
            out[r] = logDensityStandardised(standardise(x[r], centre, scale)) + logJacobian;
        }
        return out;
    }

    private double logDensityStandardised(double[] z) {
        int k = logWeights.length;
        double[] lp = new double[k];
        for (int j = 0; j < k; j++) {
            lp[j] = logWeights[j] + logGaussian(z, means[j], chol[j], logNorm[j]);
        }
        return logSumExp(lp);
    }

    private static double[] standardise(double[] row, double[] centre, double[] scale) {
        double[] z = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            z[i] = (row[i] - centre[i]) / scale[i];
        }
        return z;
    }

    /** EM for k components from k-means++ starting means, unit covariances and equal weights. */
    private static StatisticsDensity em(double[][] z, int k, double[] centre, double[] scale, long seed) {
        int n = z.length;
        int d = z[0].length;
        double[][] mu = kMeansPlusPlus(z, k, new SplittableRandom(seed));
        double[][][] cov = new double[k][d][d];
        double[] w = new double[k];
        for (int j = 0; j < k; j++) {
            w[j] = 1.0 / k;
            for (int i = 0; i < d; i++) {
                cov[j][i][i] = 1;
            }
        }
        double[][] resp = new double[n][k];
        double previous = Double.NEGATIVE_INFINITY;
        double ll = 0;
        for (int it = 0; it < EM_ITERATIONS; it++) {
            double[][][] ch = new double[k][][];
            double[] norm = new double[k];
            for (int j = 0; j < k; j++) {
                ch[j] = cholesky(cov[j]);
                double logDet = 0;
                for (int i = 0; i < d; i++) {
                    logDet += 2 * Math.log(ch[j][i][i]);
                }
                norm[j] = -0.5 * (d * Math.log(2 * Math.PI) + logDet);
            }
            ll = 0;
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < k; j++) {
                    resp[r][j] = Math.log(w[j]) + logGaussian(z[r], mu[j], ch[j], norm[j]);
                }
                double lse = logSumExp(resp[r]);
                ll += lse;
                for (int j = 0; j < k; j++) {
                    resp[r][j] = Math.exp(resp[r][j] - lse);
                }
            }
            if (ll - previous < TOLERANCE * Math.abs(ll)) {
                break;
            }
            previous = ll;
            for (int j = 0; j < k; j++) {
                double nj = 1e-10;
                double[] m = new double[d];
                for (int r = 0; r < n; r++) {
                    nj += resp[r][j];
                    for (int i = 0; i < d; i++) {
                        m[i] += resp[r][j] * z[r][i];
                    }
                }
                for (int i = 0; i < d; i++) {
                    m[i] /= nj;
                }
                double[][] c = new double[d][d];
                for (int r = 0; r < n; r++) {
                    double g = resp[r][j];
                    for (int a = 0; a < d; a++) {
                        double da = z[r][a] - m[a];
                        for (int b = 0; b <= a; b++) {
                            c[a][b] += g * da * (z[r][b] - m[b]);
                        }
                    }
                }
                for (int a = 0; a < d; a++) {
                    for (int b = 0; b <= a; b++) {
                        c[a][b] /= nj;
                        c[b][a] = c[a][b];
                    }
                    c[a][a] += RIDGE;
                }
                w[j] = nj / n;
                mu[j] = m;
                cov[j] = c;
            }
        }
        double params = (k - 1) + k * d + k * d * (d + 1) / 2.0;
        double bic = -2 * ll + params * Math.log(n);
        return new StatisticsDensity(centre, scale, w, mu, cov, bic);
    }

    private static double[][] kMeansPlusPlus(double[][] z, int k, SplittableRandom rng) {
        int n = z.length;
        double[][] mu = new double[k][];
        mu[0] = z[rng.nextInt(n)].clone();
        double[] dist = new double[n];
        Arrays.fill(dist, Double.POSITIVE_INFINITY);
        for (int j = 1; j < k; j++) {
            double total = 0;
            for (int r = 0; r < n; r++) {
                dist[r] = Math.min(dist[r], squared(z[r], mu[j - 1]));
                total += dist[r];
            }
            double u = rng.nextDouble() * total;
            int pick = n - 1;
            for (int r = 0; r < n; r++) {
                u -= dist[r];
                if (u <= 0) {
                    pick = r;
                    break;
                }
            }
            mu[j] = z[pick].clone();
        }
        return mu;
    }

    private static double squared(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }

    /** log N(z; mu, L L^T) with L lower-triangular and logNorm = -(d log 2 pi + log det)/2. */
    static double logGaussian(double[] z, double[] mu, double[][] l, double logNorm) {
        int d = z.length;
        double[] y = new double[d]; // solve L y = z - mu
        double q = 0;
        for (int i = 0; i < d; i++) {
            double v = z[i] - mu[i];
            for (int j = 0; j < i; j++) {
                v -= l[i][j] * y[j];
            }
            y[i] = v / l[i][i];
            q += y[i] * y[i];
        }
        return logNorm - 0.5 * q;
    }

    /** The lower-triangular L with L L^T = a (a symmetric positive definite). */
    static double[][] cholesky(double[][] a) {
        int d = a.length;
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int m = 0; m < j; m++) {
                    s -= l[i][m] * l[j][m];
                }
                if (i == j) {
                    l[i][i] = Math.sqrt(Math.max(s, 1e-12));
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        return l;
    }

    private static double logSumExp(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double s = 0;
        for (double x : v) {
            s += Math.exp(x - max);
        }
        return max + Math.log(s);
    }
}
