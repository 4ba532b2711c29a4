package densitylab.run;

import densitylab.model.ScoreOptions;
import densitylab.nn.ModelFiles;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The report reuses the sample grids train drew from the same model, and draws them anew when they are stale or asked. */
class SampleGridsTest {
    @TempDir
    Path tmp;

    private static final RunLog QUIET = RunLog.silent();

    @Test
    void theReportReusesTrainsGridsUnlessTheyAreStaleOrFreshOnesAreAsked() throws Exception {
        Path run = tmp.resolve("glow");
        Training.train(TrainRequest.builder("glow", "noise@8x8x1", run).param("preset", "tiny").limit(64).epochs(1).seed(2)
                .evalLimit(32).build(), QUIET);
        RunFolder rf = new RunFolder(run);
        assertThat(rf.samples()).isRegularFile();
        assertThat(rf.temperedSamples()).as("a flow samples at a temperature: train draws that grid too").isRegularFile();

        EvaluateRequest req = new EvaluateRequest(run, "noise@8x8x1", List.of("constant"), List.of("likelihood"),
                DataSettings.Selection.first(32), 0, ScoreOptions.defaults(), 0, 0, DataSettings.defaults());
        Evaluation.evaluate(req, QUIET);
        String report = Files.readString(rf.report());
        assertThat(report).contains("drawn by train (samples.png)").contains("drawn by train (samples-t0.7.png)");

        Evaluation.evaluate(req.withFreshSamples(true), QUIET);
        assertThat(Files.readString(rf.report())).doesNotContain("drawn by train").contains("samples at temperature 0.7");

        // a grid older than the model's files is another model's: drawn anew
        FileTime model = Files.getLastModifiedTime(rf.modelDir().resolve(ModelFiles.MANIFEST));
        Files.setLastModifiedTime(rf.samples(), FileTime.fromMillis(model.toMillis() - 60_000));
        Evaluation.evaluate(req, QUIET);
        report = Files.readString(rf.report());
        assertThat(report).doesNotContain("drawn by train (samples.png)").contains("drawn by train (samples-t0.7.png)");

        // train had no time for the tempered grid: the report does not draw one for minutes, unless asked
        Files.setLastModifiedTime(rf.samples(), FileTime.fromMillis(model.toMillis() + 60_000));
        Files.delete(rf.temperedSamples());
        Evaluation.evaluate(req, QUIET);
        assertThat(Files.readString(rf.report())).contains("drawn by train (samples.png)").doesNotContain("samples at temperature 0.7");
        Evaluation.evaluate(req.withFreshSamples(true), QUIET);
        assertThat(Files.readString(rf.report())).contains("samples at temperature 0.7");
    }
}
