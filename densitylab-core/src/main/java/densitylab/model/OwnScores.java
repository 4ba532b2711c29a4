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

    /**
     * The own scores cheap enough (a network pass or two) to enter the combined score as statistics, beside the
     * likelihood and compressed lengths; default none.
     */
    default java.util.List<String> statistics() {
        return java.util.List.of();
    }

    /**
     * Statistics that optimise per input (a VAE's likelihood regret), tens of milliseconds an image, which the full
     * combination ({@code combined-full}) adds to {@link #statistics()}; default none.
     */
    default java.util.List<String> costlyStatistics() {
        return java.util.List.of();
    }
}
