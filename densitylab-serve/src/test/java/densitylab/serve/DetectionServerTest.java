package densitylab.serve;

import densitylab.data.DataFormatException;
import densitylab.data.ImageSet;
import densitylab.data.Synthetic;
import densitylab.detect.DetectorBundleException;
import densitylab.io.Sha256;
import densitylab.nn.ModelFiles;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The service end to end: a real server on a free loopback port, a real HTTP client, a real detector bundle. */
class DetectionServerTest {
    static Fixtures fx;
    static ServedDetector fm;

    @TempDir
    Path tmp;

    DetectionServer server;

    @BeforeAll
    static void load() throws Exception {
        fx = Fixtures.get();
        fm = ServedDetector.load(fx.bundle.toString(), List.of());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private DetectionServer start(DetectionServer.Settings s, ServedDetector... d) {
        server = DetectionServer.start(List.of(d), s.withPort(0));
        return server;
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return ModelFiles.JSON.readTree(r.body());
    }

    @Test
    void singleAndBatchScoresEqualTheDetectorsOwnInOrder() throws Exception {
        start(DetectionServer.Settings.defaults(), fm);
        ImageSet set = ImageSet.concat("mixed", List.of(fx.fashion.subset(0, 6), fx.mnist.subset(0, 4)));
        double[] expected = fx.detector.score(set);
        List<byte[]> pngs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            pngs.add(Fixtures.png(set, i));
            names.add("img-" + i + ".png");
        }
        for (int i = 0; i < set.size(); i++) {
            HttpResponse<String> r = Fixtures.post(server.url() + "v1/detectors/fm/score", "image/png", pngs.get(i));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode j = json(r);
            assertThat(j.get("score").asDouble()).isCloseTo(expected[i], within(1e-9 * Math.abs(expected[i]) + 1e-12));
            assertThat(j.get("threshold").asDouble()).isEqualTo(fx.detector.calibration().threshold());
            assertThat(j.get("is_ood").asBoolean()).isEqualTo(fx.detector.isOutOfDistribution(expected[i]));
            assertThat(j.get("detector").asText()).isEqualTo("fm");
            assertThat(j.get("model").asText()).isEqualTo("gaussian");
            assertThat(j.get("version").asText()).isNotBlank();
        }
        Object[] one = Fixtures.multipart(List.of("a.png"), List.of(pngs.get(7)));
        HttpResponse<String> m = Fixtures.post(server.url() + "v1/detectors/fm/score", (String) one[0], (byte[]) one[1]);
        assertThat(json(m).get("score").asDouble()).isCloseTo(expected[7], within(1e-9 * Math.abs(expected[7]) + 1e-12));

        Object[] form = Fixtures.multipart(names, pngs);
        HttpResponse<String> batch = Fixtures.post(server.url() + "v1/detectors/fm/score-batch", (String) form[0], (byte[]) form[1]);
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
        checkBatch(json(batch), names, expected);

        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("folder/"));
            z.closeEntry();
            for (int i = 0; i < names.size(); i++) {
                z.putNextEntry(new ZipEntry("folder/" + names.get(i)));
                z.write(pngs.get(i));
                z.closeEntry();
            }
        }
        HttpResponse<String> zipped = Fixtures.post(server.url() + "v1/detectors/fm/score-batch", "application/zip", zip.toByteArray());
        assertThat(zipped.statusCode()).as(zipped.body()).isEqualTo(200);
        checkBatch(json(zipped), names.stream().map(n -> "folder/" + n).toList(), expected);
    }

    private static void checkBatch(JsonNode arr, List<String> names, double[] expected) {
        assertThat(arr.size()).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(arr.get(i).get("name").asText()).isEqualTo(names.get(i));
            assertThat(arr.get(i).get("score").asDouble()).isCloseTo(expected[i], within(1e-9 * Math.abs(expected[i]) + 1e-12));
            assertThat(arr.get(i).get("is_ood").asBoolean()).isEqualTo(expected[i] > arr.get(i).get("threshold").asDouble());
        }
    }

    @Test
    void badInputGetsItsStatusAndTheMessageDetectWrites() throws Exception {
        start(DetectionServer.Settings.defaults().withMaxImageBytes(4000), fm);
        String score = server.url() + "v1/detectors/fm/score";
        byte[] junk = "not an image at all".getBytes();
        String notImage = assertThrowsFormat(junk);
        HttpResponse<String> r = Fixtures.post(score, "image/png", junk);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).isEqualTo(notImage);

        byte[] big = Fixtures.png(Synthetic.generate("noise", 1, 1, 32, 32, 1), 0);
        r = Fixtures.post(score, "image/png", big);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).isEqualTo(assertThrowsFormat(big)).contains("32x32 pixels, and the model takes 28x28");

        byte[] huge = new byte[5000];
        new java.util.Random(1).nextBytes(huge);
        r = Fixtures.post(score, "image/png", huge);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(json(r).get("error").asText()).contains("limit of 4000 bytes");
        Object[] hugePart = Fixtures.multipart(List.of("huge.png"), List.of(huge));
        r = Fixtures.post(score, (String) hugePart[0], (byte[]) hugePart[1]);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);

        r = Fixtures.post(score, "image/png", new byte[0]);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).contains("empty request body");

        r = Fixtures.post(server.url() + "v1/detectors/nope/score", "image/png", Fixtures.png(fx.fashion, 0));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).get("error").asText()).contains("no detector named 'nope'").contains("fm");

        Object[] form = Fixtures.multipart(List.of("good.png", "bad.png"), List.of(Fixtures.png(fx.fashion, 0), junk));
        r = Fixtures.post(server.url() + "v1/detectors/fm/score-batch", (String) form[0], (byte[]) form[1]);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).startsWith("image 2 (bad.png): ");

        r = Fixtures.post(server.url() + "v1/detectors/fm/score-batch", "application/zip", junk);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).contains("not a zip");

        assertThat(Fixtures.get(server.url() + "v2/nothing").statusCode()).isEqualTo(404);
    }

    private static String assertThrowsFormat(byte[] bytes) {
        try {
            fx.detector.preprocessing().decode(bytes, "image");
        } catch (DataFormatException e) {
            return e.getMessage();
        }
        throw new AssertionError("the detector accepted the bytes");
    }

    @Test
    void anInternalFailureIsA500AndTheServerGoesOn() throws Exception {
        ServedDetector broken = new ServedDetector("broken", fx.detector, fx.bundle, "0", s -> {
            throw new IllegalStateException("simulated failure");
        });
        start(DetectionServer.Settings.defaults(), fm, broken);
        HttpResponse<String> r = Fixtures.post(server.url() + "v1/detectors/broken/score", "image/png", Fixtures.png(fx.fashion, 0));
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(json(r).get("error").asText()).contains("simulated failure").contains("the server goes on");
        assertThat(Fixtures.post(server.url() + "v1/detectors/fm/score", "image/png", Fixtures.png(fx.fashion, 0)).statusCode()).isEqualTo(200);
        assertThat(json(Fixtures.get(server.url() + "health")).get("status").asText()).isEqualTo("ok");
    }

    @Test
    void metricsCountWhatWasSent() throws Exception {
        start(DetectionServer.Settings.defaults(), fm);
        int ood = 0;
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = Fixtures.post(server.url() + "v1/detectors/fm/score", "image/png", Fixtures.png(fx.mnist, i));
            ood += json(r).get("is_ood").asBoolean() ? 1 : 0;
        }
        Fixtures.post(server.url() + "v1/detectors/fm/score", "image/png", "junk".getBytes());
        Fixtures.post(server.url() + "v1/detectors/fm/score", "image/png", "junk".getBytes());
        HttpResponse<String> m = Fixtures.get(server.url() + "metrics");
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        String text = m.body();
        assertThat(metric(text, "densitylab_images_scored_total{detector=\"fm\"}")).isEqualTo(5);
        assertThat(metric(text, "densitylab_images_ood_total{detector=\"fm\"}")).isEqualTo(ood);
        assertThat(metric(text, "densitylab_ood_fraction_recent{detector=\"fm\"}")).isEqualTo(ood / 5.0);
        assertThat(metric(text, "densitylab_requests_total{endpoint=\"score\",status=\"200\"}")).isEqualTo(5);
        assertThat(metric(text, "densitylab_errors_total{endpoint=\"score\",status=\"400\"}")).isEqualTo(2);
        assertThat(metric(text, "densitylab_request_duration_seconds_count{endpoint=\"score\"}")).isEqualTo(7);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static double metric(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + series + " in\n" + text));
    }

    @Test
    void detectorsAreListedWithTheirCalibrationAndBundleHash() throws Exception {
        start(DetectionServer.Settings.defaults(), fm);
        JsonNode list = json(Fixtures.get(server.url() + "v1/detectors"));
        assertThat(list.size()).isEqualTo(1);
        JsonNode d = list.get(0);
        assertThat(d.get("name").asText()).isEqualTo("fm");
        assertThat(d.get("score").asText()).isEqualTo("likelihood");
        assertThat(d.get("model").asText()).isEqualTo("gaussian");
        assertThat(d.get("threshold").asDouble()).isEqualTo(fx.detector.calibration().threshold());
        assertThat(d.get("calibration").get("n").asInt()).isEqualTo(500);
        assertThat(d.get("sha256").asText()).isEqualTo(Sha256.of(fx.bundle));
    }

    @Test
    void aTamperedBundleStopsStartUpNamingIt() throws Exception {
        Path t = tmp.resolve("tampered.zip");
        byte[] b = Files.readAllBytes(fx.bundle);
        Files.write(t, java.util.Arrays.copyOf(b, b.length - 100));
        assertThatThrownBy(() -> ServedDetector.load("mine=" + t, List.of())).isInstanceOf(DetectorBundleException.class)
                .hasMessageContaining("tampered.zip");
        assertThatThrownBy(() -> DetectionServer.start(List.of(fm, fm), DetectionServer.Settings.defaults().withPort(0)))
                .hasMessageContaining("two detectors are named 'fm'");
    }

    @Test
    void withTrustedKeysOnlyABundleTheySignedIsServed() throws Exception {
        java.security.KeyPair key = densitylab.detect.BundleSignature.generate();
        java.security.KeyPair other = densitylab.detect.BundleSignature.generate();
        Path signed = tmp.resolve("signed.zip");
        fx.detector.save(signed, key);
        assertThat(ServedDetector.load("s=" + signed, List.of(key.getPublic())).name()).isEqualTo("s");
        assertThatThrownBy(() -> ServedDetector.load(signed.toString(), List.of(other.getPublic())))
                .isInstanceOf(DetectorBundleException.class).hasMessageContaining("not a trusted key");
        assertThatThrownBy(() -> ServedDetector.load(fx.bundle.toString(), List.of(key.getPublic())))
                .isInstanceOf(DetectorBundleException.class).hasMessageContaining("not signed");
    }

    @Test
    void concurrentSingleRequestsShareModelCalls() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger largest = new AtomicInteger();
        ServedDetector slow = new ServedDetector("slow", fx.detector, fx.bundle, "0", s -> {
            calls.incrementAndGet();
            largest.accumulateAndGet(s.size(), Math::max);
            pause(150);
            return fx.detector.score(s);
        });
        start(DetectionServer.Settings.defaults(), slow);
        double[] expected = fx.detector.score(fx.fashion.subset(0, 8));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpResponse<String>>> f = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] png = Fixtures.png(fx.fashion, i);
                f.add(pool.submit(() -> Fixtures.post(server.url() + "v1/detectors/slow/score", "image/png", png)));
            }
            for (int i = 0; i < 8; i++) {
                assertThat(json(f.get(i).get(30, TimeUnit.SECONDS)).get("score").asDouble())
                        .as("each request gets its own image's score").isCloseTo(expected[i], within(1e-9 * Math.abs(expected[i])));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(largest.get()).as("requests that queued behind a call were scored together").isGreaterThan(1);
        assertThat(calls.get()).isLessThan(8);
    }

    @Test
    void closingFinishesRequestsInFlightThenRefusesConnections() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        ServedDetector slow = new ServedDetector("slow", fx.detector, fx.bundle, "0", s -> {
            entered.countDown();
            pause(1500);
            return fx.detector.score(s);
        });
        start(DetectionServer.Settings.defaults(), slow);
        String url = server.url();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<HttpResponse<String>> inFlight = pool.submit(() -> Fixtures.post(url + "v1/detectors/slow/score", "image/png",
                    Fixtures.png(fx.fashion, 0)));
            assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();
            server.close();
            HttpResponse<String> r = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json(r).get("score").asDouble()).isEqualTo(fx.detector.score(fx.fashion.subset(0, 1))[0]);
        } finally {
            pool.shutdownNow();
        }
        assertThatThrownBy(() -> Fixtures.get(url + "health")).isInstanceOf(ConnectException.class);
        server = null;
    }

    @Test
    void aBoundedLoadLosesNoResponseAndKeepsResidentMemoryFlat() throws Exception {
        start(DetectionServer.Settings.defaults(), fm);
        int n = 2000;
        int threads = 8;
        byte[][] pngs = new byte[fx.fashion.size()][];
        for (int i = 0; i < pngs.length; i++) {
            pngs[i] = Fixtures.png(fx.fashion, i);
        }
        double[] expected = fx.detector.score(fx.fashion);
        long[] rss = new long[2];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int half = 0; half < 2; half++) {
                List<Future<Boolean>> f = new ArrayList<>();
                for (int r = 0; r < n / 2; r++) {
                    int img = r % pngs.length;
                    f.add(pool.submit(() -> {
                        HttpResponse<String> resp = Fixtures.post(server.url() + "v1/detectors/fm/score", "image/png", pngs[img]);
                        return resp.statusCode() == 200
                                && Math.abs(json(resp).get("score").asDouble() - expected[img]) <= 1e-9 * Math.abs(expected[img]) + 1e-12;
                    }));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                for (Future<Boolean> x : f) {
                    assertThat(x.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                            .as("every request answered with its own image's score").isTrue();
                }
                System.gc();
                rss[half] = residentBytes();
            }
        } finally {
            pool.shutdownNow();
        }
        String metrics = Fixtures.get(server.url() + "metrics").body();
        assertThat(metric(metrics, "densitylab_images_scored_total{detector=\"fm\"}")).isEqualTo(n);
        assertThat(metric(metrics, "densitylab_model_call_images_sum{detector=\"fm\"}")).as("no image scored twice or lost").isEqualTo(n);
        System.out.printf("load test: resident %d MB after the first thousand requests, %d MB after the second%n", rss[0] >> 20, rss[1] >> 20);
        assertThat(rss[1] - rss[0]).as("resident memory growth over the second thousand requests, bytes").isLessThan(64L << 20);
    }

    /** This process's resident set size now (Linux /proc). */
    private static long residentBytes() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }

    @Test
    void thePageListsRunsAndServesTheirFilesButNothingOutside() throws Exception {
        Path runs = tmp.resolve("runs");
        Path run = Files.createDirectories(runs.resolve("demo").resolve("glow"));
        Files.writeString(run.resolve("config.json"), "{\"model\":\"glow\",\"data\":{\"spec\":\"fashion-mnist\"}}");
        Files.writeString(run.resolve("results.json"), "{\"in\":\"fashion-mnist\",\"bpd\":{\"fashion-mnist\":3.1234},"
                + "\"results\":[{\"score\":\"likelihood\",\"out\":\"mnist\",\"auroc\":0.125},{\"score\":\"combined\",\"out\":\"mnist\",\"auroc\":0.9967}]}");
        Files.writeString(run.resolve("report.html"), "<html>the glow's report</html>");
        Path vae = Files.createDirectories(runs.resolve("vae"));
        Files.writeString(vae.resolve("config.json"), "{\"model\":\"vae\",\"data\":{\"spec\":\"fashion-mnist\"},\"result\":{\"test_bpd\":3.4149}}");
        Files.writeString(vae.resolve("audit.html"), "<html>audit</html>");
        Files.writeString(tmp.resolve("secret.txt"), "not for the web");
        start(DetectionServer.Settings.defaults().withRuns(runs), fm);
        String page = Fixtures.get(server.url()).body();
        assertThat(page).contains("demo/glow").contains("3.123").contains("0.997").contains("combined vs mnist")
                .contains("href=\"runs/demo/glow/report.html\"").doesNotContain("runs/demo/glow/audit.html")
                .contains("data-name=\"fm\"").contains("input type=\"file\"")
                .contains("3.415").contains("href=\"runs/vae/audit.html\"").doesNotContain("runs/vae/report.html");
        assertThat(page).doesNotContainPattern("(src|href)=\"(https?:)?//");
        HttpResponse<String> report = Fixtures.get(server.url() + "runs/demo/glow/report.html");
        assertThat(report.statusCode()).isEqualTo(200);
        assertThat(report.body()).isEqualTo("<html>the glow's report</html>");
        assertThat(report.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(Fixtures.get(server.url() + "runs/%2E%2E/secret.txt").statusCode()).isEqualTo(404);
        assertThat(Fixtures.get(server.url() + "runs/demo/../../secret.txt").body()).doesNotContain("not for the web");
        Files.createSymbolicLink(run.resolve("link.txt"), tmp.resolve("secret.txt"));
        assertThat(Fixtures.get(server.url() + "runs/demo/glow/link.txt").statusCode()).isEqualTo(404);
    }
}
