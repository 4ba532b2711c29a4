package densitylab.eval;

import java.util.List;
import java.util.Map;

/** Plain-text tables of an {@link Experiment.Outcome} for the terminal. */
public final class ResultTable {
    private ResultTable() {
    }

    /** The bits/dim per set (if any), each score's mean per set, and one line per (score, OOD set) with the four metrics. */
    public static String format(Experiment.Outcome o) {
        StringBuilder b = new StringBuilder();
        if (!o.bitsPerDim().isEmpty()) {
            b.append(String.format("%-32s %10s%n", "set", "bits/dim"));
            for (Map.Entry<String, Double> e : o.bitsPerDim().entrySet()) {
                b.append(String.format("%-32s %10.4f%n", e.getKey(), e.getValue()));
            }
            b.append('\n');
        }
        Map<String, Map<String, Double>> means = o.means();
        if (!means.isEmpty()) {
            b.append(String.format("%-32s", "mean score"));
            means.keySet().forEach(k -> b.append(String.format(" %18s", k)));
            b.append('\n');
            for (String set : means.values().iterator().next().keySet()) {
                b.append(String.format("%-32s", set));
                means.values().forEach(m -> b.append(String.format(" %18.4f", m.getOrDefault(set, Double.NaN))));
                b.append('\n');
            }
            b.append('\n');
        }
        List<Experiment.Row> rows = o.rows();
        int w = Math.max(12, rows.stream().mapToInt(r -> r.score().length()).max().orElse(0));
        String head = "%-" + w + "s %-28s %7s %8s %8s %7s %s%n";
        String line = "%-" + w + "s %-28s %7.3f %8.3f %8.3f %7.3f %s%n";
        b.append(String.format(head, "score", "OOD set", "AUROC", "AUPR-in", "AUPR-out", "FPR@95", "AUROC 95% CI"));
        for (Experiment.Row r : rows) {
            MetricSet m = r.metrics();
            b.append(String.format(line, r.score(), r.out(), m.auroc(), m.auprIn(), m.auprOut(),
                    m.fpr95(), r.aurocCi() == null ? "" : String.format("[%.3f, %.3f]", r.aurocCi().low(), r.aurocCi().high())));
        }
        if (o.typicalityTest() != null) {
            b.append('\n').append(typicality(o.typicalityTest()));
        }
        return b.toString();
    }

    /** The batch typicality test: false alarms and each OOD set's detection rate at a few batch sizes. */
    public static String typicality(BatchTypicality.Result t) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("batch typicality test (Nalisnick et al. 2019b): |mean bits/dim of M inputs - %.4f| against "
                + "thresholds for %.0f%% false alarms%n", t.entropy(), 100 * t.alpha()));
        b.append(String.format("%-32s", "detection rate at M ="));
        for (int m : BatchTypicality.SHOWN_M) {
            b.append(String.format(" %6d", m));
        }
        b.append('\n');
        b.append(String.format("%-32s", "in-distribution (false alarms)"));
        for (int m : BatchTypicality.SHOWN_M) {
            b.append(String.format(" %6.3f", t.at(t.falseAlarms(), m)));
        }
        b.append('\n');
        for (String set : t.detection().keySet()) {
            b.append(String.format("%-32s", set));
            for (int m : BatchTypicality.SHOWN_M) {
                b.append(String.format(" %6.3f", t.detectionAt(set, m)));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
