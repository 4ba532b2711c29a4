package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic between an array and a Java number that stays correct under autograd. Use these, not
 * {@code x.mul(2f)}, {@code x.div(2f)} or {@code x.maximum(2f)}, in every computation a loss runs through.
 *
 * <p>Why: DJL's PyTorch engine turns the number into a 0-d array whose memory is a Java direct buffer
 * ({@code torch::from_blob}), runs the op and closes that array at once. Autograd saves the number's array
 * for the backward pass of mul, div and maximum (the gradient of x * c is c), but it does not own its memory:
 * once the garbage collector frees the buffer, a backward pass that runs later reads freed memory. Glow's
 * log-determinant gradients came out as 1e16-1e31 a few times per thousand steps (and on most steps with a
 * small young generation); the Trainer skipped those whose norm overflowed and applied the rest, and a
 * freed number read back as another plausible number went unnoticed. Here the number lives in an array
 * libtorch allocates itself, so autograd's reference keeps it alive. Ops whose backward does not save the
 * number (add, sub, and clip, which passes it by value) are safe either way; minimum and pow with a number
 * are not, and have no helper here because no model uses them.
 */
public final class Scalars {
    private Scalars() {
    }

    /** x * c. */
    public static NDArray mul(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.mul(s);
        }
    }

    /** x / c. */
    public static NDArray div(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.div(s);
        }
    }

    /** max(x, c), element-wise. */
    public static NDArray maximum(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.maximum(s);
        }
    }

    /** A 0-d array holding c (rounded to float), in x's manager and data type, in memory that libtorch owns. */
    private static NDArray of(NDArray x, double c) {
        if (!x.getDataType().isFloating()) {
            throw new IllegalArgumentException("Scalars work on floating-point arrays, got " + x.getDataType());
        }
        return x.getManager().full(new Shape(), (float) c, x.getDataType());
    }
}
