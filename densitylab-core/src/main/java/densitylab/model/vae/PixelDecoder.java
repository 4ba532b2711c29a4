package densitylab.model.vae;

import ai.djl.ndarray.NDArray;

/**
 * A distribution over 8-bit pixels given a decoder output, so that log p(x|z) is a real discrete likelihood.
 */
public interface PixelDecoder {
    /** The name used by the VAE's decoder parameter. */
    String name();

    /** Decoder output channels needed for images with c channels. */
    int outputChannels(int c);

    /**
     * log p(x|params) in nats per example: params (B, outputChannels, H, W), x raw pixel values 0..255 as floats
     * (B, C, H, W). Arrays belong to x's manager.
     */
    NDArray logLikelihood(NDArray params, NDArray x);

    /** The most likely (or mean) pixel values 0..255 as floats (B, C, H, W). */
    NDArray mode(NDArray params);
}
