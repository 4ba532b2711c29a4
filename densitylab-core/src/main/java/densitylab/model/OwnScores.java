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

    /**
     * A score that combines some of the model's own statistics (by name, each computed by {@link #ownScore}) with a
     * combination fitted on in-distribution images: its kind lists the name in {@link ModelKind#fittedScores()}.
     *
     * @param name        the score's name
     * @param statistics  the own statistics it combines
     * @param combination how they are combined
     */
    record DerivedScore(String name, java.util.List<String> statistics, Combination combination) {
        public DerivedScore {
            statistics = java.util.List.copyOf(statistics);
        }
    }

    /** How a {@link DerivedScore} combines its statistics. */
    enum Combination {
        /** Minus the log density of the statistics' vector, a Gaussian mixture chosen by BIC (as the combined score). */
        DENSITY,
        /** The mean of the statistics standardised by their in-distribution mean and deviation (higher = more anomalous). */
        STANDARDISED_MEAN
    }

    /**
     * Whether the named score also measures distances in a feature space when {@link ScoreOptions#features()} gives one
     * (so a caller knows to look for one); default no.
     */
    default boolean usesFeatures(String score) {
        return false;
    }

    /** The derived score called name with the given settings, or null (the default) when this model has none of that name. */
    default DerivedScore derivedScore(String name, ScoreOptions options) {
        return null;
    }
}
