package densitylab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static densitylab.cli.CliEndToEndTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

/** reproduce end to end on tiny sizes, and the train options it relies on. */
class ReproduceTest {
    @TempDir
    Path tmp;

    @Test
    void quickReproduceOnTinySizesWritesEveryScoreAndTheReportAndReusesItsRuns() throws Exception {
        Path dir = tmp.resolve("r");
        String[] args = {"reproduce", "--quick", "--dir", dir.toString(), "--models", "glow", "gaussian", "--preset", "tiny",
                "--minutes-per-model", "0.03", "--limit", "120"};
        CliEndToEndTest.Run r = cli(args);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(dir.resolve("glow/background/model/model.json")).isRegularFile();
        assertThat(dir.resolve("gaussian/background/model/model.json")).isRegularFile();
        JsonNode results = new ObjectMapper().readTree(dir.resolve("glow/results.json").toFile());
        java.util.Set<String> pairs = new java.util.HashSet<>();
        results.get("results").forEach(x -> pairs.add(x.get("score").asText() + "/" + x.get("out").asText()));
        for (String score : new String[] {"likelihood", "typicality", "input-complexity", "input-complexity-bzip2", "likelihood-ratio"}) {
            for (String out : new String[] {"mnist", "noise", "constant", "fashion-mnist+invert", "fashion-mnist+vflip"}) {
                assertThat(pairs).contains(score + "/" + out);
            }
        }
        assertThat(results.get("batch_typicality").get("detection").get("mnist").size()).isEqualTo(25);
        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).contains("id=\"auroc-table\"", "likelihood-ratio", "input-complexity-bzip2", "0.994",
                "Batch typicality test: glow", "Variance experiment: glow", "samples from glow", "id=\"bpd\"");
        assertThat(r.out()).contains("AUROC against mnist: likelihood -> best score");

        // a second call reuses the trained runs and the cached scores
        CliEndToEndTest.Run again = cli(args);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("reusing the trained runs in " + dir.resolve("glow"));
    }

    @Test
    void trainsAnEnsembleAndABackgroundThatWaicAndTheLikelihoodRatioUse() throws Exception {
        Path run = tmp.resolve("g");
        CliEndToEndTest.Run t = cli("train", "--model", "gaussian", "--data", "fashion-mnist", "--limit", "2000", "--run",
                run.toString(), "--ensemble", "3", "--background", "0.2");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(run.resolve("ensemble/member-2/model/model.json")).isRegularFile();
        assertThat(run.resolve("ensemble/member-3/model/model.json")).isRegularFile();
        JsonNode bg = new ObjectMapper().readTree(run.resolve("background/config.json").toFile());
        assertThat(bg.get("background").get("pixel_replacement").asDouble()).isEqualTo(0.2);
        assertThat(bg.get("seed").asLong()).isEqualTo(TrainCommand.BACKGROUND_SEED_OFFSET);
        // the background saw perturbed images: its bits/dim on clean test images differ from the model's
        assertThat(bg.get("result").get("test_bpd").asDouble()).isNotEqualTo(
                new ObjectMapper().readTree(run.resolve("config.json").toFile()).get("result").get("test_bpd").asDouble());
        CliEndToEndTest.Run e = cli("evaluate", "--run", run.toString(), "--in", "fashion-mnist", "--out", "mnist", "--limit", "200",
                "--bootstrap", "0");
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out()).contains("likelihood-ratio", "waic", "input-complexity", "batch typicality test");
    }

    @Test
    void scoresAreSeparatedBySpacesOrCommas() {
        EvaluateCommand spaces = new EvaluateCommand();
        new CommandLine(spaces).parseArgs("--run", "x", "--in", "a", "--out", "b", "c", "--score", "elbo", "iwae");
        assertThat(spaces.scoring.scores).containsExactly("elbo", "iwae");
        assertThat(spaces.outs).containsExactly("b", "c");
        EvaluateCommand commas = new EvaluateCommand();
        new CommandLine(commas).parseArgs("--run", "x", "--in", "a", "--score", "elbo,iwae", "reconstruction", "--out", "b");
        assertThat(commas.scoring.scores).containsExactly("elbo", "iwae", "reconstruction");
    }

    @Test
    void filePathsGetShortNamesInTablesWhileTheirSpecsStayInTheResults() throws Exception {
        Path f = Files.createDirectories(tmp.resolve("deep/folder")).resolve("kmnist-idx3-ubyte");
        Files.write(f, new byte[] {1});
        assertThat(densitylab.data.DataResolver.shortName(f.toString())).isEqualTo("kmnist-idx3-ubyte");
        assertThat(densitylab.data.DataResolver.shortName(f + "+invert")).isEqualTo("kmnist-idx3-ubyte+invert");
        assertThat(densitylab.data.DataResolver.shortName("mnist:test+vflip")).isEqualTo("mnist:test+vflip");
        assertThat(EvaluateCommand.shortNames("fashion-mnist", java.util.List.of(f.toString(), f + "+invert")))
                .containsEntry(f.toString(), "kmnist-idx3-ubyte").containsEntry(f + "+invert", "kmnist-idx3-ubyte+invert");
        Path g = Files.createDirectories(tmp.resolve("other")).resolve("kmnist-idx3-ubyte");
        Files.write(g, new byte[] {1});
        assertThat(EvaluateCommand.shortNames("fashion-mnist", java.util.List.of(f.toString(), g.toString())))
                .containsEntry(f.toString(), f.toString()); // two files of one name keep their paths
    }
}
