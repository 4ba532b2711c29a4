package densitylab.nn;

import densitylab.data.ImageSet;

import java.util.SplittableRandom;

/** Uniform dequantization: y = (x + u) / 256 with u ~ U[0,1)^D, so y lies in [0,1)^D. */
public final class Dequantize {
    /** Seed of the dequantization noise used when scoring, so that log-likelihoods repeat exactly. */
    public static final long SCORING_SEED = 0x5eed;

    private Dequantize() {
    }

    /** The dequantized images as row-major N x D floats; the same seed gives the same noise. */
    public static float[] uniform(ImageSet set, long seed) {
        int d = set.dims();
        float[] out = new float[set.size() * d];
        byte[] img = new byte[d];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < set.size(); i++) {
            set.copyImage(i, img, 0);
            int o = i * d;
            for (int k = 0; k < d; k++) {
                out[o + k] = (float) (((img[k] & 0xff) + rng.nextDouble()) / 256.0);
            }
        }
        return out;
    }

    /** The mean of each of the d columns of row-major n x d values. */
    public static double[] columnMeans(float[] y, int n, int d) {
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                mean[k] += y[i * d + k];
            }
        }
        for (int k = 0; k < d; k++) {
            mean[k] /= n;
        }
        return mean;
    }

    /** The 8-bit pixel whose bin holds y: floor(256 y) clipped to 0..255. */
    public static byte quantize(double y) {
        return (byte) Math.max(0, Math.min(255, (int) Math.floor(y * 256)));
    }
}
