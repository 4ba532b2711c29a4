package densitylab.model.classic;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.nn.Dequantize;
import densitylab.nn.ModelFiles;
import densitylab.model.Shapes;
import densitylab.nn.Units;
import densitylab.io.Progress;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A mixture of K Gaussians with diagonal covariances on dequantized pixels, fitted by EM
 * (Dempster et al. 1977) from a k-means++ start, with variances floored at the dequantization noise's.
 */
public final class GaussianMixture implements DensityModel {
    private final int[] shape;
    private final double[] logWeights; // K
    private final double[] means;      // K x D
    private final double[] vars;       // K x D

    GaussianMixture(int[] shape, double[] logWeights, double[] means, double[] vars) {
        this.shape = shape.clone();
        this.logWeights = logWeights;
        this.means = means;
        this.vars = vars;
    }

    /** The result of a fit: the model and the mean training log-density (nats per image) after each EM step. */
    public record Fit(GaussianMixture model, double[] trace) {
    }

    /**
     * Fits k components by at most iterations EM steps (stopping when the mean log-density gains less than
     * 1e-4 nats per dimension) to one seeded dequantization of the images.
     */
    public static Fit fit(ImageSet train, int k, int iterations, long seed) {
        int n = train.size();
        int d = train.dims();
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("gmm components must be in 1.." + n + ", got " + k);
        }
        float[] y = Dequantize.uniform(train, seed);
        GaussianMixture m = init(train.shape(), y, n, d, k, new Random(new SplittableRandom(seed).nextLong()));
        double[] trace = new double[iterations];
        int done = 0;
        double[] resp = new double[n * k];
        try (Progress pb = Progress.bar("gmm EM", iterations)) {
            for (int it = 0; it < iterations; it++) {
                double ll = m.eStep(y, n, resp);
                trace[done++] = ll;
                pb.step();
                pb.setExtraMessage(String.format("%.2f bits/dim", -(ll - d * Units.LOG_256) / (d * Math.log(2))));
                if (it > 0 && ll - trace[it - 1] < 1e-4 * d) {
                    break;
                }
                m = m.mStep(y, n, resp);
            }
        }
        return new Fit(m, java.util.Arrays.copyOf(trace, done));
    }

    /** k-means++ seeding of the means; shared variance = the data's per-pixel variance; equal weights. */
    private static GaussianMixture init(int[] shape, float[] y, int n, int d, int k, Random rng) {
        double[] means = new double[k * d];
        double[] dist = new double[n];
        java.util.Arrays.fill(dist, Double.POSITIVE_INFINITY);
        int first = rng.nextInt(n);
        for (int c = 0; c < k; c++) {
            int pick = first;
            if (c > 0) {
                double total = 0;
                for (double v : dist) {
                    total += v;
                }
                double r = rng.nextDouble() * total;
                for (pick = 0; pick < n - 1 && (r -= dist[pick]) > 0; pick++) {
                    // walk to the chosen image
                }
            }
            for (int j = 0; j < d; j++) {
                means[c * d + j] = y[pick * d + j];
            }
            int cc = c;
            IntStream.range(0, n).parallel().forEach(i -> {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    double z = y[i * d + j] - means[cc * d + j];
                    s += z * z;
                }
                dist[i] = Math.min(dist[i], s);
            });
        }
        double[] var = new double[d];
        double[] mu = Dequantize.columnMeans(y, n, d);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double z = y[i * d + j] - mu[j];
                var[j] += z * z;
            }
        }
        double[] vars = new double[k * d];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < d; j++) {
                vars[c * d + j] = Math.max(DiagonalGaussian.MIN_VARIANCE, var[j] / n);
            }
        }
        double[] lw = new double[k];
        java.util.Arrays.fill(lw, -Math.log(k));
        return new GaussianMixture(shape, lw, means, vars);
    }

    /** Per-component log(weight) + log N(y_i) for image i into out (length K). */
    private void jointLogDensities(float[] y, int offset, double[] constants, double[] out) {
        int k = logWeights.length;
        int d = shape[0] * shape[1] * shape[2];
        for (int c = 0; c < k; c++) {
            double s = constants[c];
            int base = c * d;
            for (int j = 0; j < d; j++) {
                double z = y[offset + j] - means[base + j];
                s -= z * z / (2 * vars[base + j]);
            }
            out[c] = s;
        }
    }

    private double[] componentConstants() {
        int k = logWeights.length;
        int d = shape[0] * shape[1] * shape[2];
        double[] c = new double[k];
        for (int m = 0; m < k; m++) {
            double s = logWeights[m];
            for (int j = 0; j < d; j++) {
                s -= 0.5 * Math.log(2 * Math.PI * vars[m * d + j]);
            }
            c[m] = s;
        }
        return c;
    }

    private static double logSumExp(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        double s = 0;
        for (double x : v) {
            s += Math.exp(x - max);
        }
        return max + Math.log(s);
    }

    /** Responsibilities into resp (n x K); returns the mean log-density. */
    private double eStep(float[] y, int n, double[] resp) {
        int k = logWeights.length;
        int d = shape[0] * shape[1] * shape[2];
        double[] constants = componentConstants();
        return IntStream.range(0, n).parallel().mapToDouble(i -> {
            double[] l = new double[k];
            jointLogDensities(y, i * d, constants, l);
            double lse = logSumExp(l);
            for (int c = 0; c < k; c++) {
                resp[i * k + c] = Math.exp(l[c] - lse);
            }
            return lse;
        }).sum() / n;
    }

    private GaussianMixture mStep(float[] y, int n, double[] resp) {
        int k = logWeights.length;
        int d = shape[0] * shape[1] * shape[2];
        double[] nk = new double[k];
        double[] mu = new double[k * d];
        double[] var = new double[k * d];
        IntStream.range(0, k).parallel().forEach(c -> {
            double w = 0;
            for (int i = 0; i < n; i++) {
                double r = resp[i * k + c];
                if (r < 1e-12) {
                    continue;
                }
                w += r;
                for (int j = 0; j < d; j++) {
                    mu[c * d + j] += r * y[i * d + j];
                }
            }
            nk[c] = w;
            for (int j = 0; j < d; j++) {
                mu[c * d + j] = w > 0 ? mu[c * d + j] / w : means[c * d + j];
            }
            for (int i = 0; i < n; i++) {
                double r = resp[i * k + c];
                if (r < 1e-12) {
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    double z = y[i * d + j] - mu[c * d + j];
                    var[c * d + j] += r * z * z;
                }
            }
            for (int j = 0; j < d; j++) {
                var[c * d + j] = w > 0 ? Math.max(DiagonalGaussian.MIN_VARIANCE, var[c * d + j] / w) : vars[c * d + j];
            }
        });
        double[] lw = new double[k];
        for (int c = 0; c < k; c++) {
            lw[c] = Math.log(Math.max(nk[c], 1e-12) / n);
        }
        return new GaussianMixture(shape, lw, mu, var);
    }

    @Override
    public String kind() {
        return "gmm";
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of components. */
    public int components() {
        return logWeights.length;
    }

    @Override
    public double[] logProb(ImageSet images) {
        Shapes.check(this, images);
        int d = images.dims();
        int k = logWeights.length;
        float[] y = Dequantize.scoring(images);
        double[] constants = componentConstants();
        return IntStream.range(0, images.size()).parallel().mapToDouble(i -> {
            double[] l = new double[k];
            jointLogDensities(y, i * d, constants, l);
            return logSumExp(l) - d * Units.LOG_256;
        }).toArray();
    }

    @Override
    public ImageSet sample(int n, long seed) {
        int k = logWeights.length;
        int d = shape[0] * shape[1] * shape[2];
        Random g = new Random(new SplittableRandom(seed).nextLong());
        byte[] px = new byte[n * d];
        for (int i = 0; i < n; i++) {
            double r = g.nextDouble();
            int c = 0;
            for (double acc = Math.exp(logWeights[0]); c < k - 1 && r > acc; acc += Math.exp(logWeights[++c])) {
                // pick the component
            }
            for (int j = 0; j < d; j++) {
                px[i * d + j] = Dequantize.quantize(means[c * d + j] + Math.sqrt(vars[c * d + j]) * g.nextGaussian());
            }
        }
        return ImageSet.of("gmm samples", shape[0], shape[1], shape[2], px, null);
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeArrays(dir, Map.of("logWeights", logWeights, "means", means, "vars", vars));
        ModelFiles.writeMeta(dir, kind(), shape, Map.of("components", logWeights.length));
    }

    static GaussianMixture load(Path dir) throws IOException {
        var meta = ModelFiles.readMeta(dir);
        var a = ModelFiles.readArrays(dir);
        return new GaussianMixture(ModelFiles.shape(meta), ModelFiles.require(a, "logWeights", dir),
                ModelFiles.require(a, "means", dir), ModelFiles.require(a, "vars", dir));
    }
}
