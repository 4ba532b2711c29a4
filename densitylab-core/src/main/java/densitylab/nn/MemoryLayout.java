package densitylab.nn;

import ai.djl.ndarray.NDArray;

/**
 * Memory layouts of image batches for libtorch's convolutions.
 *
 * <p>A (B, C, H, W) batch in libtorch's default layout makes every oneDNN convolution reorder its input
 * into a blocked layout and its output back, a copy of each activation on the way in and out (about a
 * fifth of a Glow coupling network's convolution time on a 2-core CPU). In the channels-last layout
 * (memory ordered B, H, W, C with the shape still (B, C, H, W)) oneDNN reads and writes the arrays as they
 * are, and libtorch keeps the layout through convolutions, activations and element-wise ops. DJL has no
 * call for it, so {@link #channelsLast} builds it from a transpose and one copy.
 *
 * <p>Element-wise ops, on the other hand, are slow on channels-last arrays of few channels: the channel is
 * then the innermost dimension, and a channel half or a per-channel bias leaves libtorch inner loops of 2-8
 * elements (a Glow coupling's element-wise ops took twice as long, an ActNorm six times). So the flows keep
 * their arrays in the {@link #standard} order and only their coupling networks run channels-last,
 * converting the small input and output.
 */
public final class MemoryLayout {
    private MemoryLayout() {
    }

    /**
     * The same values and shape (B, C, H, W) in channels-last memory order: one copy, differentiable
     * (the gradient flows back to {@code x}). Feed it to a stack of convolutions; their outputs stay
     * channels-last.
     */
    public static NDArray channelsLast(NDArray x) {
        long[] d = x.getShape().getShape();
        if (d.length != 4) {
            throw new IllegalArgumentException("channelsLast needs a (B, C, H, W) batch, got shape " + x.getShape());
        }
        // (B, H, W, C) view -> flattened per example, which forces a copy in (B, H, W, C) order -> the view back
        return x.transpose(0, 2, 3, 1).reshape(d[0], -1).reshape(d[0], d[2], d[3], d[1]).transpose(0, 3, 1, 2);
    }

    /**
     * The same values and shape in libtorch's default row-major order: one copy of a channels-last (or other
     * strided) array, the array itself (a new view of it) when it is in that order already. Differentiable.
     */
    public static NDArray standard(NDArray x) {
        return x.reshape(x.getShape().get(0), -1).reshape(x.getShape());
    }
}
