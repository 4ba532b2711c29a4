package densitylab.detect;

import densitylab.data.DataFormatException;
import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageSet;
import densitylab.data.Images;
import densitylab.model.DensityModel;
import densitylab.model.registry.ModelKinds;
import densitylab.report.ImageGrid;
import densitylab.model.ScoreOptions;
import densitylab.train.TrainSettings;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OodDetectorTest {
    @TempDir
    static Path tmp;
    static ImageSet train;
    static ImageSet validation;
    static ImageSet mnist;
    static DensityModel model;
    static OodDetector detector;

    @BeforeAll
    static void fit() throws Exception {
        DataResolver r = new DataResolver(Fetcher.fromEnvironment());
        train = r.load("fashion-mnist", "train").limit(2000);
        validation = r.load("fashion-mnist", "test").limit(1000);
        mnist = r.load("mnist", "test").limit(300);
        model = (DensityModel) ModelKinds.get("gaussian").train(train, null, TrainSettings.defaults(0)).model();
        detector = OodDetector.fit(model, null, List.of(), "likelihood", ScoreOptions.defaults(), null, validation,
                "fashion-mnist:test", 0.95, Preprocessing.Resize.REJECT);
    }

    static byte[] png(ImageSet set, int i) {
        return ImageGrid.png(Images.toBufferedImage(set, i));
    }

    @Test
    void theThresholdKeepsTheRequestedFractionOfValidationImagesWithinOneOverN() throws Exception {
        double[] s = detector.score(validation);
        for (double tpr : new double[] {0.5, 0.9, 0.95, 0.99, 1.0, 0.0005}) {
            Calibration c = Calibration.of(s, tpr, "v");
            long kept = Arrays.stream(s).filter(v -> !c.isOutOfDistribution(v)).count();
            assertThat(kept / (double) s.length).as("tpr %s", tpr).isGreaterThanOrEqualTo(tpr).isLessThan(tpr + 1.0 / s.length);
            assertThat(c.achievedTpr()).isEqualTo(kept / (double) s.length);
        }
        assertThat(detector.calibration().n()).isEqualTo(1000);
        assertThatThrownBy(() -> Calibration.of(s, 0, "v")).hasMessageContaining("(0, 1]");
    }

    @Test
    void theStoredHistogramCountsEveryValidationScoreInItsBin() throws Exception {
        double[] s = detector.score(validation);
        Calibration.Histogram h = detector.calibration().histogram();
        assertThat(h.low()).isEqualTo(Arrays.stream(s).min().orElseThrow());
        double[] sorted = s.clone();
        Arrays.sort(sorted);
        assertThat(h.high()).isEqualTo(densitylab.eval.Bootstrap.quantile(sorted, 0.99));
        assertThat(h.above()).isEqualTo((int) Arrays.stream(s).filter(v -> v > h.high()).count()).isPositive();
        double width = (h.high() - h.low()) / Calibration.BINS;
        for (int b = 1; b < Calibration.BINS - 1; b++) { // inner bins, by brute force: scores in [low + b w, low + (b+1) w)
            double lo = h.low() + b * width;
            double hi = h.low() + (b + 1) * width;
            long inBin = Arrays.stream(s).filter(v -> v >= lo + 1e-9 * width && v < hi - 1e-9 * width).count();
            long nearEdge = Arrays.stream(s).filter(v -> Math.abs(v - lo) <= 1e-9 * width || Math.abs(v - hi) <= 1e-9 * width).count();
            assertThat((long) h.counts().get(b)).as("bin %d", b).isBetween(inBin, inBin + nearEdge);
        }
        assertThat(h.counts().stream().mapToInt(Integer::intValue).sum() + h.above()).isEqualTo(s.length);
    }

    @Test
    void aSavedAndReloadedDetectorGivesBitIdenticalScoresAndVerdicts() throws Exception {
        Path f = tmp.resolve("likelihood.zip");
        detector.save(f);
        OodDetector back = OodDetector.load(f);
        assertThat(back.calibration()).isEqualTo(detector.calibration());
        assertThat(back.preprocessing()).isEqualTo(detector.preprocessing());
        assertThat(back.score(mnist)).containsExactly(detector.score(mnist));
        assertThat(back.isOutOfDistribution(mnist)).containsExactly(detector.isOutOfDistribution(mnist));
        assertThat(back.score(validation.limit(100))).containsExactly(detector.score(validation.limit(100)));
    }

    @Test
    void typicalityKeepsItsFittedTrainingMeanThroughABundle() throws Exception {
        OodDetector t = OodDetector.fit(model, null, List.of(), "typicality", ScoreOptions.defaults(), train, validation,
                "fashion-mnist:test", 0.9, Preprocessing.Resize.REJECT);
        Path f = tmp.resolve("typicality.zip");
        t.save(f);
        OodDetector back = OodDetector.load(f);
        assertThat(back.score(mnist)).containsExactly(t.score(mnist));
        assertThatThrownBy(() -> OodDetector.fit(model, null, List.of(), "typicality", ScoreOptions.defaults(), null, validation,
                "v", 0.9, Preprocessing.Resize.REJECT)).hasMessageContaining("give training images");
    }

    @Test
    void theCombinedScoreKeepsItsFittedDensityThroughABundle() throws Exception {
        OodDetector c = OodDetector.fit(model, null, List.of(), "combined", ScoreOptions.defaults(), train, validation,
                "fashion-mnist:test", 0.95, Preprocessing.Resize.REJECT);
        Path f = tmp.resolve("combined.zip");
        c.save(f);
        OodDetector back = OodDetector.load(f);
        assertThat(back.score(mnist)).containsExactly(c.score(mnist));
        assertThat(back.calibration()).isEqualTo(c.calibration());
        // the state names its statistics; a density of other statistics is refused
        assertThat(c.fittedState().get("statistics")).isEqualTo(List.of("likelihood", "complexity-png-best"));
        java.util.Map<String, Object> wrong = new java.util.HashMap<>(c.fittedState());
        wrong.put("statistics", List.of("likelihood"));
        assertThatThrownBy(() -> new OodDetector(model, null, List.of(), java.util.Map.of(), "combined", ScoreOptions.defaults(), wrong,
                c.preprocessing(), c.calibration())).hasMessageContaining("fitted on the statistics [likelihood]");
    }

    @Test
    void aPeerModelsStatisticsJoinTheCombinedScoreAndTravelInTheBundle() throws Exception {
        DensityModel peer = (DensityModel) ModelKinds.get("gaussian").train(train.limit(300), null, TrainSettings.defaults(1)).model();
        OodDetector c = OodDetector.fit(model, null, List.of(), java.util.Map.of("small", peer), "combined", ScoreOptions.defaults(),
                train, validation, "fashion-mnist:test", 0.95, Preprocessing.Resize.REJECT);
        assertThat(c.fittedState().get("statistics")).isEqualTo(List.of("likelihood", "complexity-png-best", "small:likelihood"));
        Path f = tmp.resolve("combined-peer.zip");
        c.save(f);
        try (ZipFile z = new ZipFile(f.toFile())) {
            assertThat(z.stream().map(ZipEntry::getName).filter(n -> n.startsWith("peers/peer-1/"))).isNotEmpty();
        }
        OodDetector back = OodDetector.load(f);
        assertThat(back.score(mnist)).containsExactly(c.score(mnist));
        // the peer's model came back: its likelihood column is the one the combination was fitted with
        assertThat(back.peers().get("small")).isInstanceOf(DensityModel.class);
        assertThat(((DensityModel) back.peers().get("small")).logProb(mnist)).containsExactly(peer.logProb(mnist));
        DensityModel smaller = (DensityModel) ModelKinds.get("gaussian")
                .train(densitylab.data.SetTransforms.apply(train.limit(300), "resize=14x14"), null, TrainSettings.defaults(1)).model();
        assertThatThrownBy(() -> OodDetector.fit(model, null, List.of(), java.util.Map.of("small", smaller), "combined",
                ScoreOptions.defaults(), train, validation, "v", 0.95, Preprocessing.Resize.REJECT))
                .hasMessageContaining("same images").hasMessageContaining("'small'");
    }

    @Test
    void aBundleWithAChangedByteATruncatedBundleAndAnotherFormatVersionAreRefusedWithTheirReasons() throws Exception {
        Path f = tmp.resolve("d.zip");
        detector.save(f);
        byte[] good = Files.readAllBytes(f);

        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x5A;
        Path changed = tmp.resolve("changed.zip");
        Files.write(changed, flipped);
        assertThatThrownBy(() -> OodDetector.load(changed)).isInstanceOf(DetectorBundleException.class)
                .hasMessageMatching("(?s).*(does not match its SHA-256|truncated or corrupted).*");

        Path truncated = tmp.resolve("truncated.zip");
        Files.write(truncated, Arrays.copyOf(good, good.length - 10));
        assertThatThrownBy(() -> OodDetector.load(truncated)).isInstanceOf(DetectorBundleException.class)
                .hasMessageContaining("not a complete zip file");

        // an entry rewritten with the manifest left as it was: a lower threshold in detector.json
        Path edited = tmp.resolve("edited.zip");
        rezip(f, edited, (name, bytes) -> name.equals("detector.json")
                ? new String(bytes).replaceFirst("\"threshold\" : [-0-9.eE]+", "\"threshold\" : -1.0").getBytes() : bytes);
        assertThatThrownBy(() -> OodDetector.load(edited)).hasMessageContaining("entry detector.json does not match its SHA-256");

        Path future = tmp.resolve("future.zip");
        rezip(f, future, (name, bytes) -> name.equals("manifest.json")
                ? new String(bytes).replace("\"format_version\" : 1", "\"format_version\" : 2").getBytes() : bytes);
        assertThatThrownBy(() -> OodDetector.load(future)).hasMessageContaining("bundle format version 2")
                .hasMessageContaining("reads version 1");

        Path extra = tmp.resolve("extra.zip");
        rezip(f, extra, (name, bytes) -> bytes, "model/extra.bin");
        assertThatThrownBy(() -> OodDetector.load(extra)).hasMessageContaining("model/extra.bin is not in the manifest");

        Path notZip = tmp.resolve("not.zip");
        Files.writeString(notZip, "hello");
        assertThatThrownBy(() -> OodDetector.load(notZip)).isInstanceOf(DetectorBundleException.class)
                .hasMessageContaining("not a complete zip file");
        assertThatThrownBy(() -> OodDetector.load(tmp.resolve("missing.zip"))).hasMessageContaining("no such detector bundle");
    }

    interface Edit {
        byte[] apply(String name, byte[] bytes);
    }

    static void rezip(Path from, Path to, Edit edit, String... extra) throws IOException {
        try (ZipFile in = new ZipFile(from.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(to))) {
            for (ZipEntry e : in.stream().toList()) {
                byte[] b = in.getInputStream(e).readAllBytes();
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(edit.apply(e.getName(), b));
                out.closeEntry();
            }
            for (String name : extra) {
                out.putNextEntry(new ZipEntry(name));
                out.write(new byte[] {1, 2, 3});
                out.closeEntry();
            }
        }
    }

    @Test
    void picturesBytesAndFilesScoreLikeTheSetAndBadInputsGetTheirErrors() throws Exception {
        double[] expected = detector.score(mnist.limit(3));
        for (int i = 0; i < 3; i++) {
            assertThat(detector.score(png(mnist, i))).isEqualTo(expected[i]);
            assertThat(detector.score(Images.toBufferedImage(mnist, i))).isEqualTo(expected[i]);
            Path f = tmp.resolve("m" + i + ".png");
            Files.write(f, png(mnist, i));
            assertThat(detector.score(f)).isEqualTo(expected[i]);
            assertThat(detector.isOutOfDistribution(f)).isEqualTo(detector.isOutOfDistribution(expected[i]));
        }
        byte[] good = png(mnist, 0);
        assertThatThrownBy(() -> detector.score("not an image".getBytes())).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("not a readable image");
        assertThatThrownBy(() -> detector.score(Arrays.copyOf(good, good.length / 2))).isInstanceOf(DataFormatException.class);
        ImageSet big = densitylab.data.Synthetic.generate("noise", 1, 1, 32, 32, 1);
        assertThatThrownBy(() -> detector.score(png(big, 0))).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("32x32 pixels, and the model takes 28x28");
        OodDetector resizing = OodDetector.fit(model, null, List.of(), "likelihood", ScoreOptions.defaults(), null, validation,
                "v", 0.95, Preprocessing.Resize.RESIZE);
        assertThat(resizing.score(png(big, 0))).isFinite();
        ImageSet colour = densitylab.data.Synthetic.generate("noise", 1, 3, 28, 28, 2);
        assertThatThrownBy(() -> detector.score(png(colour, 0))).hasMessageContaining("a colour image");
        assertThat(resizing.score(png(colour, 0))).isFinite();
        // an RGB file of a gray image (three equal channels) is the gray image
        ImageSet rgbOfGray = densitylab.data.SetTransforms.conform(mnist.limit(1), new int[] {3, 28, 28});
        assertThat(detector.score(png(rgbOfGray, 0))).isEqualTo(expected[0]);
    }

    @Test
    void concurrentCallersGetTheSameScoresAsSequentialScoring() throws Exception {
        ImageSet set = mnist.limit(40);
        double[] sequential = new double[set.size()];
        for (int i = 0; i < set.size(); i++) {
            sequential[i] = detector.score(png(set, i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<double[]>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    double[] s = new double[set.size()];
                    for (int i = set.size() - 1; i >= 0; i--) {
                        s[i] = detector.score(png(set, i));
                    }
                    return s;
                }));
            }
            for (Future<double[]> f : futures) {
                assertThat(f.get()).containsExactly(sequential);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aRunFolderModelWithOneChangedByteIsRefusedOnLoadNamingTheFile() throws Exception {
        Path dir = tmp.resolve("run-model");
        ModelKinds.save(model, dir);
        assertThat(dir.resolve("manifest.sha256")).isRegularFile();
        ModelKinds.load(dir); // intact: loads
        Path arrays = dir.resolve("arrays.bin");
        byte[] b = Files.readAllBytes(arrays);
        b[b.length / 2] ^= 1;
        Files.write(arrays, b);
        assertThatThrownBy(() -> ModelKinds.load(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("arrays.bin does not match its SHA-256");
        b[b.length / 2] ^= 1;
        Files.write(arrays, b);
        ModelKinds.load(dir);
        Files.delete(dir.resolve("model.json"));
        assertThatThrownBy(() -> ModelKinds.load(dir)).hasMessageContaining("model.json is listed in");
    }
}
