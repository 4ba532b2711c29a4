package densitylab.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The birthday-paradox test of a generator's support size (Arora and Zhang 2017): among s samples from a
 * distribution of N equally likely distinct images, s(s-1)/2 pairs each collide with probability 1/N, so counting
 * near-duplicate pairs in batches of s estimates N = batches s(s-1)/2 / pairs. A batch of s with a duplicate more
 * often than not means a support of about s^2 or less (the paper's reading).
 *
 * @param threshold     the distance below which two images are near-duplicates (0-distance pairs always are)
 * @param batchSize     s
 * @param batches       batches of s taken from the samples
 * @param pairs         near-duplicate pairs found within batches
 * @param batchesWithDuplicate batches holding at least one
 * @param support       the estimated support size; with no pair, the lower bound that one pair would have given
 * @param closest       the closest pairs found (sample rows, nearest first), at most {@value #CLOSEST}
 */
public record BirthdayTest(double threshold, int batchSize, int batches, long pairs, int batchesWithDuplicate, double support,
                           List<Pair> closest) {
    /** Closest pairs kept for the report. */
    public static final int CLOSEST = 8;

    /** Two sample rows and their distance. */
    public record Pair(int first, int second, double distance) {
    }

    /**
     * Runs the test on consecutive batches of batchSize rows of samples (a remainder is left out).
     *
     * @throws IllegalArgumentException when there are fewer than batchSize rows or batchSize is below 2
     */
    public static BirthdayTest of(Features samples, double threshold, int batchSize) {
        if (batchSize < 2 || samples.count() < batchSize) {
            throw new IllegalArgumentException("the birthday test needs batches of at least 2 and at least one batch; got "
                    + samples.count() + " samples for batches of " + batchSize);
        }
        int batches = samples.count() / batchSize;
        long pairs = 0;
        int withDuplicate = 0;
        List<Pair> closest = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            Features batch = samples.rows(b * batchSize, (b + 1) * batchSize);
            Neighbours.Result near = Neighbours.searchWithin(batch, batchSize - 1);
            long found = 0;
            for (int i = 0; i < batchSize; i++) {
                for (int r = 0; r < batchSize - 1; r++) {
                    int j = near.index(i, r);
                    double d = near.distance(i, r);
                    if (!(d < threshold || d == 0)) {
                        break;
                    }
                    if (i < j) {
                        found++;
                    }
                }
                int j = near.index(i, 0);
                if (i < j || near.index(j, 0) != i) {
                    closest.add(new Pair(b * batchSize + Math.min(i, j), b * batchSize + Math.max(i, j), near.distance(i, 0)));
                }
            }
            pairs += found;
            withDuplicate += found > 0 ? 1 : 0;
        }
        closest.sort(java.util.Comparator.comparingDouble(Pair::distance));
        List<Pair> unique = new ArrayList<>();
        for (Pair p : closest) {
            if (unique.size() < CLOSEST && unique.stream().noneMatch(u -> u.first == p.first && u.second == p.second)) {
                unique.add(p);
            }
        }
        double pairsTried = batches * (double) batchSize * (batchSize - 1) / 2;
        return new BirthdayTest(threshold, batchSize, batches, pairs, withDuplicate, pairsTried / Math.max(1, pairs), unique);
    }

    /** True when no pair was found and {@link #support} is a lower bound. */
    public boolean isLowerBound() {
        return pairs == 0;
    }

    /** One line for the terminal and the report. */
    public String summary() {
        return String.format(Locale.ROOT, "%d near-duplicate pairs in %d batches of %d (%d with a duplicate; distance < %.4g): "
                        + "support %s%.3g images", pairs, batches, batchSize, batchesWithDuplicate, threshold,
                isLowerBound() ? "> " : "about ", support);
    }
}
