package densitylab.audit;

import densitylab.eval.Bootstrap;

import java.util.Arrays;
import java.util.Locale;

/**
 * Whether samples sit closer to the training set than held-out images do, in one feature space (seed 004's check,
 * made a number). A model that generalises places its samples about as far from their nearest training image as
 * test images are; one that copies places many of them closer than almost any test image.
 *
 * @param space             the feature space
 * @param samples           each sample's k nearest training images
 * @param test              each held-out image's nearest training image
 * @param medianRatio       median sample distance / median test distance (below 1: closer than test images)
 * @param testP1            the 1st percentile of the test distances
 * @param fractionBelowP1   the fraction of samples closer to a training image than testP1 (about 0.01 for a model
 *                          whose samples are like test images)
 * @param memorized         fractionBelowP1 >= {@link #THRESHOLD}
 */
public record Memorization(String space, Neighbours.Result samples, Neighbours.Result test, double medianRatio, double testP1,
                           double fractionBelowP1, boolean memorized) {
    /** The fraction of samples below the test images' 1st percentile that is called memorization: five times chance. */
    public static final double THRESHOLD = 0.05;

    /**
     * Measures memorization from the samples' and the test images' neighbours in the same training set.
     *
     * @throws IllegalArgumentException when either has no rows
     */
    public static Memorization of(String space, Neighbours.Result samples, Neighbours.Result test) {
        if (samples.count() == 0 || test.count() == 0) {
            throw new IllegalArgumentException("memorization needs samples and test images");
        }
        double[] s = samples.nearest();
        double[] t = test.nearest();
        Arrays.sort(s);
        Arrays.sort(t);
        double p1 = Bootstrap.quantile(t, 0.01);
        int below = 0;
        for (double v : s) {
            below += v < p1 || v == 0 ? 1 : 0;
        }
        double fraction = below / (double) s.length;
        double mt = Bootstrap.quantile(t, 0.5);
        double ratio = mt == 0 ? Double.NaN : Bootstrap.quantile(s, 0.5) / mt;
        return new Memorization(space, samples, test, ratio, p1, fraction, fraction >= THRESHOLD);
    }

    /** One sentence: the verdict with its numbers and the threshold. */
    public String verdict() {
        return String.format(Locale.ROOT, "%s: %s — %.1f%% of samples are closer to a training image than 99%% of test images "
                        + "are (memorization from %.0f%%; a model whose samples are like test images gives about 1%%); median "
                        + "distance %.2fx the test images'",
                space, memorized ? "MEMORIZED" : "no sign of memorization", 100 * fractionBelowP1, 100 * THRESHOLD, medianRatio);
    }
}
