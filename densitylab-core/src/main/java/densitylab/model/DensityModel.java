package densitylab.model;

import densitylab.nn.Units;

import densitylab.data.ImageSet;

/**
 * A generative model with a likelihood of the discrete 8-bit data.
 *
 * <p>{@link #logProb} is log P(x) in nats of x in {0..255}^D, with every preprocessing Jacobian
 * (dequantization, scaling, logit) accounted for, so bits/dim compare across models. Continuous models
 * give the dequantization bound E_u[log p((x+u)/256)] - D log 256 (docs/science.md), estimated with seeded noise.
 */
public interface DensityModel extends GenerativeModel {
    /** Per-image log P(x) in nats; deterministic for a given set (seeded dequantization noise). */
    double[] logProb(ImageSet images);

    /** Per-image bits per dimension, -log P(x) / (D ln 2). */
    default double[] bitsPerDim(ImageSet images) {
        return Units.bitsPerDim(logProb(images), images.dims());
    }
}
