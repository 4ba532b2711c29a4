package densitylab.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The batch typicality test of Nalisnick et al. (2019b, "Detecting out-of-distribution inputs to deep generative
 * models using typicality"): a batch of M inputs is flagged when |mean over the batch of -log p(x) - H| exceeds a
 * threshold, where H estimates the entropy of the model's typical set.
 *
 * <p>Here both H and the threshold come from held-out in-distribution data: its per-image bits/dim are split into a
 * calibration half (even positions) and an evaluation half (odd positions). H is the calibration half's mean, and the
 * threshold for batch size M is the {@code 1 - alpha} quantile of the statistic over bootstrap batches of M drawn with
 * replacement from the calibration half. The false-alarm rate is then measured on bootstrap batches of the
 * evaluation half, and the detection rate on bootstrap batches of each OOD set. All draws come from one seed.
 */
public final class BatchTypicality {
    /** The batch sizes shown in terminal tables and report tables (the report's chart has every M). */
    public static final int[] SHOWN_M = {1, 2, 5, 10, 25};

    private BatchTypicality() {
    }

    /**
     * The test at each batch size.
     *
     * @param batchSizes  the M values
     * @param alpha       the false-alarm rate the thresholds are set for
     * @param entropy     H: the calibration half's mean bits/dim
     * @param thresholds  per M, the threshold on |mean bits/dim - H|
     * @param falseAlarms per M, the fraction of in-distribution evaluation batches flagged
     * @param detection   OOD set -> per M, the fraction of its batches flagged
     */
    public record Result(int[] batchSizes, double alpha, double entropy, double[] thresholds, double[] falseAlarms,
                         Map<String, double[]> detection) {
        /** The detection rate of an OOD set at batch size m (NaN when m was not tested). */
        public double detectionAt(String set, int m) {
            return at(detection.get(set), m);
        }

        /** The entry for batch size m of a per-M array of this result (NaN when m was not tested). */
        public double at(double[] perM, int m) {
            for (int i = 0; i < batchSizes.length; i++) {
                if (batchSizes[i] == m) {
                    return perM[i];
                }
            }
            return Double.NaN;
        }
    }

    /** M = 1..25, alpha = 0.01, 2,000 bootstrap batches per M and set. */
    public static Result run(double[] inBpd, Map<String, double[]> outBpd, long seed) {
        int[] ms = new int[25];
        Arrays.setAll(ms, i -> i + 1);
        return run(inBpd, outBpd, ms, 0.01, 2000, seed);
    }

    /**
     * Runs the test.
     *
     * @param inBpd   per-image bits/dim of held-out in-distribution data (at least 4 images)
     * @param outBpd  OOD set name -> per-image bits/dim
     * @param batches bootstrap batches per M and set
     */
    public static Result run(double[] inBpd, Map<String, double[]> outBpd, int[] batchSizes, double alpha, int batches, long seed) {
        if (inBpd.length < 4) {
            throw new IllegalArgumentException("the batch typicality test needs at least 4 in-distribution scores, got " + inBpd.length);
        }
        if (!(alpha > 0 && alpha < 1) || batches < 1) {
            throw new IllegalArgumentException("alpha must be in (0, 1) and batches >= 1, got " + alpha + ", " + batches);
        }
        double[] calib = new double[(inBpd.length + 1) / 2];
        double[] eval = new double[inBpd.length / 2];
        for (int i = 0; i < inBpd.length; i++) {
            if (i % 2 == 0) {
                calib[i / 2] = inBpd[i];
            } else {
                eval[i / 2] = inBpd[i];
            }
        }
        outBpd.forEach((k, v) -> {
            if (v.length == 0) {
                throw new IllegalArgumentException("OOD set '" + k + "' has no images for the batch typicality test");
            }
        });
        calib = java.util.Arrays.stream(calib).filter(Double::isFinite).toArray(); // an infinite one would make the threshold infinite
        double h = finiteMean(calib);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] thresholds = new double[batchSizes.length];
        double[] falseAlarms = new double[batchSizes.length];
        Map<String, double[]> detection = new LinkedHashMap<>();
        outBpd.keySet().forEach(k -> detection.put(k, new double[batchSizes.length]));
        for (int j = 0; j < batchSizes.length; j++) {
            int m = batchSizes[j];
            if (m < 1) {
                throw new IllegalArgumentException("batch sizes must be >= 1, got " + m);
            }
            double[] stats = statistics(calib, m, h, batches, rng);
            Arrays.sort(stats);
            // the smallest threshold that at most alpha of the calibration batches exceed
            thresholds[j] = stats[Math.min(stats.length - 1, (int) Math.ceil((1 - alpha) * stats.length) - 1)];
            falseAlarms[j] = flagged(statistics(eval, m, h, batches, rng), thresholds[j]);
            for (var e : outBpd.entrySet()) {
                detection.get(e.getKey())[j] = flagged(statistics(e.getValue(), m, h, batches, rng), thresholds[j]);
            }
        }
        return new Result(batchSizes.clone(), alpha, h, thresholds, falseAlarms, detection);
    }

    /** |mean of a batch of m drawn with replacement - h| for each of n batches; a non-finite score makes it infinite. */
    private static double[] statistics(double[] scores, int m, double h, int n, SplittableRandom rng) {
        double[] out = new double[n];
        for (int b = 0; b < n; b++) {
            double s = 0;
            for (int i = 0; i < m; i++) {
                s += scores[rng.nextInt(scores.length)];
            }
            double v = Math.abs(s / m - h);
            out[b] = Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
        }
        return out;
    }

    private static double flagged(double[] stats, double threshold) {
        int n = 0;
        for (double s : stats) {
            if (s > threshold) {
                n++;
            }
        }
        return n / (double) stats.length;
    }

    private static double finiteMean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                s += x;
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("no finite in-distribution score for the batch typicality test");
        }
        return s / n;
    }
}
