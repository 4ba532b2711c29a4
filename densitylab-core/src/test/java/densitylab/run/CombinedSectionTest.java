package densitylab.run;

import densitylab.eval.Experiment;
import densitylab.eval.Metrics;
import densitylab.report.ReportData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The report's "what drives the combination" table: one row a statistic, a code's coordinates folded into one. */
class CombinedSectionTest {
    @Test
    void eachStatisticGetsItsEitherTailAurocAndACodesCoordinatesShareTheBestRow() {
        double[] in = {1, 2, 3, 4};
        Map<String, Map<String, double[]>> scores = new LinkedHashMap<>();
        // per statistic and OOD set: values chosen so that the AUROCs are 1, 0 (-> either tail 1) and 0.5-ish
        scores.put("combined", Map.of("a", new double[] {5, 6, 7, 8}, "b", new double[] {0, 0, 9, 9}));
        scores.put("combined:rate", Map.of("a", new double[] {0, 0, 0, 0}, "b", new double[] {2.5, 2.5, 2.5, 2.5}));
        scores.put("combined:latent-1", Map.of("a", new double[] {9, 9, 9, 9}, "b", new double[] {2.5, 2.5, 2.5, 2.5}));
        scores.put("combined:latent-2", Map.of("a", new double[] {2.5, 2.5, 2.5, 2.5}, "b", new double[] {0, 0, 0, 0}));
        List<Experiment.Row> rows = new ArrayList<>();
        Map<String, Double> expected = new LinkedHashMap<>();
        scores.forEach((score, sets) -> sets.forEach((set, out) -> {
            var m = Metrics.evaluate(in, out);
            rows.add(new Experiment.Row(score, set, m, null));
            expected.put(score + "/" + set, m.auroc());
        }));
        rows.sort(java.util.Comparator.comparing(Experiment.Row::out)); // sets a, then b
        Experiment.Outcome outcome = new Experiment.Outcome(Map.of(), rows, scores, null);

        ReportData.Table t = Evaluation.combinedSection(outcome, "in").orElseThrow().tables().get(0);
        assertThat(t.header()).containsExactly("statistic", "a", "b");
        assertThat(t.rows()).hasSize(3);
        assertThat(t.rows().get(0)).containsExactly("combined", fmt(expected.get("combined/a")), fmt(expected.get("combined/b")));
        // rate: AUROC 0 against a is a perfect separation by the other tail
        assertThat(expected.get("combined:rate/a")).isEqualTo(0.0);
        assertThat(t.rows().get(1)).containsExactly("rate", "1.000", fmt(Math.max(expected.get("combined:rate/b"), 1 - expected.get("combined:rate/b"))));
        // the two coordinates: per set the better of them (latent-1 against a, latent-2 against b)
        assertThat(t.rows().get(2)).containsExactly("latent-1..2 (the best coordinate alone)", "1.000", "1.000");
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.3f", v);
    }
}
