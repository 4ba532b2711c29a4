package densitylab.eval;

import java.util.Arrays;

/**
 * The points of an ROC curve with OOD as the positive class, from (0, 0) to (1, 1), one point per distinct
 * threshold: {@code fpr[k]} is the fraction of in-distribution inputs and {@code tpr[k]} the fraction of OOD
 * inputs flagged (score {@code >= t}) at the k-th highest distinct score {@code t}. Both arrays are non-decreasing,
 * and the trapezoid area under the points equals {@link Metrics#auroc}. The arrays are copied in and out.
 *
 * @param fpr false-positive rates: fraction of in-distribution inputs flagged
 * @param tpr true-positive rates: fraction of OOD inputs flagged
 */
public record RocCurve(double[] fpr, double[] tpr) {

    /** Checks the arrays have equal length of at least 2 and copies them. */
    public RocCurve {
        if (fpr.length != tpr.length || fpr.length < 2) {
            throw new IllegalArgumentException("an ROC curve needs equally long fpr and tpr with at least 2 points, got "
                    + fpr.length + " and " + tpr.length);
        }
        fpr = fpr.clone();
        tpr = tpr.clone();
    }

    /** A copy of the false-positive rates. */
    @Override
    public double[] fpr() {
        return fpr.clone();
    }

    /** A copy of the true-positive rates. */
    @Override
    public double[] tpr() {
        return tpr.clone();
    }

    /** Number of points, i.e. distinct thresholds plus the (0, 0) "flag nothing" point. */
    public int size() {
        return fpr.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RocCurve r && Arrays.equals(fpr, r.fpr) && Arrays.equals(tpr, r.tpr);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(fpr) + Arrays.hashCode(tpr);
    }

    @Override
    public String toString() {
        return "RocCurve[" + size() + " points]";
    }
}
