package densitylab.eval;

import java.util.List;
import java.util.Map;

/** Plain-text tables of an {@link Experiment.Outcome} for the terminal. */
public final class ResultTable {
    private ResultTable() {
    }

    /** The bits/dim per set (if any) and one line per (score, OOD set) with the four metrics. */
    public static String format(Experiment.Outcome o) {
        StringBuilder b = new StringBuilder();
        if (!o.bitsPerDim().isEmpty()) {
            b.append(String.format("%-32s %10s%n", "set", "bits/dim"));
            for (Map.Entry<String, Double> e : o.bitsPerDim().entrySet()) {
                b.append(String.format("%-32s %10.4f%n", e.getKey(), e.getValue()));
            }
            b.append('\n');
        }
        b.append(String.format("%-12s %-28s %7s %8s %8s %7s %s%n", "score", "OOD set", "AUROC", "AUPR-in", "AUPR-out", "FPR@95", "AUROC 95% CI"));
        List<Experiment.Row> rows = o.rows();
        for (Experiment.Row r : rows) {
            MetricSet m = r.metrics();
            b.append(String.format("%-12s %-28s %7.3f %8.3f %8.3f %7.3f %s%n", r.score(), r.out(), m.auroc(), m.auprIn(), m.auprOut(),
                    m.fpr95(), r.aurocCi() == null ? "" : String.format("[%.3f, %.3f]", r.aurocCi().low(), r.aurocCi().high())));
        }
        return b.toString();
    }
}
