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
        // every model leaves 5,000 training images out, which the fitted scores are fitted on
        JsonNode config = new ObjectMapper().readTree(dir.resolve("glow/config.json").toFile());
        assertThat(config.get("holdout").get("count").asInt()).isEqualTo(5000);
        assertThat(config.get("data").get("count").asInt()).isEqualTo(55000);
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
        Path scores = dir.resolve("glow/scores").resolve(densitylab.eval.ScoreTable.fileName("mnist"));
        java.nio.file.attribute.FileTime written = Files.getLastModifiedTime(scores);
        CliEndToEndTest.Run again = cli(args);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("reusing the trained runs in " + dir.resolve("glow"));
        assertThat(Files.getLastModifiedTime(scores)).isEqualTo(written);
    }

    @Test
    void reproduceRunsOn32x32ColourImages() throws Exception {
        // CIFAR-10-format files stand in for CIFAR-10 and SVHN, which cannot be fetched here: the same code path
        // (32x32x3 models, RGB PNG compression, colour transforms) with random pixels
        Path in = tmp.resolve("cifar-like.bin");
        Path out = tmp.resolve("svhn-like.bin");
        densitylab.data.CifarBinary.write(colourSet(1, 200), in, densitylab.data.CifarBinary.Variant.CIFAR10);
        densitylab.data.CifarBinary.write(colourSet(2, 80), out, densitylab.data.CifarBinary.Variant.CIFAR10);
        Path dir = tmp.resolve("c");
        CliEndToEndTest.Run r = cli("reproduce", "--dir", dir.toString(), "--in", in.toString(), "--out", out.toString(),
                "noise", "--models", "glow", "--preset", "tiny", "--minutes-per-model", "0.02", "--ensemble", "2", "--limit", "60");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode results = new ObjectMapper().readTree(dir.resolve("glow/results.json").toFile());
        assertThat(results.get("data").get(in.toString()).get("shape").toString()).isEqualTo("[3,32,32]");
        java.util.Set<String> scores = new java.util.HashSet<>();
        results.get("results").forEach(x -> scores.add(x.get("score").asText()));
        assertThat(scores).contains("likelihood", "input-complexity", "likelihood-ratio", "waic");
        assertThat(results.get("in").asText()).isEqualTo("cifar-like.bin"); // a path is shown by its file name
        assertThat(Files.readString(dir.resolve("report.html"))).contains("svhn-like.bin");
    }

    private static densitylab.data.ImageSet colourSet(long seed, int n) {
        java.util.Random r = new java.util.Random(seed);
        byte[] px = new byte[n * 3 * 32 * 32];
        for (int i = 0; i < n; i++) { // smooth colour gradients, a different one per image
            int a = r.nextInt(200);
            int b = r.nextInt(200);
            for (int c = 0; c < 3; c++) {
                for (int k = 0; k < 1024; k++) {
                    px[i * 3072 + c * 1024 + k] = (byte) (a * (k % 32) / 32 + b * (k / 32) / 32 + 20 * c);
                }
            }
        }
        int[] labels = new int[n];
        return densitylab.data.ImageSet.of("colour", 3, 32, 32, px, labels);
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
        assertThat(bg.get("seed").asLong()).isEqualTo(densitylab.run.Training.BACKGROUND_SEED_OFFSET);
        // the background saw perturbed images: its bits/dim on clean test images differ from the model's
        assertThat(bg.get("result").get("test_bpd").asDouble()).isNotEqualTo(
                new ObjectMapper().readTree(run.resolve("config.json").toFile()).get("result").get("test_bpd").asDouble());
        CliEndToEndTest.Run e = cli("evaluate", "--run", run.toString(), "--in", "fashion-mnist", "--out", "mnist", "--limit", "200",
                "--bootstrap", "0");
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out()).contains("likelihood-ratio", "waic", "input-complexity", "batch typicality test");
    }

    @Test
    void resumeAddsABackgroundToAFinishedRunAndForceRemovesTheOldRelatedModels() throws Exception {
        Path run = tmp.resolve("b");
        String[] base = {"train", "--model", "gaussian", "--data", "fashion-mnist", "--limit", "1000", "--run", run.toString()};
        assertThat(cli(base).code()).isZero();
        java.nio.file.attribute.FileTime mainWritten = Files.getLastModifiedTime(run.resolve("model/model.json"));
        CliEndToEndTest.Run e = cli("evaluate", "--run", run.toString(), "--in", "fashion-mnist", "--out", "noise", "--limit", "50",
                "--bootstrap", "0");
        assertThat(e.code()).as(e.err()).isZero();

        CliEndToEndTest.Run add = cli(CliEndToEndTest.with(base, "--resume", "--background", "0.3", "--background-minutes", "1"));
        assertThat(add.code()).as(add.err()).isZero();
        assertThat(add.out()).contains("kept the finished model in " + run);
        assertThat(Files.getLastModifiedTime(run.resolve("model/model.json"))).isEqualTo(mainWritten);
        assertThat(run.resolve("background/model/model.json")).isRegularFile();
        // another rate retrains the background; the same rate keeps it
        CliEndToEndTest.Run same = cli(CliEndToEndTest.with(base, "--resume", "--background", "0.3"));
        assertThat(same.out()).contains("kept the finished likelihood-ratio background");
        CliEndToEndTest.Run other = cli(CliEndToEndTest.with(base, "--resume", "--background", "0.1"));
        assertThat(other.out()).contains("training the likelihood-ratio background, pixel replacement 0.1");

        assertThat(cli(CliEndToEndTest.with(base, "--force", "--ensemble", "2")).code()).isZero();
        assertThat(run.resolve("background")).doesNotExist(); // it belonged to the replaced model
        assertThat(run.resolve("ensemble/member-2/model/model.json")).isRegularFile();
        assertThat(run.resolve("scores")).doesNotExist();
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
        assertThat(densitylab.run.Evaluation.shortNames("fashion-mnist", java.util.List.of(f.toString(), f + "+invert")))
                .containsEntry(f.toString(), "kmnist-idx3-ubyte").containsEntry(f + "+invert", "kmnist-idx3-ubyte+invert");
        Path g = Files.createDirectories(tmp.resolve("other")).resolve("kmnist-idx3-ubyte");
        Files.write(g, new byte[] {1});
        assertThat(densitylab.run.Evaluation.shortNames("fashion-mnist", java.util.List.of(f.toString(), g.toString())))
                .containsEntry(f.toString(), f.toString()); // two files of one name keep their paths
    }
}
