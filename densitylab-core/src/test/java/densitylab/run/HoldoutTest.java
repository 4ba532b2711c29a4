package densitylab.run;

import densitylab.data.ImageSet;
import densitylab.model.ScoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** train's holdout: images kept out of training, recorded, and what combined and typicality are fitted on. */
class HoldoutTest {
    @TempDir
    Path tmp;

    private static final RunLog QUIET = RunLog.silent();

    @Test
    void heldOutImagesNeverTrainAndAreWhatScoresAreFittedOn() throws Exception {
        Path run = tmp.resolve("g");
        Training.train(TrainRequest.builder("gaussian", "fashion-mnist", run).limit(3000).holdout(1000).seed(4)
                .evalLimit(200).background(0.2).build(), QUIET);
        RunFolder rf = new RunFolder(run);
        Map<String, Object> config = rf.readConfig();
        assertThat(((Map<?, ?>) config.get("data")).get("count")).isEqualTo(2000);
        Map<?, ?> h = (Map<?, ?>) config.get("holdout");
        assertThat(h.get("count")).isEqualTo(1000);
        assertThat(((Map<?, ?>) rf.background().readConfig().get("holdout")).get("sha256")).isEqualTo(h.get("sha256"));

        DataSettings ds = DataSettings.defaults();
        ImageSet fit = RunScores.fitImages(rf, ds, ds.resolver(), new int[] {1, 28, 28}, 0, QUIET);
        assertThat(fit.size()).isEqualTo(1000);
        assertThat(fit.sha256()).isEqualTo(h.get("sha256"));
        // disjoint from the 2,000 images that trained the model, and together the first 3,000 of the training split
        ImageSet first = ds.resolver().load("fashion-mnist", "train").limit(3000);
        ImageSet.Split split = first.split(1000, 4);
        assertThat(split.kept().sha256()).isEqualTo(((Map<?, ?>) config.get("data")).get("sha256"));
        Set<String> trained = new HashSet<>();
        for (int i = 0; i < split.kept().size(); i++) {
            trained.add(java.util.Arrays.toString(split.kept().image(i)) + "#" + split.kept().label(i));
        }
        int seen = 0;
        for (int i = 0; i < fit.size(); i++) {
            seen += trained.contains(java.util.Arrays.toString(fit.image(i)) + "#" + fit.label(i)) ? 1 : 0;
        }
        assertThat(seen).isLessThan(5); // FashionMNIST holds a few exact duplicates, no more
        assertThat(RunScores.fitImages(rf, ds, ds.resolver(), new int[] {1, 28, 28}, 300, QUIET).size()).isEqualTo(300);

        // the combined score is fitted on the holdout and separates noise and constant images from the test split
        Evaluation.EvaluationResult r = Evaluation.evaluate(new EvaluateRequest(run, "fashion-mnist", List.of("noise", "constant"),
                List.of("likelihood", "combined"), DataSettings.Selection.first(500), 0, ScoreOptions.defaults(), 0, 0, ds), QUIET);
        r.outcome().rows().stream().filter(x -> x.score().equals("combined"))
                .forEach(x -> assertThat(x.metrics().auroc()).as(x.out()).isGreaterThan(0.95));

        // cached combined columns of another statistic set are computed again, not reused
        Path stamp = rf.scores().resolve("combined.statistics");
        assertThat(java.nio.file.Files.readString(stamp).strip()).isEqualTo("likelihood,likelihood-ratio,complexity-png-best;components<=16");
        java.nio.file.Files.writeString(stamp, "likelihood\n");
        List<String> notes = new java.util.ArrayList<>();
        RunLog noting = new RunLog() {
            @Override
            public void info(String line) {
            }

            @Override
            public void note(String line) {
                notes.add(line);
            }
        };
        Evaluation.EvaluationResult again = Evaluation.evaluate(new EvaluateRequest(run, "fashion-mnist", List.of("noise", "constant"),
                List.of("likelihood", "combined"), DataSettings.Selection.first(500), 0, ScoreOptions.defaults(), 0, 0, ds), noting);
        assertThat(notes).anySatisfy(n -> assertThat(n).contains("combined combines other statistics"));
        double[] before = r.outcome().scores().get("combined").get("noise");
        double[] after = again.outcome().scores().get("combined").get("noise");
        for (int i = 0; i < before.length; i++) { // the same fit again, to float rounding
            assertThat(after[i]).isCloseTo(before[i], org.assertj.core.api.Assertions.within(1e-9 * Math.abs(before[i]) + 1e-9));
        }

        // another run's model joins the combination, under its own name; a model of other data is refused
        Path other = tmp.resolve("p");
        Training.train(TrainRequest.builder("ppca", "fashion-mnist", other).limit(3000).holdout(1000).seed(4).evalLimit(200)
                .param("components", "5").build(), QUIET);
        Evaluation.EvaluationResult both = Evaluation.evaluate(new EvaluateRequest(run, "fashion-mnist", List.of("noise"),
                List.of("combined"), DataSettings.Selection.first(300), 0, ScoreOptions.defaults(), 0, 0, ds).withRuns(List.of(other)), QUIET);
        assertThat(both.outcome().rows().stream().map(x -> x.score()).toList())
                .contains("combined+p", "combined+p:likelihood", "combined+p:p:likelihood", "combined+p:complexity-png-best")
                .doesNotContain("combined+p:p:complexity-png-best");
        // a detector takes the other run's model too, and carries it in its bundle
        densitylab.detect.OodDetector d = DetectorFitting.fit(new DetectorFitting.DetectorRequest(run, "combined", "fashion-mnist",
                0.95, densitylab.detect.Preprocessing.Resize.REJECT, DataSettings.Selection.first(300), 0, ScoreOptions.defaults(),
                ds, List.of(other)));
        assertThat(d.fittedState().get("statistics").toString()).contains("p:likelihood");
        Path bundle = tmp.resolve("d.zip");
        d.save(bundle);
        ImageSet noise = ds.resolver().load("noise@28x28x1", "test").limit(50);
        assertThat(densitylab.detect.OodDetector.load(bundle).score(noise)).containsExactly(d.score(noise));
        assertThatThrownBy(() -> new DetectorFitting.DetectorRequest(run, "likelihood", "fashion-mnist", 0.95,
                densitylab.detect.Preprocessing.Resize.REJECT, DataSettings.Selection.first(300), 0, ScoreOptions.defaults(), ds,
                List.of(other))).hasMessageContaining("only the combined score");

        // columns cached before stamps existed are of unknown statistics: computed again too
        java.nio.file.Files.delete(stamp);
        notes.clear();
        Evaluation.evaluate(new EvaluateRequest(run, "fashion-mnist", List.of("noise", "constant"),
                List.of("likelihood", "combined"), DataSettings.Selection.first(500), 0, ScoreOptions.defaults(), 0, 0, ds), noting);
        assertThat(notes).anySatisfy(n -> assertThat(n).contains("combined combines other statistics"));

        Path mnist = tmp.resolve("m");
        Training.train(TrainRequest.builder("gaussian", "mnist", mnist).limit(500).evalLimit(100).build(), QUIET);
        assertThatThrownBy(() -> Evaluation.evaluate(new EvaluateRequest(run, "fashion-mnist", List.of("noise"), List.of("combined"),
                DataSettings.Selection.first(100), 0, ScoreOptions.defaults(), 0, 0, ds).withRuns(List.of(mnist)), QUIET))
                .hasMessageContaining("same data");

        assertThatThrownBy(() -> Training.train(TrainRequest.builder("gaussian", "fashion-mnist", tmp.resolve("h"))
                .limit(100).holdout(100).build(), QUIET)).hasMessageContaining("leaves none");
    }
}
