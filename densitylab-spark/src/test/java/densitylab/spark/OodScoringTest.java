package densitylab.spark;

import densitylab.data.ImageSet;
import densitylab.data.Images;
import densitylab.data.Synthetic;
import densitylab.detect.DetectorBundleException;
import densitylab.detect.OodDetector;
import densitylab.detect.Preprocessing;
import densitylab.io.Sha256;
import densitylab.model.GenerativeModel;
import densitylab.model.ScoreOptions;
import densitylab.model.registry.ModelKinds;
import densitylab.report.ImageGrid;
import densitylab.train.TrainSettings;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Spark local[2] against the detector itself: the same scores, row by row, for a flow, a VAE and a GAN bundle. */
class OodScoringTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path images;
    static Map<String, byte[]> files = new HashMap<>();
    static Map<String, Path> bundles = new HashMap<>();
    static final AtomicInteger TASKS = new AtomicInteger();

    @BeforeAll
    static void setUp() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("densitylab-spark-test").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart taskStart) {
                TASKS.incrementAndGet();
            }
        });
        ImageSet train = Synthetic.generate("noise", 64, 1, 8, 8, 1);
        ImageSet validation = Synthetic.generate("noise", 40, 1, 8, 8, 2);
        for (String[] k : new String[][] {{"glow", "preset=tiny", "likelihood"}, {"vae", "width=8;latent=4", "reconstruction"},
                {"ganomaly", "preset=tiny", "ganomaly"}}) {
            Map<String, String> p = new HashMap<>();
            for (String kv : k[1].split(";")) {
                p.put(kv.split("=")[0], kv.split("=")[1]);
            }
            GenerativeModel m = ModelKinds.get(k[0]).train(train, null, new TrainSettings(3, 1, 0, 32, 1e-3, 0, 0, null, 3600, false, p, 1)).model();
            OodDetector d = OodDetector.fit(m, null, List.of(), k[2], ScoreOptions.defaults(),
                    train, validation, "noise", 0.9, Preprocessing.Resize.REJECT);
            bundles.put(k[0], tmp.resolve(k[0] + ".zip"));
            d.save(bundles.get(k[0]));
        }
        images = Files.createDirectories(tmp.resolve("images"));
        ImageSet noise = Synthetic.generate("noise", 9, 1, 8, 8, 3);
        ImageSet constant = Synthetic.generate("constant", 4, 1, 8, 8, 4);
        for (int i = 0; i < noise.size(); i++) {
            put("noise-" + i + ".png", ImageGrid.png(Images.toBufferedImage(noise, i)));
        }
        for (int i = 0; i < constant.size(); i++) {
            put("deeper/constant-" + i + ".png", ImageGrid.png(Images.toBufferedImage(constant, i)));
        }
        put("broken.png", "not a png".getBytes());
        put("big.png", ImageGrid.png(Images.toBufferedImage(Synthetic.generate("noise", 1, 1, 12, 12, 5), 0)));
    }

    private static void put(String name, byte[] bytes) throws Exception {
        Path f = images.resolve(name);
        Files.createDirectories(f.getParent());
        Files.write(f, bytes);
        files.put(f.toUri().getPath(), bytes);
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static Dataset<Row> read() {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(images.toString());
    }

    @ParameterizedTest(name = "{0}, {1} partitions, batches of {2}")
    @CsvSource({"glow, 1, 256", "glow, 5, 3", "vae, 3, 2", "ganomaly, 4, 256", "ganomaly, 1, 1"})
    void sparkScoresEqualTheDetectorsOwnRowByRow(String kind, int partitions, int batch) throws Exception {
        OodDetector d = OodDetector.load(bundles.get(kind));
        List<Row> rows = OodScoring.score(read().repartition(partitions), bundles.get(kind).toString(), "content", batch)
                .select("path", "ood_score", "ood_threshold", "is_ood", "ood_error").collectAsList();
        assertThat(rows).hasSize(files.size());
        for (Row r : rows) {
            String path = java.net.URI.create(r.getString(0)).getPath();
            byte[] bytes = files.get(path);
            assertThat(bytes).as(path).isNotNull();
            assertThat(r.getDouble(2)).isEqualTo(d.calibration().threshold());
            if (path.endsWith("broken.png") || path.endsWith("big.png")) {
                assertThat(r.isNullAt(1)).isTrue();
                assertThat(r.isNullAt(3)).isTrue();
                String expected = assertThrowsFormat(d, bytes);
                assertThat(r.getString(4)).isEqualTo(expected);
            } else {
                double s = d.score(bytes);
                // batched and one-image scores differ by libtorch's kernel choice only (docs/detect.md: 4.5e-6 relative)
                assertThat(r.getDouble(1)).as(path).isCloseTo(s, within(1e-4 * Math.abs(s) + 1e-9));
                assertThat(r.getBoolean(3)).isEqualTo(d.isOutOfDistribution(r.getDouble(1)));
                assertThat(r.isNullAt(4)).isTrue();
            }
        }
    }

    private static String assertThrowsFormat(OodDetector d, byte[] bytes) {
        try {
            d.score(bytes);
        } catch (Exception e) {
            return e.getMessage();
        }
        throw new AssertionError("the detector accepted the bytes");
    }

    /** A bundle of the glow's detector calibrated to keep tpr: a file this JVM has not loaded yet. */
    private static Path freshBundle(String name, double tpr) throws Exception {
        OodDetector d = OodDetector.load(bundles.get("glow"));
        Path f = tmp.resolve(name);
        OodDetector.fit(d.model(), null, List.of(), "likelihood", ScoreOptions.defaults(), null, Synthetic.generate("noise", 40, 1, 8, 8, 7),
                "noise", tpr, Preprocessing.Resize.REJECT).save(f);
        return f;
    }

    @Test
    void theBundleIsLoadedOncePerJvmHoweverManyPartitions() throws Exception {
        Path bundle = freshBundle("glow-once.zip", 0.8);
        int before = DetectorCache.loads();
        long n = OodScoring.score(read().repartition(6), bundle.toString(), "content", 2).filter("ood_error is null").count();
        assertThat(n).isEqualTo(files.size() - 2);
        assertThat(DetectorCache.loads() - before).as("loads across the driver's check and 6 partitions in one JVM").isEqualTo(1);
        OodScoring.score(read().repartition(3), bundle.toString(), "content").count();
        assertThat(DetectorCache.loads() - before).as("and a second job").isEqualTo(1);
    }

    @Test
    void anExecutorFindsTheShippedCopyWhereThePathIsNotThere() throws Exception {
        Path bundle = freshBundle("shipped-glow.zip", 0.85);
        spark.sparkContext().addFile(bundle.toString());
        Path gone = tmp.resolve("nowhere").resolve("shipped-glow.zip");
        int before = DetectorCache.loads();
        assertThat(DetectorCache.get(gone.toString(), Sha256.of(bundle)).calibration().targetTpr()).isEqualTo(0.85);
        assertThat(DetectorCache.loads() - before).isEqualTo(1);
        assertThatThrownBy(() -> DetectorCache.get(tmp.resolve("nowhere").resolve("other.zip").toString(), "0".repeat(64)))
                .hasMessageContaining("finds no copy of the detector bundle").hasMessageContaining("spark-submit --files");
    }

    @Test
    void emptyInputGivesNoRowsAndTheSchemaGrowsByFourColumns() throws Exception {
        Dataset<Row> out = OodScoring.score(read().limit(0), bundles.get("ganomaly").toString(), "content");
        assertThat(out.count()).isZero();
        assertThat(out.columns()).endsWith("ood_score", "ood_threshold", "is_ood", "ood_error");
    }

    @Test
    void aTamperedBundleIsRefusedBeforeAnyTaskRuns() throws Exception {
        Path t = tmp.resolve("tampered.zip");
        byte[] b = Files.readAllBytes(bundles.get("glow"));
        Files.write(t, java.util.Arrays.copyOf(b, b.length - 50));
        Dataset<Row> in = read();
        int tasks = TASKS.get();
        assertThatThrownBy(() -> OodScoring.score(in, t.toString(), "content")).isInstanceOf(DetectorBundleException.class)
                .hasMessageContaining("tampered.zip");
        Thread.sleep(200); // listener events arrive asynchronously
        assertThat(TASKS.get()).as("tasks started").isEqualTo(tasks);
        assertThatThrownBy(() -> OodScoring.score(in, bundles.get("glow").toString(), "path"))
                .hasMessageContaining("not the binary bytes");
        assertThatThrownBy(() -> OodScoring.score(in, bundles.get("glow").toString(), "image"))
                .hasMessageContaining("no column 'image'").hasMessageContaining("content");
    }

    @Test
    void scoreJobWritesParquetThatReadsBackWithEveryVerdict() throws Exception {
        Path out = tmp.resolve("verdicts");
        ScoreJob.Options o = ScoreJob.Options.parse(new String[] {"--detector", bundles.get("ganomaly").toString(), "--input",
                images.toString(), "--output", out.toString(), "--batch-size", "4"});
        ScoreJob.Summary s = ScoreJob.score(o);
        assertThat(s.images()).isEqualTo(files.size());
        assertThat(s.errors()).isEqualTo(2);
        Dataset<Row> back = spark.read().parquet(out.toString());
        assertThat(back.columns()).contains("path", "ood_score", "is_ood", "ood_error").doesNotContain("content");
        OodDetector d = OodDetector.load(bundles.get("ganomaly"));
        for (Row r : back.select("path", "ood_score", "is_ood").where("ood_error is null").collectAsList()) {
            double expected = d.score(files.get(java.net.URI.create(r.getString(0)).getPath()));
            assertThat(r.getDouble(1)).isCloseTo(expected, within(1e-4 * Math.abs(expected) + 1e-9));
            assertThat(r.getBoolean(2)).isEqualTo(d.isOutOfDistribution(r.getDouble(1)));
        }
        assertThat(s.flagged()).isEqualTo(back.where("is_ood").count());
        assertThatThrownBy(() -> ScoreJob.score(o)).hasMessageContaining("exists already");

        Path table = tmp.resolve("table");
        read().withColumnRenamed("content", "image_bytes").write().parquet(table.toString());
        Path fromTable = tmp.resolve("from-table");
        ScoreJob.Summary t = ScoreJob.score(ScoreJob.Options.parse(new String[] {"--detector", bundles.get("ganomaly").toString(),
                "--input", table.toString(), "--input-format", "parquet", "--image-column", "image_bytes", "--output",
                fromTable.toString(), "--format", "csv"}));
        assertThat(t).isEqualTo(new ScoreJob.Summary(s.images(), s.flagged(), s.errors(), t.seconds()));
        assertThat(spark.read().option("header", "true").csv(fromTable.toString()).columns()).contains("path", "ood_score")
                .doesNotContain("image_bytes");
        assertThat(ScoreJob.run(new String[] {"--input", "x"})).isEqualTo(2);
    }
}
