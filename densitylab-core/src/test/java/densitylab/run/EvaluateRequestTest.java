package densitylab.run;

import densitylab.model.ScoreOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EvaluateRequestTest {
    /** Each with-method changes its own fields and keeps every other one, the fresh-samples flag included. */
    @Test
    void everyWithMethodKeepsTheOtherFields() {
        EvaluateRequest base = new EvaluateRequest(Path.of("run"), "in", List.of("out"), List.of("likelihood"),
                DataSettings.Selection.first(7), 11, ScoreOptions.defaults(), 13, 17, DataSettings.defaults(), List.of(Path.of("peer")))
                .withFreshSamples(true);
        ScoreOptions other = new ScoreOptions(3, 4, 0.5);
        DataSettings otherData = DataSettings.defaults();
        List<EvaluateRequest> changed = List.of(base.withScores(List.of("typicality")), base.withSelection(DataSettings.Selection.ALL),
                base.withFitting(1, 2, 3), base.withRuns(List.of()), base.withSettings(other, otherData));
        for (EvaluateRequest r : changed) {
            assertThat(r.freshSamples()).as(r.toString()).isTrue();
            assertThat(r.run()).isEqualTo(base.run());
            assertThat(r.in()).isEqualTo(base.in());
            assertThat(r.outs()).isEqualTo(base.outs());
        }
        assertThat(changed.get(0).scores()).containsExactly("typicality");
        assertThat(changed.get(0).with()).isEqualTo(base.with());
        assertThat(changed.get(1).selection()).isEqualTo(DataSettings.Selection.ALL);
        assertThat(changed.get(1).fitLimit()).isEqualTo(11);
        assertThat(changed.get(2).fitLimit()).isEqualTo(1);
        assertThat(changed.get(2).bootstrap()).isEqualTo(2);
        assertThat(changed.get(2).seed()).isEqualTo(3);
        assertThat(changed.get(2).scores()).isEqualTo(base.scores());
        assertThat(changed.get(3).with()).isEmpty();
        assertThat(changed.get(3).options()).isEqualTo(base.options());
        assertThat(changed.get(4).options()).isEqualTo(other);
        assertThat(changed.get(4).selection()).isEqualTo(base.selection());
    }
}
