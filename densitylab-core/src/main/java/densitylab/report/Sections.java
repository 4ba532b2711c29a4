package densitylab.report;

import densitylab.data.ImageStats;
import densitylab.eval.BatchTypicality;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Report sections shared by the evaluate and reproduce reports. */
public final class Sections {
    private Sections() {
    }

    /** The batch typicality test: detection rate against M for each OOD set, the false alarms, and a table. */
    public static ReportData.Section typicality(String id, String title, BatchTypicality.Result t) {
        double[] xs = new double[t.batchSizes().length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = t.batchSizes()[i];
        }
        Map<String, double[]> ys = new LinkedHashMap<>(t.detection());
        ys.put("reference: in-distribution (false alarms)", t.falseAlarms());
        List<String> header = new ArrayList<>(List.of("set"));
        for (int m : BatchTypicality.SHOWN_M) {
            header.add("M = " + m);
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("in-distribution (false alarms)", t, t.falseAlarms()));
        t.detection().forEach((set, v) -> rows.add(row(set, t, v)));
        String p = String.format(Locale.ROOT, "Nalisnick et al. (2019b): a batch of M inputs is flagged when |mean bits/dim - H| "
                + "exceeds a threshold set for %.0f%% false alarms by bootstrap batches of held-out in-distribution data "
                + "(H = %.4f bits/dim, the held-out mean). Half of the in-distribution test set calibrates, the other half "
                + "measures the false alarms.", 100 * t.alpha(), t.entropy());
        return new ReportData.Section(id, title, List.of(p),
                List.of(new ReportData.Table(id + "-table", header, rows, Set.of())),
                List.of(new ReportData.Grid("detection rate of batches of M inputs",
                        Charts.lines(title, "batch size M", "fraction of batches flagged", xs, ys))));
    }

    private static List<String> row(String name, BatchTypicality.Result t, double[] values) {
        List<String> r = new ArrayList<>(List.of(name));
        for (int m : BatchTypicality.SHOWN_M) {
            r.add(fmt(t.at(values, m)));
        }
        return r;
    }

    /**
     * Each set's per-channel pixel mean and variance beside its bits/dim under each model (Nalisnick et al. 2019:
     * the sets with the lower variance get the higher likelihood).
     *
     * @param stats set -> its statistics
     * @param bpd   model -> (set -> mean bits/dim); sets a model lacks show as blank
     */
    public static ReportData.Table dataStatistics(String id, Map<String, ImageStats> stats, Map<String, Map<String, Double>> bpd) {
        List<String> header = new ArrayList<>(List.of("set", "pixel mean (per channel)", "pixel variance (per channel)",
                "share of pixels at 0"));
        bpd.keySet().forEach(m -> header.add(m + " bits/dim"));
        List<List<String>> rows = new ArrayList<>();
        stats.forEach((set, s) -> {
            List<String> r = new ArrayList<>();
            r.add(set);
            StringBuilder mean = new StringBuilder();
            StringBuilder var = new StringBuilder();
            for (int c = 0; c < s.mean().length; c++) {
                mean.append(c == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.1f", s.mean()[c]));
                var.append(c == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.0f", s.std()[c] * s.std()[c]));
            }
            r.add(mean.toString());
            r.add(var.toString());
            r.add(fmt(s.zeroShare()));
            bpd.values().forEach(m -> r.add(m.containsKey(set) ? fmt(m.get(set)) : ""));
            rows.add(r);
        });
        return new ReportData.Table(id, header, rows, Set.of());
    }

    /** Three decimals, locale-independent. */
    public static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
