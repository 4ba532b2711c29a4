package densitylab.cli;

import densitylab.run.RunFolder;
import densitylab.io.Trees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The train -> evaluate path through the real CLI on real data (small limits keep it fast). */
class CliEndToEndTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void detectorFitWritesABundleAndDetectStreamsARowPerInputWithErrorsForBadOnes() throws Exception {
        Path run = tmp.resolve("gauss");
        Run t = cli("train", "--model", "gaussian", "--data", "fashion-mnist", "--limit", "2000", "--run", run.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(run.resolve("model").resolve("manifest.sha256")).isRegularFile();
        Path bundle = tmp.resolve("detector.zip");
        Run f = cli("detector", "fit", "--run", run.toString(), "--score", "likelihood", "--data", "fashion-mnist", "--limit", "500",
                "--tpr", "0.9", "--out", bundle.toString());
        assertThat(f.code()).as(f.err()).isZero();
        assertThat(f.out()).contains("keeps 0.9000 of 500 validation images");

        densitylab.data.DataResolver r = new densitylab.data.DataResolver(densitylab.data.Fetcher.fromEnvironment());
        Path images = tmp.resolve("images");
        densitylab.data.ImageFolder.write(r.load("mnist", "test").limit(3), images.resolve("mnist"));
        Files.createDirectories(images.resolve("empty-not-listed"));
        Files.writeString(images.resolve("corrupt.png"), "not a png");
        byte[] png;
        try (java.util.stream.Stream<Path> w = Files.walk(images.resolve("mnist"))) {
            png = Files.readAllBytes(w.filter(p -> p.toString().endsWith(".png")).sorted().findFirst().orElseThrow());
        }
        Files.write(images.resolve("truncated.png"), java.util.Arrays.copyOf(png, png.length / 2));
        densitylab.data.ImageFolder.write(densitylab.data.Synthetic.generate("noise", 1, 1, 32, 32, 1), images.resolve("big"));
        Files.createSymbolicLink(images.resolve("loop"), images); // a link back up the tree is not followed
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path dangling = Files.createSymbolicLink(tmp.resolve("dangling.png"), tmp.resolve("nowhere.png"));
        Path csv = tmp.resolve("out.csv");
        Run d = cli("detect", "--detector", bundle.toString(), "--out", csv.toString(), images.toString(), empty.toString(),
                dangling.toString(), "no-such-set");
        assertThat(d.code()).as(d.err()).isEqualTo(DetectCommand.SOME_INPUTS_FAILED);
        java.util.List<String> rows = Files.readAllLines(csv);
        assertThat(rows.get(0)).isEqualTo("path,score,threshold,verdict,error");
        assertThat(rows).hasSize(1 + 3 + 1 + 1 + 1 + 1 + 1 + 1);
        assertThat(rows.stream().filter(x -> x.contains("/mnist/")))
                .hasSize(3).allSatisfy(x -> assertThat(x).matches(".*,[-0-9.eE]+,[-0-9.eE]+,(ood|in),$"));
        assertThat(rows).anySatisfy(x -> assertThat(x).contains("corrupt.png").contains(",error,"));
        assertThat(rows).anySatisfy(x -> assertThat(x).contains("truncated.png").contains(",error,"));
        assertThat(rows).anySatisfy(x -> assertThat(x).contains("/big/").contains("32x32 pixels, and the model takes 28x28"));
        assertThat(rows).anySatisfy(x -> assertThat(x).startsWith(empty.toString()).contains("no image files in this folder"));
        assertThat(rows).anySatisfy(x -> assertThat(x).startsWith(dangling.toString()).contains(",error,"));
        assertThat(rows).anySatisfy(x -> assertThat(x).startsWith("no-such-set,").contains("neither a file"));

        Run ok = cli("detect", "--detector", bundle.toString(), images.resolve("mnist").toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out().lines().count()).isEqualTo(4);

        Run broken = cli("detect", "--detector", images.resolve("corrupt.png").toString(), images.toString());
        assertThat(broken.code()).isEqualTo(1);
        assertThat(broken.err()).contains("not a complete zip file");
    }

    @Test
    void keygenSignAndTrustRefuseBundlesNotSignedByATrustedKey() throws Exception {
        Path run = tmp.resolve("gauss");
        assertThat(cli("train", "--model", "gaussian", "--data", "fashion-mnist", "--limit", "500", "--run", run.toString()).code()).isZero();
        Path alice = tmp.resolve("alice.key");
        Path bob = tmp.resolve("bob.key");
        Run k = cli("detector", "keygen", "--out", alice.toString());
        assertThat(k.code()).as(k.err()).isZero();
        assertThat(k.out()).contains("public " + alice + ".pub");
        assertThat(cli("detector", "keygen", "--out", bob.toString()).code()).isZero();
        Run again = cli("detector", "keygen", "--out", alice.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("exists already");

        Path signed = tmp.resolve("signed.zip");
        Run f = cli("detector", "fit", "--run", run.toString(), "--score", "likelihood", "--data", "fashion-mnist", "--limit", "200",
                "--out", signed.toString(), "--sign", alice.toString());
        assertThat(f.code()).as(f.err()).isZero();
        assertThat(f.out()).contains("signed by key");
        Path unsigned = tmp.resolve("unsigned.zip");
        assertThat(cli("detector", "fit", "--run", run.toString(), "--score", "likelihood", "--data", "fashion-mnist", "--limit", "200",
                "--out", unsigned.toString()).code()).isZero();

        String in = "fashion-mnist+class=0";
        Run trusted = cli("detect", "--detector", signed.toString(), "--trust", alice + ".pub", in);
        assertThat(trusted.code()).as(trusted.err()).isZero();
        Run plain = cli("detect", "--detector", signed.toString(), in);
        assertThat(plain.out()).as("a signed bundle loads where no trust is asked, with the same scores").isEqualTo(trusted.out());

        Run noSig = cli("detect", "--detector", unsigned.toString(), "--trust", alice + ".pub", in);
        assertThat(noSig.code()).isEqualTo(1);
        assertThat(noSig.err()).contains("not signed");
        Run other = cli("detect", "--detector", signed.toString(), "--trust", bob + ".pub", in);
        assertThat(other.code()).isEqualTo(1);
        assertThat(other.err()).contains("not a trusted key");

        Run serve = cli("serve", "--detector", unsigned.toString(), "--trust", alice + ".pub", "--port", "0");
        assertThat(serve.code()).as("serve refuses to start").isEqualTo(1);
        assertThat(serve.err()).contains("unsigned.zip").contains("not signed");
        Path tampered = tmp.resolve("tampered.zip");
        byte[] bytes = Files.readAllBytes(signed);
        Files.write(tampered, java.util.Arrays.copyOf(bytes, bytes.length - 64));
        Run broken = cli("serve", "--detector", unsigned.toString(), "--detector", tampered.toString(), "--port", "0");
        assertThat(broken.code()).as("a tampered bundle stops start-up").isEqualTo(1);
        assertThat(broken.err()).contains("tampered.zip").doesNotContain("serving");
        Run nothing = cli("serve");
        assertThat(nothing.code()).isNotZero();
        assertThat(nothing.err()).contains("nothing to serve");

        Run s = cli("detector", "sign", unsigned.toString(), "--key", bob.toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(cli("detect", "--detector", unsigned.toString(), "--trust", alice + ".pub," + bob + ".pub", in).code()).isZero();
    }

    @Test
    void auditWritesItsPageAndNumbersForAGanAndRefusesAFeatureRunThatIsNoVae() throws Exception {
        Path run = tmp.resolve("audited");
        Run t = cli("train", "--model", "dcgan", "--param", "preset=tiny", "--data", "fashion-mnist", "--limit", "256",
                "--epochs", "1", "--batch-size", "32", "--run", run.toString());
        assertThat(t.code()).as(t.err()).isZero();
        String[] common = {"audit", "--run", run.toString(), "--samples", "100", "--train-limit", "2000", "--test-limit", "600",
                "--classifier-cache", tmp.resolve("cache").toString()};
        Run a = cli(common);
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("classifier: ").contains("trained now").contains("Frechet distance").contains("pixel: ")
                .contains("coverage: ");
        assertThat(run.resolve("audit.html")).isRegularFile();
        String html = Files.readString(run.resolve("audit.html"));
        assertThat(html).contains("Nearest training images (pixel space)").contains("Mode coverage").contains("Birthday test")
                .contains("straight lines in the latent space").contains("data:image/png;base64");
        JsonNode r = new ObjectMapper().readTree(run.resolve("audit.json").toFile()).get("result");
        assertThat(r.get("samples").asInt()).isEqualTo(100);
        assertThat(r.get("spaces").has("pixel")).isTrue();
        assertThat(r.get("spaces").has("classifier")).isTrue();
        assertThat(r.get("spaces").get("pixel").get("by_predicted_class").asBoolean()).isTrue();
        assertThat(r.get("coverage").get("classes").asInt()).isEqualTo(10);
        assertThat(r.get("distribution_fit").get("frechet").get("samples").asDouble()).isPositive();

        Run again = cli(common);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("(cached)");

        Run pixelOnly = cli("audit", "--run", run.toString(), "--samples", "50", "--train-limit", "500", "--test-limit", "200",
                "--features", "pixel");
        assertThat(pixelOnly.code()).as(pixelOnly.err()).isZero();
        JsonNode p = new ObjectMapper().readTree(run.resolve("audit.json").toFile()).get("result");
        assertThat(p.get("spaces").has("classifier")).isFalse();
        assertThat(p.has("coverage")).isFalse();

        Run bad = cli("audit", "--run", run.toString(), "--samples", "50", "--train-limit", "500", "--test-limit", "200",
                "--features", run.toString());
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("holds a dcgan, not a VAE");
    }

    @Test
    void aGanTrainsWithinItsBudgetSamplesEachEpochAndEvaluatesWithoutBitsPerDim() throws Exception {
        Path run = tmp.resolve("gan");
        Run t = cli("train", "--model", "ganomaly", "--param", "preset=tiny", "--data", "fashion-mnist", "--limit", "256",
                "--epochs", "2", "--batch-size", "32", "--run", run.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("bits/dim: not defined");
        JsonNode config = new ObjectMapper().readTree(run.resolve("config.json").toFile());
        assertThat(config.get("training").get("lr").asDouble()).as("the GAN recipe's learning rate").isEqualTo(2e-4);
        assertThat(config.get("result").get("train_bpd").asText()).startsWith("not defined");
        assertThat(config.get("result").get("epoch_losses").get("generator")).hasSize(2);
        assertThat(run.resolve("samples").resolve("epoch-001.png")).isRegularFile();
        assertThat(run.resolve("samples").resolve("epoch-002.png")).isRegularFile();

        Run e = cli("evaluate", "--run", run.toString(), "--in", "fashion-mnist", "--out", "mnist", "noise",
                "--limit", "200", "--bootstrap", "10");
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out()).contains("bits/dim: not defined");
        JsonNode results = new ObjectMapper().readTree(run.resolve("results.json").toFile());
        assertThat(results.get("bpd").asText()).startsWith("not defined");
        Set<String> scores = new HashSet<>();
        results.get("results").forEach(r -> scores.add(r.get("score").asText()));
        assertThat(scores).containsExactlyInAnyOrder("ganomaly", "reconstruction", "discriminator");
        assertThat(Files.readString(run.resolve("report.html"))).contains("No bits/dim: this model has no likelihood");

        Run bad = cli("evaluate", "--run", run.toString(), "--in", "fashion-mnist", "--out", "mnist", "--score", "likelihood",
                "--limit", "50");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("needs a likelihood");
    }

    /**
     * The diffusion family on the shared paths: train with a holdout, evaluate with its bound and both diffusion scores
     * (fitted on the holdout), a report with samples, and a detector bundle of the fitted multiscale score that scores
     * files as the run scored them.
     */
    @Test
    void aDdpmTrainsEvaluatesWithItsScoresAndShipsADetector() throws Exception {
        Path run = tmp.resolve("ddpm");
        Run t = cli("train", "--model", "ddpm", "--param", "preset=tiny", "--param", "timesteps=50", "--param", "bound-steps=4",
                "--param", "sample-steps=4", "--param", "score-levels=3", "--param", "reconstruction-steps=2",
                "--data", "fashion-mnist", "--limit", "300", "--holdout", "100", "--epochs", "1", "--batch-size", "32",
                "--run", run.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(run.resolve("samples.png")).isRegularFile();
        JsonNode config = new ObjectMapper().readTree(run.resolve("config.json").toFile());
        assertThat(config.get("result").get("test_bpd").isNumber()).as("the bound is reported as bits/dim").isTrue();

        Run e = cli("evaluate", "--run", run.toString(), "--in", "fashion-mnist", "--out", "mnist", "noise", "--limit", "60",
                "--bootstrap", "10", "--score", "likelihood,typicality,input-complexity,multiscale-score,diffusion-reconstruction");
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode results = new ObjectMapper().readTree(run.resolve("results.json").toFile());
        Set<String> scores = new HashSet<>();
        results.get("results").forEach(r -> {
            scores.add(r.get("score").asText());
            assertThat(r.get("auroc").asDouble()).as(r.toString()).isBetween(0.0, 1.0);
        });
        assertThat(scores).contains("likelihood", "typicality", "input-complexity", "multiscale-score", "diffusion-reconstruction");
        assertThat(e.err() + e.out()).contains("fitting on 100 in-distribution images");
        assertThat(run.resolve("report.html")).isRegularFile();
        // the reconstruction score's cached column records the statistics it combines, so a feature space added later
        // (an audit's classifier) recomputes it instead of reusing it
        assertThat(Files.readString(run.resolve("scores").resolve("diffusion-reconstruction.statistics")))
                .contains("reconstruction-mse-t", "reconstruction-dssim-t");

        Path bundle = tmp.resolve("ddpm.zip");
        Run f = cli("detector", "fit", "--run", run.toString(), "--score", "multiscale-score", "--data", "fashion-mnist",
                "--limit", "60", "--tpr", "0.9", "--out", bundle.toString());
        assertThat(f.code()).as(f.err()).isZero();
        densitylab.data.DataResolver r = new densitylab.data.DataResolver(densitylab.data.Fetcher.fromEnvironment());
        Path images = tmp.resolve("ddpm-images");
        densitylab.data.ImageFolder.write(r.load("mnist", "test").limit(4), images);
        Path csv = tmp.resolve("ddpm.csv");
        Run d = cli("detect", "--detector", bundle.toString(), "--out", csv.toString(), images.toString());
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(Files.readAllLines(csv)).hasSize(1 + 4)
                .allSatisfy(x -> assertThat(x).matches("path,score,threshold,verdict,error|.*,[-0-9.eE]+,[-0-9.eE]+,(ood|in),$"));
    }

    @Test
    void regretStudyWritesStagesSweepAndReportAndReusesThemOnARerun() throws Exception {
        Path dir = tmp.resolve("study");
        String[] args = {"regret-study", "--dir", dir.toString(), "--minutes", "0.05", "--limit", "16", "--out", "mnist,noise",
                "--regret-steps", "3", "--encoder-steps", "3", "--sweep-limit", "8", "--sweep-steps", "2", "--sweep-lrs", "1e-2", "--sweep-samples", "0,4"};
        Run first = cli(args);
        assertThat(first.code()).as(first.err()).isZero();
        Path stage = dir.resolve("stage-0.05.json");
        assertThat(stage).isRegularFile();
        assertThat(dir.resolve("sweep.json")).isRegularFile();
        assertThat(dir.resolve("report.html")).isRegularFile();
        JsonNode auroc = new ObjectMapper().readTree(stage.toFile()).get("auroc");
        for (String score : new String[] {"likelihood", "reconstruction", "regret-posterior", "regret-encoder"}) {
            for (String set : new String[] {"mnist", "noise"}) {
                assertThat(auroc.get(score).get(set).asDouble()).as(score + " vs " + set).isBetween(0.0, 1.0);
            }
        }
        JsonNode seconds = new ObjectMapper().readTree(stage.toFile()).get("seconds_per_1000_images");
        assertThat(seconds.get("regret-encoder").asDouble()).isPositive();
        JsonNode sweep = new ObjectMapper().readTree(dir.resolve("sweep.json").toFile()).get("rows");
        assertThat(sweep).hasSize(4); // two variants x one step count x one learning rate x two comparisons
        assertThat(sweep.findValues("compared_samples").stream().map(JsonNode::asInt).toList()).containsExactly(0, 4, 0, 4);
        long stamp = Files.getLastModifiedTime(stage).toMillis();
        Run again = cli(args);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(Files.getLastModifiedTime(stage).toMillis()).as("the stage is reused, not recomputed").isEqualTo(stamp);
        assertThat(new RunFolder(dir.resolve("train")).hasModel()).isTrue();
        // a stage scored with other settings is refused, naming them; a sweep with other settings is redone
        String[] otherLimit = args.clone();
        otherLimit[java.util.Arrays.asList(args).indexOf("--limit") + 1] = "8";
        Run refused = cli(otherLimit);
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).contains("limit 16 there, 8 now");
        String[] oneComparison = args.clone();
        oneComparison[java.util.Arrays.asList(args).indexOf("--sweep-samples") + 1] = "0";
        Run resweep = cli(oneComparison);
        assertThat(resweep.code()).as(resweep.err()).isZero();
        assertThat(new ObjectMapper().readTree(dir.resolve("sweep.json").toFile()).get("rows")).hasSize(2);
    }

    @Test
    void theMinutesBudgetBoundsTheWholeTrainCommand() throws Exception {
        Path run = tmp.resolve("budget");
        long t0 = System.nanoTime();
        // a VAE's final IWAE(100) bits/dim of 2 x 2000 images alone took minutes before the budget covered it
        Run t = cli("train", "--model", "vae", "--param", "width=8", "--param", "latent=4", "--data", "fashion-mnist",
                "--limit", "2000", "--minutes", "0.25", "--run", run.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(t.code()).as(t.err()).isZero();
        JsonNode result = new ObjectMapper().readTree(run.resolve("config.json").toFile()).get("result");
        assertThat(result.get("command_seconds").asDouble()).isLessThan(0.25 * 60 + 10);
        assertThat(seconds).isLessThan(0.25 * 60 + 20);
        assertThat(result.get("train_bpd_images").asInt()).isBetween(100, 2000);
    }

    @Test
    void trainThenEvaluateWritesConfigScoresResultsAndReport() throws Exception {
        Path run = tmp.resolve("g");
        Run t = cli("train", "--model", "ppca", "--param", "components=5", "--data", "fashion-mnist", "--limit", "3000",
                "--run", run.toString());
        assertThat(t.code()).as(t.err()).isZero();
        JsonNode config = new ObjectMapper().readTree(run.resolve("config.json").toFile());
        assertThat(config.get("model").asText()).isEqualTo("ppca");
        assertThat(config.get("params").get("components").asText()).isEqualTo("5");
        assertThat(config.get("data").get("sha256").asText()).hasSize(64);
        assertThat(config.get("data").get("count").asInt()).isEqualTo(3000);
        String djlJar = ai.djl.ndarray.NDArray.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        assertThat(djlJar).as("the DJL jar on the class path").endsWith("api-" + config.get("versions").get("djl").asText() + ".jar");
        assertThat(config.get("status").asText()).isEqualTo("trained");
        assertThat(run.resolve("samples.png")).isRegularFile();

        Run e = cli("evaluate", "--run", run.toString(), "--in", "fashion-mnist", "--out", "mnist", "noise", "constant",
                "--limit", "400", "--bootstrap", "20");
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out()).contains("AUROC").contains("mnist");
        JsonNode results = new ObjectMapper().readTree(run.resolve("results.json").toFile());
        assertThat(results.get("in").asText()).isEqualTo("fashion-mnist");
        assertThat(results.get("model").asText()).isEqualTo("ppca");
        assertThat(results.get("bpd").get("fashion-mnist").asDouble()).isBetween(1.0, 9.0);
        assertThat(results.get("bpd").get("mnist").asDouble()).isBetween(1.0, 20.0);
        Set<String> pairs = new HashSet<>();
        for (JsonNode r : results.get("results")) {
            pairs.add(r.get("score").asText() + "/" + r.get("out").asText());
            for (String k : new String[] {"auroc", "aupr_in", "aupr_out", "fpr95"}) {
                assertThat(r.get(k).asDouble()).as(k).isBetween(0.0, 1.0);
            }
        }
        assertThat(pairs).contains("likelihood/mnist", "likelihood/noise", "likelihood/constant");
        // uniform noise is far less likely than clothing under any sensible density
        for (JsonNode r : results.get("results")) {
            if (r.get("score").asText().equals("likelihood") && r.get("out").asText().equals("noise")) {
                assertThat(r.get("auroc").asDouble()).isGreaterThan(0.99);
            }
        }
        assertThat(run.resolve("scores/mnist.csv")).isRegularFile();
        assertThat(Files.readAllLines(run.resolve("scores/mnist.csv"))).hasSize(401);
        assertThat(Files.readString(run.resolve("report.html"))).contains("<table id=\"metrics\"");

        Run again = cli("train", "--model", "gaussian", "--data", "fashion-mnist", "--run", run.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("already holds a trained model").contains("--force");
    }

    @Test
    void anUnfinishedTrainingIsNotOverwrittenWithoutForce() throws Exception {
        Path run = tmp.resolve("unfinished");
        String[] train = {"train", "--model", "glow", "--param", "preset=tiny", "--data", "fashion-mnist", "--limit", "128",
                "--epochs", "1", "--eval-limit", "16", "--run", run.toString()};
        assertThat(cli(train).code()).isZero();
        // as if the process had been killed before saving the model: only the checkpoints are left
        Trees.delete(run.resolve("model"));
        Path stale = run.resolve("checkpoints/step-999999");
        Files.createDirectories(stale);
        Run refused = cli(train);
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("unfinished training").contains("--resume").contains("--force");
        assertThat(stale).isDirectory();

        Run resumed = cli(with(train, "--resume"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(stale).isDirectory(); // resuming keeps the checkpoints it continues from

        for (String bad : new String[] {"no-such-param=1", "preset=nope"}) { // rejected before or by the model's build
            Run badForce = cli(with(train, "--force", "--param", bad));
            assertThat(badForce.code()).as(bad).isEqualTo(1);
            assertThat(stale).as("a --force that fails before training must lose nothing").isDirectory();
            assertThat(run.resolve("model")).as(bad).isDirectory();
            assertThat(run.resolve(".previous")).doesNotExist();
            assertThat(new ObjectMapper().readTree(run.resolve("config.json").toFile()).at("/status").asText()).isEqualTo("trained");
        }

        Run again = cli(with(train, "--force"));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(stale).doesNotExist(); // the earlier training's checkpoints are gone, not mixed with the new ones
        assertThat(run.resolve("checkpoints/latest")).isRegularFile();
    }

    @Test
    void resumeKeepsTheWorkerCountTheRunBeganWith() throws Exception {
        Path run = tmp.resolve("workers");
        String[] train = {"train", "--model", "glow", "--param", "preset=tiny", "--data", "noise@8x8x1", "--limit", "64",
                "--epochs", "1", "--eval-limit", "8", "--run", run.toString()};
        assertThat(cli(with(train, "--workers", "1")).code()).isZero();
        Trees.delete(run.resolve("model")); // as if killed before the model was saved
        Run resumed = cli(with(train, "--resume"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).doesNotContain("gradient worker");
        assertThat(new ObjectMapper().readTree(run.resolve("config.json").toFile()).at("/training/workers").asInt()).isEqualTo(1);

        Trees.delete(run.resolve("model"));
        Run other = cli(with(train, "--resume", "--workers", "2"));
        assertThat(other.code()).as(other.err()).isZero();
        assertThat(other.err()).contains("began with 1 gradient worker and continues with 2");
        assertThat(new ObjectMapper().readTree(run.resolve("config.json").toFile()).at("/training/workers").asInt()).isEqualTo(2);

        // the automatic default is recorded as the count it came to, so naming that count on resume is no change
        Path auto = tmp.resolve("auto-workers");
        String[] byDefault = {"train", "--model", "glow", "--param", "preset=tiny", "--data", "noise@8x8x1", "--limit", "64",
                "--epochs", "1", "--eval-limit", "8", "--run", auto.toString()};
        assertThat(cli(byDefault).code()).isZero();
        JsonNode recorded = new ObjectMapper().readTree(auto.resolve("config.json").toFile()).at("/training/workers");
        assertThat(recorded.isInt()).as(recorded.toString()).isTrue();
        Trees.delete(auto.resolve("model"));
        Run same = cli(with(byDefault, "--resume", "--workers", recorded.asText()));
        assertThat(same.code()).as(same.err()).isZero();
        assertThat(same.err()).doesNotContain("gradient worker");
    }

    @Test
    void aTimeBudgetWithoutEpochsTrainsUntilTheBudgetRunsOut() throws Exception {
        Path run = tmp.resolve("budget");
        // 64 images (no test split to evaluate) = one step per epoch: a cap of 10 epochs would stop at 10 steps
        Run r = cli("train", "--model", "glow", "--param", "preset=tiny", "--data", "noise@8x8x1", "--limit", "64",
                "--minutes", "0.05", "--eval-limit", "8", "--run", run.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode config = new ObjectMapper().readTree(run.resolve("config.json").toFile());
        assertThat(config.at("/training/epochs").isNull()).isTrue();
        assertThat(config.at("/result/stopped").asText()).startsWith("time budget");
        assertThat(config.at("/result/steps").asLong()).isGreaterThan(10);
    }

    @Test
    void benchReportsTheMedianScoringPass() throws Exception {
        Run r = cli("bench", "--model", "glow", "--param", "preset=tiny", "--seconds", "0.5", "--score-images", "64",
                "--score-passes", "3");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
        double[] passes = new double[3];
        assertThat(j.get("score_images_per_s_passes").size()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            passes[i] = j.get("score_images_per_s_passes").get(i).asDouble();
        }
        java.util.Arrays.sort(passes);
        assertThat(j.get("score_images_per_s").asDouble()).isEqualTo(passes[1]);
        assertThat(j.get("test_bpd").asDouble()).isBetween(0.5, 12.0);

        Run bad = cli("bench", "--score-passes", "0");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("--score-passes must be >= 1, got 0");
    }

    @Test
    void typicalityIsFittedOnTheTrainingDataOnlyWhenAColumnIsMissing() throws Exception {
        Path images = tmp.resolve("train-images");
        densitylab.data.ImageFolder.write(densitylab.data.Synthetic.generate("gaussian-noise", 200, 1, 8, 8, 3), images);
        Path run = tmp.resolve("typ");
        Run t = cli("train", "--model", "gaussian", "--data", images.toString(), "--run", run.toString());
        assertThat(t.code()).as(t.err()).isZero();
        String[] evaluate = {"evaluate", "--run", run.toString(), "--in", "gaussian-noise@8x8x1", "--out", "constant@8x8x1",
                "--score", "likelihood,typicality", "--limit", "50", "--bootstrap", "10"};
        Run first = cli(evaluate);
        assertThat(first.code()).as(first.err()).isZero();
        String metrics = first.out().substring(first.out().indexOf("score "));

        Trees.delete(images); // the training data is gone; every score column is cached
        Run again = cli(evaluate);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out().substring(again.out().indexOf("score "))).isEqualTo(metrics);

        Run newSet = cli(with(evaluate, "--out", "noise@8x8x1")); // a new column needs the fit, hence the training data
        assertThat(newSet.code()).as(newSet.err()).isEqualTo(1);
        assertThat(newSet.err()).contains(images.toString());
        // the likelihood column computed before the failing fit is kept
        assertThat(Files.readAllLines(run.resolve("scores/noise@8x8x1.csv")).get(0)).contains("likelihood").doesNotContain("typicality");
    }

    /** args followed by more. */
    static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    @Test
    void shapeMismatchNamesBothShapesUnlessResized() {
        Path run = tmp.resolve("s");
        assertThat(cli("train", "--model", "gaussian", "--data", "mnist", "--limit", "500", "--run", run.toString()).code()).isZero();
        Run bad = cli("score", "--run", run.toString(), "--data", "noise@32x32x3", "--limit", "10");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("3x32x32").contains("1x28x28").contains("--resize");
        Run ok = cli("score", "--run", run.toString(), "--data", "noise@32x32x3", "--limit", "10", "--resize");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("10 images");
    }

    @Test
    void unknownModelAndSetAreClearErrors() {
        Run m = cli("train", "--model", "glowz", "--data", "mnist", "--run", tmp.resolve("x").toString());
        assertThat(m.code()).isEqualTo(1);
        assertThat(m.err()).contains("unknown model 'glowz'").contains("gaussian");
        Run d = cli("data", "show", "mnistt");
        assertThat(d.code()).isEqualTo(1);
        assertThat(d.err()).contains("unknown data set 'mnistt'");
    }

    @Test
    void dataShowJsonReportsTheTestSplits() throws Exception {
        for (String name : new String[] {"fashion-mnist", "mnist"}) {
            Run r = cli("data", "show", name, "--split", "test", "--json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertThat(j.get("name").asText()).isEqualTo(name);
            assertThat(j.get("count").asInt()).isEqualTo(10000);
            assertThat(j.get("shape").toString()).isEqualTo("[1,28,28]");
            assertThat(j.get("mean").get(0).asDouble()).isBetween(20.0, 100.0);
        }
    }
}
