package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Random;

/** Creates trainable parameters in one manager with a seeded generator, so a model's initialisation repeats. */
public final class ParamFactory {
    private final NDManager manager;
    private final Random rng;

    public ParamFactory(NDManager manager, long seed) {
        this.manager = manager;
        this.rng = new Random(seed);
    }

    public NDManager manager() {
        return manager;
    }

    /** A parameter filled with N(0, std^2) values. */
    public NDArray normal(double std, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (std * rng.nextGaussian());
        }
        return trainable(manager.create(v, s));
    }

    /** A zero parameter. */
    public NDArray zeros(long... shape) {
        return trainable(manager.zeros(new Shape(shape)));
    }

    /** A random permutation of 0..n-1 from the seeded generator. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Trainable ones of the given shape (a normalisation's scale); draws nothing. */
    public NDArray ones(long... shape) {
        return trainable(manager.ones(new Shape(shape)));
    }

    /** A constant (not trained). */
    public NDArray constant(float[] values, long... shape) {
        return manager.create(values, new Shape(shape));
    }

    private static NDArray trainable(NDArray a) {
        a.setRequiresGradient(true);
        return a;
    }
}
