package densitylab.model.ar;

import densitylab.nn.Noise;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * The network of an autoregressive image model: in one pass, the parameters of every sub-pixel's conditional.
 * Its output at pixel (i, j) depends only on the pixels before (i, j) in raster order, and, where
 * {@link #readsCurrentPixel()}, channel c's output also on channels &lt; c of pixel (i, j).
 */
interface ConditionalNetwork {
    /**
     * Output (B, P, H, W) for raw pixel values x (B, C, H, W) as floats 0..255; any H and W. Dropout (where the network
     * has it) draws from noise; null means evaluation (no dropout). Arrays belong to x's manager.
     */
    NDArray apply(NDArray x, Noise noise);

    /** Trainable parameters in a fixed order. */
    List<NDArray> parameters();

    /** Constant arrays a forward pass reads (masks); default none. */
    default List<NDArray> constants() {
        return List.of();
    }

    /** Whether a channel's output reads earlier channels of its own pixel (then sampling recomputes per channel). */
    boolean readsCurrentPixel();
}
