package densitylab.score;

import densitylab.data.ImageSet;

/**
 * An out-of-distribution score: higher = more anomalous. Scores that need statistics of the training
 * data get them in {@link #fit}; calling {@link #score} first throws {@link NotFittedException}.
 */
public interface OodScore {
    /** The name used by {@code --score} and in result files. */
    String name();

    /** Learns what the score needs from the in-distribution training data; returns this score. */
    default OodScore fit(ImageSet train) {
        return this;
    }

    /** One score per image, in order; higher = more anomalous. */
    double[] score(ImageSet images);

    /** A score without fitting: name and a function of the images. */
    static OodScore of(String name, java.util.function.Function<ImageSet, double[]> fn) {
        return new OodScore() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public double[] score(ImageSet images) {
                return fn.apply(images);
            }
        };
    }
}
