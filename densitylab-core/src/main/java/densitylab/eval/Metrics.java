package densitylab.eval;

import java.util.Arrays;

/**
 * OOD-detection metrics over in-distribution and out-of-distribution (OOD) scores.
 *
 * <p>Convention: scores are oriented so that HIGHER = MORE ANOMALOUS. An input is "accepted" as
 * in-distribution at threshold {@code t} when {@code score <= t}. Every function sorts each score
 * set once ({@code O(n log n)}), groups exactly equal scores, and matches scikit-learn to rounding
 * (see {@code bench/fixtures/make_metric_fixtures.py}). Infinite scores are allowed; empty arrays
 * and NaN scores are rejected with {@link IllegalArgumentException}. Inputs are never modified.
 */
public final class Metrics {

    /** The TPR used by {@link #fpr95}. */
    public static final double TPR_95 = 0.95;

    private Metrics() {}

    /** AUROC with OOD as the positive class: P(out score > in score) + 0.5 * P(tie), as sklearn's roc_auc_score. */
    public static double auroc(double[] in, double[] out) {
        return auroc(Groups.of(in, out));
    }

    /** AUPR-in: sklearn's average_precision_score with in-distribution as the positive class, ranked by -score. */
    public static double auprIn(double[] in, double[] out) {
        return auprIn(Groups.of(in, out));
    }

    /** AUPR-out: sklearn's average_precision_score with OOD as the positive class, ranked by score. */
    public static double auprOut(double[] in, double[] out) {
        return auprOut(Groups.of(in, out));
    }

    /**
     * Fraction of OOD inputs accepted (score {@code <= t}) at the smallest score value {@code t} that accepts at
     * least {@code tpr} of in-distribution inputs (in-distribution positive), i.e. sklearn's
     * {@code roc_curve(y_in, -score, drop_intermediate=False)} fpr at the first index with tpr {@code >= tpr};
     * {@code tpr} must lie in [0, 1], and tpr 0 gives 0 (accept nothing).
     */
    public static double fprAtTpr(double[] in, double[] out, double tpr) {
        if (!(tpr >= 0.0 && tpr <= 1.0)) {
            throw new IllegalArgumentException("tpr must be in [0, 1], got " + tpr);
        }
        return fprAtTpr(Groups.of(in, out), tpr);
    }

    /** FPR@95TPR: fraction of OOD inputs accepted when the threshold keeps 95% of in-distribution inputs. */
    public static double fpr95(double[] in, double[] out) {
        return fprAtTpr(in, out, TPR_95);
    }

    /**
     * Detection error (Liang et al. 2018): min over thresholds of 0.5 * (1 - TPR_in) + 0.5 * FPR_out, the
     * thresholds being every distinct score value plus "accept nothing" (so the result is at most 0.5).
     */
    public static double detectionError(double[] in, double[] out) {
        return detectionError(Groups.of(in, out));
    }

    /** All five metrics at once, sorting the scores only once. */
    public static MetricSet evaluate(double[] in, double[] out) {
        Groups g = Groups.of(in, out);
        return new MetricSet(auroc(g), auprIn(g), auprOut(g), fprAtTpr(g, TPR_95), detectionError(g));
    }

    /**
     * The ROC curve with OOD as the positive class: one point per distinct score (flag {@code score >= t}) after
     * the (0, 0) point, ending at (1, 1); its trapezoid area equals {@link #auroc} (ties give a diagonal segment).
     */
    public static RocCurve rocCurve(double[] in, double[] out) {
        Groups g = Groups.of(in, out);
        double[] fpr = new double[g.size + 1];
        double[] tpr = new double[g.size + 1];
        long inFlagged = 0;
        long outFlagged = 0;
        for (int k = g.size - 1, p = 1; k >= 0; k--, p++) {
            inFlagged += g.inCount[k];
            outFlagged += g.outCount[k];
            fpr[p] = (double) inFlagged / g.nIn;
            tpr[p] = (double) outFlagged / g.nOut;
        }
        return new RocCurve(fpr, tpr);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static double auroc(Groups g) {
        // 2U = sum over OOD scores of (2 * #in below + #in tied); exact in long arithmetic.
        long twiceU = 0;
        long inBelow = 0;
        for (int k = 0; k < g.size; k++) {
            twiceU += g.outCount[k] * (2 * inBelow + g.inCount[k]);
            inBelow += g.inCount[k];
        }
        return (double) twiceU / (2.0 * g.nIn * (double) g.nOut);
    }

    private static double auprOut(Groups g) {
        // OOD positive, descending score: walk the groups from the top.
        double ap = 0.0;
        long tp = 0;
        long fp = 0;
        double prevRecall = 0.0;
        for (int k = g.size - 1; k >= 0; k--) {
            tp += g.outCount[k];
            fp += g.inCount[k];
            double recall = (double) tp / g.nOut;
            ap += (recall - prevRecall) * ((double) tp / (tp + fp));
            prevRecall = recall;
        }
        return ap;
    }

    private static double auprIn(Groups g) {
        // In-distribution positive, descending -score = ascending score.
        double ap = 0.0;
        long tp = 0;
        long fp = 0;
        double prevRecall = 0.0;
        for (int k = 0; k < g.size; k++) {
            tp += g.inCount[k];
            fp += g.outCount[k];
            double recall = (double) tp / g.nIn;
            ap += (recall - prevRecall) * ((double) tp / (tp + fp));
            prevRecall = recall;
        }
        return ap;
    }

    private static double fprAtTpr(Groups g, double tpr) {
        if (tpr <= 0.0) {
            return 0.0; // the accept-nothing point already reaches it
        }
        long inAccepted = 0;
        long outAccepted = 0;
        for (int k = 0; k < g.size; k++) {
            inAccepted += g.inCount[k];
            outAccepted += g.outCount[k];
            // Same expression as sklearn (tps / tps[-1] >= tpr), so exact boundaries such as 19/20 agree.
            if ((double) inAccepted / g.nIn >= tpr) {
                return (double) outAccepted / g.nOut;
            }
        }
        throw new AssertionError("unreachable: accepting everything gives TPR 1");
    }

    private static double detectionError(Groups g) {
        double best = 0.5; // accept nothing: TPR 0, FPR 0
        long inAccepted = 0;
        long outAccepted = 0;
        for (int k = 0; k < g.size; k++) {
            inAccepted += g.inCount[k];
            outAccepted += g.outCount[k];
            double tpr = (double) inAccepted / g.nIn;
            double fpr = (double) outAccepted / g.nOut;
            best = Math.min(best, 0.5 * (1.0 - tpr) + 0.5 * fpr);
        }
        return best;
    }

    /** Distinct score values in ascending order with how many in / OOD scores equal each. */
    private static final class Groups {
        final int nIn;
        final int nOut;
        final int size;
        final long[] inCount;
        final long[] outCount;

        private Groups(int nIn, int nOut, int size, long[] inCount, long[] outCount) {
            this.nIn = nIn;
            this.nOut = nOut;
            this.size = size;
            this.inCount = inCount;
            this.outCount = outCount;
        }

        static Groups of(double[] in, double[] out) {
            check(in, "in");
            check(out, "out");
            double[] a = in.clone();
            double[] b = out.clone();
            Arrays.sort(a);
            Arrays.sort(b);
            long[] inCount = new long[a.length + b.length];
            long[] outCount = new long[a.length + b.length];
            int i = 0;
            int j = 0;
            int k = 0;
            while (i < a.length || j < b.length) {
                double v;
                if (i == a.length) {
                    v = b[j];
                } else if (j == b.length) {
                    v = a[i];
                } else {
                    v = Math.min(a[i], b[j]);
                }
                // Group with ==, so -0.0 and 0.0 tie (as in numpy); Arrays.sort keeps them adjacent.
                int i0 = i;
                int j0 = j;
                while (i < a.length && a[i] == v) {
                    i++;
                }
                while (j < b.length && b[j] == v) {
                    j++;
                }
                inCount[k] = i - i0;
                outCount[k] = j - j0;
                k++;
            }
            return new Groups(a.length, b.length, k, inCount, outCount);
        }

        private static void check(double[] scores, String which) {
            if (scores == null) {
                throw new IllegalArgumentException(which + " scores must not be null");
            }
            if (scores.length == 0) {
                throw new IllegalArgumentException(which + " scores must not be empty");
            }
            for (int i = 0; i < scores.length; i++) {
                if (Double.isNaN(scores[i])) {
                    throw new IllegalArgumentException(
                            which + " scores contain NaN at index " + i + " (of " + scores.length + ")");
                }
            }
        }
    }
}
