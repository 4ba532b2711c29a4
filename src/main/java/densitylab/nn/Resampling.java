package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * Resolution changes built from ops DJL's PyTorch engine has (it has no transposed convolution): nearest-neighbour
 * upsampling, zero interleaving, and the stride-2 transposed convolution as a stride-1 convolution with the flipped
 * kernel over the zero-interleaved input.
 */
public final class Resampling {
    private Resampling() {
    }

    /** Nearest-neighbour 2x upsampling of (B, C, h, w) to (B, C, 2h, 2w). */
    public static NDArray nearest2x(NDArray x) {
        long[] s = x.getShape().getShape();
        return x.reshape(s[0], s[1], s[2], 1, s[3], 1).broadcast(s[0], s[1], s[2], 2, s[3], 2).reshape(s[0], s[1], 2 * s[2], 2 * s[3]);
    }

    /**
     * Nearest-neighbour 2x upsampling with libtorch's kernel ({@link LibTorch#upsampleNearest}): the same values as
     * {@link #nearest2x}, in x's memory order, and a backward pass that is one kernel instead of a broadcast's strided
     * sum (the GANs' generator: 22 ms of a 211 ms one-worker step was that sum).
     */
    public static NDArray upsampleNearest2x(NDArray x) {
        return LibTorch.upsampleNearest(x, 2 * x.getShape().get(2), 2 * x.getShape().get(3));
    }

    /** (B, C, H, W) to (B, C, 2H, 2W) with x at the even rows and columns and zeros elsewhere. */
    public static NDArray interleaveZeros(NDArray x) {
        long[] s = x.getShape().getShape();
        float[] m = new float[(int) (4 * s[2] * s[3])];
        for (int r = 0; r < 2 * s[2]; r += 2) {
            for (int c = 0; c < 2 * s[3]; c += 2) {
                m[(int) (r * 2 * s[3] + c)] = 1f;
            }
        }
        NDArray mask = x.getManager().create(m, new Shape(1, 1, 2 * s[2], 2 * s[3]));
        return nearest2x(x).mul(mask);
    }

    /**
     * The transpose of a stride-2 convolution with weight (out, in, k, k) and padding p (the adjoint map, as
     * PyTorch's conv_transpose2d(g, weight, stride=2, padding=p)): g (B, out, h, w) to (B, in, 2h + k - 2 - 2p,
     * ...), the input size of the forward convolution when that size is even. Differentiable in g and weight; the
     * convolution runs channels-last (see {@link MemoryLayout}).
     */
    public static NDArray transposedStride2(NDArray g, NDArray weight, int padding) {
        long k = weight.getShape().get(2);
        long[] s = g.getShape().getShape();
        NDArray up = interleaveZeros(g).get(":, :, 0:" + (2 * s[2] - 1) + ", 0:" + (2 * s[3] - 1)); // zeros between, not after
        NDArray flipped = weight.flip(2, 3).transpose(1, 0, 2, 3);
        long pad = k - 1 - padding;
        return Conv2d.conv2d(MemoryLayout.channelsLast(up), flipped, null, new Shape(1, 1), new Shape(pad, pad)).singletonOrThrow();
    }
}
