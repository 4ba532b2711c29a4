package densitylab.model.ar;

import ai.djl.ndarray.NDArray;

import java.util.SplittableRandom;

/** The distribution of each 8-bit sub-pixel given the network's output at its pixel. */
interface PixelLikelihood {
    /** The name stored in model.json and shown in listings. */
    String name();

    /** Network output channels needed for images with c channels. */
    int parameterChannels(int c);

    /**
     * log P(x[b, c, i, j] | everything before it) in nats, shape (B, C, H, W), for the network output params
     * (B, parameterChannels, H, W) and raw pixel values x 0..255 as floats (B, C, H, W). The terms of an image sum to
     * its log P(x). Arrays belong to the params' manager.
     */
    NDArray logProbPerSubpixel(NDArray params, NDArray x);

    /**
     * Draws channel c (and possibly later ones) of one pixel into pixel[], given the network output p at that pixel
     * (computed with channels < c of the pixel already filled in), at a temperature (1 = the model's distribution,
     * lower = sharper). Returns how many channels it filled (at least 1).
     */
    int sample(float[] p, int c, int[] pixel, double temperature, SplittableRandom rng);
}
