package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.SplittableRandom;

/**
 * The random draws of one loss evaluation (dequantization noise, reparameterisation samples), reproducible
 * from a seed. The Trainer (densitylab.train) gives each part of each batch its own seed, so a run repeats exactly
 * whichever thread computes which part: libtorch's generator is one per process, and two threads drawing
 * from it would receive their numbers in a racy order.
 */
public final class Noise {
    private final SplittableRandom rng;

    public Noise(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    /** The seed of part {@code part} of batch {@code batch} in epoch {@code epoch} of a run seeded with {@code seed}. */
    public static long seedOf(long seed, int epoch, int batch, int part) {
        long s = seed;
        for (long v : new long[] {epoch, batch, part}) {
            s = s * 0x9E3779B97F4A7C15L + v + 1; // SplittableRandom mixes the result; only distinctness matters
        }
        return s;
    }

    /** float32 values uniform in [0, 1). */
    public NDArray uniform(NDManager manager, Shape shape) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextDouble();
            if (v[i] == 1f) { // rounding to float can reach 1
                v[i] = Math.nextDown(1f);
            }
        }
        return manager.create(v, shape);
    }

    /** float32 standard-normal values. */
    public NDArray normal(NDManager manager, Shape shape) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return manager.create(v, shape);
    }
}
