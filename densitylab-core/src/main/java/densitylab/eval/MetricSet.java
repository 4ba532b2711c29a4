package densitylab.eval;

/**
 * The standard OOD-detection metrics for one (in-distribution, OOD) score pair; see {@link Metrics}
 * for the exact definition of each field. Scores are oriented so that higher = more anomalous.
 *
 * @param auroc area under the ROC curve, OOD positive (ties count half)
 * @param auprIn average precision, in-distribution positive, ranked by -score
 * @param auprOut average precision, OOD positive, ranked by score
 * @param fpr95 fraction of OOD inputs accepted at the threshold that keeps 95% of in-distribution inputs
 * @param detectionError min over thresholds of 0.5 * (1 - TPR_in) + 0.5 * FPR_out
 */
public record MetricSet(double auroc, double auprIn, double auprOut, double fpr95, double detectionError) {}
