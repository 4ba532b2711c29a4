package densitylab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import densitylab.run.DataSettings;
import densitylab.run.EvaluateRequest;
import densitylab.run.Evaluation;
import densitylab.run.RunFolder;
import densitylab.run.RunLog;
import densitylab.run.TrainRequest;
import densitylab.run.Training;
import densitylab.model.ScoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static densitylab.cli.CliEndToEndTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The run layer is the application: training and evaluating a run through its Java API alone gives the config.json
 * and results.json the command line gives for the same request.
 */
class RunLayerApiTest {
    @TempDir
    Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void javaApiAndCommandLineWriteTheSameRun() throws Exception {
        Path viaCli = tmp.resolve("cli");
        Path viaApi = tmp.resolve("api");
        CliEndToEndTest.Run t = cli("train", "--model", "gaussian", "--data", "fashion-mnist", "--limit", "1500", "--eval-limit", "300",
                "--background", "0.2", "--seed", "3", "--run", viaCli.toString());
        assertThat(t.code()).as(t.err()).isZero();
        Training.TrainResult trained = Training.train(TrainRequest.builder("gaussian", "fashion-mnist", viaApi).limit(1500)
                .evalLimit(300).background(0.2).seed(3).build(), RunLog.of(System.out, System.err));
        assertThat(trained.run().background().hasModel()).isTrue();

        JsonNode a = JSON.readTree(new RunFolder(viaCli).config().toFile());
        JsonNode b = JSON.readTree(new RunFolder(viaApi).config().toFile());
        for (String field : List.of("model", "params", "seed", "data", "test_data", "training", "status")) {
            assertThat(b.get(field)).as(field).isEqualTo(a.get(field));
        }
        for (String field : List.of("train_bpd", "train_bpd_images", "test_bpd", "test_bpd_images")) {
            assertThat(b.get("result").get(field)).as(field).isEqualTo(a.get("result").get(field));
        }
        assertThat(JSON.readTree(new RunFolder(viaApi).background().config().toFile()).get("background"))
                .isEqualTo(JSON.readTree(new RunFolder(viaCli).background().config().toFile()).get("background"));

        List<String> scores = List.of("likelihood", "typicality", "likelihood-ratio");
        CliEndToEndTest.Run e = cli("evaluate", "--run", viaCli.toString(), "--in", "fashion-mnist", "--out", "mnist", "noise",
                "--limit", "300", "--fit-limit", "500", "--bootstrap", "20", "--seed", "5", "--score", String.join(",", scores));
        assertThat(e.code()).as(e.err()).isZero();
        Evaluation.EvaluationResult r = Evaluation.evaluate(new EvaluateRequest(viaApi, "fashion-mnist", List.of("mnist", "noise"),
                scores, DataSettings.Selection.first(300), 500, ScoreOptions.defaults(), 20, 5, DataSettings.defaults()),
                RunLog.of(System.out, System.err));
        assertThat(r.outcome().rows()).hasSize(scores.size() * 2);

        JsonNode ra = JSON.readTree(new RunFolder(viaCli).results().toFile());
        JsonNode rb = JSON.readTree(new RunFolder(viaApi).results().toFile());
        assertThat(rb.get("results")).isEqualTo(ra.get("results"));
        assertThat(rb.get("bpd")).isEqualTo(ra.get("bpd"));
        assertThat(rb.get("score_means")).isEqualTo(ra.get("score_means"));
        assertThat(rb.get("results").size()).isEqualTo(6);
        // the metrics mean something: noise is far from FashionMNIST under the Gaussian's likelihood, and the likelihood
        // ratio used the background model (its values are not the likelihood's)
        for (JsonNode row : rb.get("results")) {
            if (row.get("score").asText().equals("likelihood") && row.get("out").asText().equals("noise")) {
                assertThat(row.get("auroc").asDouble()).isGreaterThan(0.99);
            }
        }
        assertThat(r.outcome().scores().get("likelihood-ratio").get("mnist"))
                .isNotEqualTo(r.outcome().scores().get("likelihood").get("mnist"));
    }

    @Test
    void aRandomSampleKeepsEveryClassWhereTheFirstImagesOfASortedSetDoNot() throws Exception {
        byte[] pixels = new byte[1000];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7);
        }
        densitylab.data.ImageSet sorted = densitylab.data.ImageSet.of("sorted", 1, 1, 1, pixels, sortedLabels(1000));
        assertThat(java.util.Arrays.stream(DataSettings.Selection.first(100).apply(sorted).labels()).distinct().count()).isEqualTo(1);
        densitylab.data.ImageSet s = DataSettings.Selection.random(100, 7).apply(sorted);
        assertThat(s.size()).isEqualTo(100);
        assertThat(java.util.Arrays.stream(s.labels()).distinct().count()).isEqualTo(10);
        assertThat(s.labels()).isSorted(); // original order kept
        assertThat(DataSettings.Selection.random(100, 7).apply(sorted).pixels()).isEqualTo(s.pixels()); // seeded
        assertThat(DataSettings.Selection.random(100, 8).apply(sorted).pixels()).isNotEqualTo(s.pixels());
    }

    private static int[] sortedLabels(int n) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = i * 10 / n;
        }
        return l;
    }
}
