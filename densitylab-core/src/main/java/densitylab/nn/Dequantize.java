package densitylab.nn;

import densitylab.data.ImageSet;

import java.util.SplittableRandom;

/**
 * Uniform dequantization: y = (x + u) / 256 with u ~ U[0,1)^D, so y lies in [0,1)^D before rounding to float32
 * (which can round 255 + u to exactly 1.0; the flows' logit transform squeezes y into (alpha, 1 - alpha) first).
 */
public final class Dequantize {
    /** Seed of the dequantization noise used when scoring, so that log-likelihoods repeat exactly. */
    public static final long SCORING_SEED = 0x5eed;

    private Dequantize() {
    }

    /**
     * A seed per image from its pixel values (and salt): noise drawn from it makes an image's score a function of the
     * image alone, whatever set, batch or position it is scored in (a detector scores one file as it scores a batch).
     */
    public static long[] contentSeeds(ImageSet set, long salt) {
        long[] out = new long[set.size()];
        byte[] img = new byte[set.dims()];
        for (int i = 0; i < out.length; i++) {
            set.copyImage(i, img, 0);
            long h = salt ^ 0x9E3779B97F4A7C15L;
            for (byte b : img) {
                h = (h ^ (b & 0xff)) * 0x100000001B3L; // FNV-1a over the bytes, from a salted basis
            }
            out[i] = h;
        }
        return out;
    }

    /**
     * The scoring dequantization of images: row-major N x D floats, each image's noise drawn from its
     * {@link #contentSeeds content seed}, so log-likelihoods repeat exactly and do not depend on the set or batch.
     */
    public static float[] scoring(ImageSet set) {
        int d = set.dims();
        float[] out = new float[set.size() * d];
        byte[] img = new byte[d];
        long[] seeds = contentSeeds(set, SCORING_SEED);
        for (int i = 0; i < set.size(); i++) {
            set.copyImage(i, img, 0);
            SplittableRandom rng = new SplittableRandom(seeds[i]);
            int o = i * d;
            for (int k = 0; k < d; k++) {
                out[o + k] = (float) (((img[k] & 0xff) + rng.nextDouble()) / 256.0);
            }
        }
        return out;
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
