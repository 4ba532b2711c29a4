package densitylab.audit;

import densitylab.eval.Bootstrap;

import java.util.Arrays;
import java.util.Locale;

/**
 * Whether samples sit closer to the training set than held-out images do, in one feature space (seed 004's check,
 * made a number). A model that generalises places its samples about as far from their nearest training image as
 * held-out images are; one that copies places many of them closer than almost any held-out image.
 *
 * <p>Distances are compared within groups (the classes a classifier predicts for samples and held-out images alike)
 * where a group holds at least {@value #MIN_GROUP} held-out images, so that a model which draws mostly from a class
 * whose images lie close together (FashionMNIST's trousers) is not mistaken for one that copies; this is the idea of
 * Meehan et al.'s (2020) data-copying test, which compares within cells of the feature space. Smaller groups, and
 * every image when there are no groups, use the pooled held-out distances.
 *
 * @param space           the feature space
 * @param samples         each sample's k nearest training images
 * @param test            each held-out image's nearest training image
 * @param byGroup         whether the comparison was made within groups
 * @param medianRatio     the median over samples of distance / the median held-out distance of its group (below 1:
 *                        closer to the training set than held-out images)
 * @param testP1          the 1st percentile of the pooled held-out distances
 * @param fractionBelowP1 the fraction of samples closer to a training image than the 1st percentile of their group's
 *                        held-out distances (about 0.01 for samples like held-out images)
 * @param memorized       fractionBelowP1 >= {@link #THRESHOLD}
 */
public record Memorization(String space, Neighbours.Result samples, Neighbours.Result test, boolean byGroup, double medianRatio,
                           double testP1, double fractionBelowP1, boolean memorized) {
    /** The fraction of samples below the held-out 1st percentile that is called memorization: five times chance. */
    public static final double THRESHOLD = 0.05;
    /** Held-out images a group needs for thresholds of its own (a 1st percentile then lies above 2 of them). */
    public static final int MIN_GROUP = 200;

    /** {@link #of(String, Neighbours.Result, Neighbours.Result, int[], int[])} without groups. */
    public static Memorization of(String space, Neighbours.Result samples, Neighbours.Result test) {
        return of(space, samples, test, null, null);
    }

    /**
     * Measures memorization from the samples' and the held-out images' neighbours in the same training set.
     *
     * @param sampleGroups each sample's group (e.g. predicted class), or null for no groups
     * @param testGroups   each held-out image's group, or null
     * @throws IllegalArgumentException when either set is empty or the groups do not match the rows
     */
    public static Memorization of(String space, Neighbours.Result samples, Neighbours.Result test, int[] sampleGroups,
                                  int[] testGroups) {
        if (samples.count() == 0 || test.count() == 0) {
            throw new IllegalArgumentException("memorization needs samples and held-out images");
        }
        boolean grouped = sampleGroups != null && testGroups != null;
        if (grouped && (sampleGroups.length != samples.count() || testGroups.length != test.count())) {
            throw new IllegalArgumentException("one group per sample and per held-out image");
        }
        double[] s = samples.nearest();
        double[] t = test.nearest();
        double[] pooled = t.clone();
        Arrays.sort(pooled);
        double pooledP1 = Bootstrap.quantile(pooled, 0.01);
        double pooledMedian = Bootstrap.quantile(pooled, 0.5);
        int groups = 0;
        if (grouped) {
            for (int g : testGroups) {
                groups = Math.max(groups, g + 1);
            }
            for (int g : sampleGroups) {
                groups = Math.max(groups, g + 1);
            }
        }
        double[] p1 = new double[groups];
        double[] median = new double[groups];
        for (int g = 0; g < groups; g++) {
            final int group = g;
            double[] in = java.util.stream.IntStream.range(0, t.length).filter(i -> testGroups[i] == group).mapToDouble(i -> t[i])
                    .sorted().toArray();
            p1[g] = in.length >= MIN_GROUP ? Bootstrap.quantile(in, 0.01) : pooledP1;
            median[g] = in.length >= MIN_GROUP ? Bootstrap.quantile(in, 0.5) : pooledMedian;
        }
        int below = 0;
        double[] relative = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            double threshold = grouped ? p1[sampleGroups[i]] : pooledP1;
            double middle = grouped ? median[sampleGroups[i]] : pooledMedian;
            below += s[i] < threshold || s[i] == 0 ? 1 : 0;
            relative[i] = middle == 0 ? Double.NaN : s[i] / middle;
        }
        Arrays.sort(relative);
        double fraction = below / (double) s.length;
        return new Memorization(space, samples, test, grouped, Bootstrap.quantile(relative, 0.5), pooledP1, fraction,
                fraction >= THRESHOLD);
    }

    /** One sentence: the verdict with its numbers and the threshold. */
    public String verdict() {
        return String.format(Locale.ROOT, "%s: %s — %.1f%% of samples are closer to a training image than 99%% of held-out "
                        + "images%s are (memorization from %.0f%%; samples like held-out images give about 1%%); median "
                        + "distance %.2fx the held-out images'",
                space, memorized ? "MEMORIZED" : "no sign of memorization", 100 * fractionBelowP1,
                byGroup ? " of the same predicted class" : "", 100 * THRESHOLD, medianRatio);
    }
}
