package densitylab.model;

import densitylab.data.ImageSet;

/**
 * A model that computes anomaly scores of its own, by name (a VAE's reconstruction error, a GAN's discriminator): per
 * image, higher = more anomalous. Its kind lists the names in {@link ModelKind#ownScores()}.
 */
public interface OwnScores {
    /** A per-image score function. */
    @FunctionalInterface
    interface ScoreFunction {
        /** One score per image of images. */
        double[] score(ImageSet images);
    }

    /**
     * The score called name with the given settings, or null when this model computes none of that name.
     */
    ScoreFunction ownScore(String name, ScoreOptions options);
}
