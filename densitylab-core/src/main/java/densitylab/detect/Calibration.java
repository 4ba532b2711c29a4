package densitylab.detect;

import densitylab.eval.Bootstrap;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A detector's threshold and the validation statistics it came from. An input is out of distribution when its score
 * is above the threshold; the threshold is the smallest validation score that keeps at least the target fraction of
 * the validation images (the ceil(tpr N)-th smallest), so the fraction kept is at least the target and, without ties,
 * less than 1/N above it.
 *
 * @param threshold   scores above it are flagged
 * @param targetTpr   the fraction of in-distribution inputs to keep that was asked for
 * @param n           validation images
 * @param achievedTpr the fraction of validation images kept (score <= threshold)
 * @param quantiles   validation score quantiles (p0, p1, p5, p25, p50, p75, p95, p99, p100)
 * @param data        what the validation images were (a spec)
 * @param histogram   the validation scores in {@value #BINS} equal bins (null in bundles written before it)
 */
public record Calibration(double threshold, double targetTpr, int n, double achievedTpr, Map<String, Double> quantiles, String data,
                          Histogram histogram) {
    /** Bins of the stored validation histogram. */
    public static final int BINS = 40;

    /**
     * Counts of validation scores in equal bins from their minimum to their 99th percentile (a long tail would flatten
     * the bins), and how many lie above that.
     */
    public record Histogram(double low, double high, List<Integer> counts, int above) {
        static Histogram of(double[] sorted) {
            double low = sorted[0];
            double high = Bootstrap.quantile(sorted, 0.99);
            if (!(high > low)) {
                high = sorted[sorted.length - 1];
            }
            int[] c = new int[BINS];
            int above = 0;
            for (double v : sorted) {
                if (v > high) {
                    above++;
                } else {
                    int b = high > low ? (int) ((v - low) / (high - low) * BINS) : 0;
                    c[Math.min(BINS - 1, Math.max(0, b))]++;
                }
            }
            return new Histogram(low, high, java.util.stream.IntStream.of(c).boxed().toList(), above);
        }
    }

    /**
     * Calibrates on validation scores.
     *
     * @throws IllegalArgumentException for a target outside (0, 1], no scores, or a non-finite score
     */
    public static Calibration of(double[] validationScores, double targetTpr, String data) {
        if (!(targetTpr > 0 && targetTpr <= 1)) {
            throw new IllegalArgumentException("the true-positive rate to keep must be in (0, 1], got " + targetTpr);
        }
        if (validationScores.length == 0) {
            throw new IllegalArgumentException("no validation images to calibrate on");
        }
        double[] s = validationScores.clone();
        for (double v : s) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("a validation score is " + v + "; the detector cannot be calibrated on it");
            }
        }
        Arrays.sort(s);
        int k = (int) Math.ceil(targetTpr * s.length - 1e-9); // images to keep
        double threshold = s[Math.max(0, k - 1)];
        int kept = 0;
        for (double v : s) {
            kept += v <= threshold ? 1 : 0;
        }
        Map<String, Double> q = new LinkedHashMap<>();
        for (double p : new double[] {0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1}) {
            q.put("p" + Math.round(p * 100), Bootstrap.quantile(s, p));
        }
        return new Calibration(threshold, targetTpr, s.length, kept / (double) s.length, q, data, Histogram.of(s));
    }

    /** True when a score is above the threshold (NaN counts as out of distribution). */
    public boolean isOutOfDistribution(double score) {
        return !(score <= threshold);
    }
}
