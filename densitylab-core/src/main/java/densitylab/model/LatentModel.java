package densitylab.model;

import densitylab.data.ImageSet;

/**
 * A generative model that draws an image by decoding a latent vector: GANs (the generator's input), VAEs (the
 * decoder's mode at z) and flows (the inverse of the flow at z). The audit interpolates in this space.
 *
 * <p>The promise: {@code decode(latents(n, seed))} equals {@code sample(n, seed)} image for image, and decoding is
 * deterministic, so a latent vector names one image.
 */
public interface LatentModel extends GenerativeModel {
    /** The number of dimensions of a latent vector. */
    int latentDims();

    /** The n latent vectors (row-major n x {@link #latentDims()}) that {@code sample(n, seed)} decodes. */
    float[] latents(int n, long seed);

    /**
     * The images decoded from latent vectors (row-major, a multiple of {@link #latentDims()} values), one per vector.
     *
     * @throws IllegalArgumentException when the length is not a multiple of {@link #latentDims()}
     */
    ImageSet decode(float[] latents);

    /** The number of vectors in z, checked against {@link #latentDims()}. */
    static int count(LatentModel model, float[] z) {
        int l = model.latentDims();
        if (z.length % l != 0) {
            throw new IllegalArgumentException(model.kind() + " takes latent vectors of " + l + " values; got " + z.length
                    + " values, not a multiple of it");
        }
        return z.length / l;
    }
}
