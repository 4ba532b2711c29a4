package densitylab.serve;

import densitylab.data.DataFormatException;
import densitylab.data.ImageSet;
import densitylab.io.BoundedReads;
import densitylab.io.Versions;
import densitylab.nn.ModelFiles;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The detection service: detector bundles behind HTTP (Javalin on Jetty), with Prometheus metrics and a web page of
 * runs and drop zones. Endpoints: {@code POST /v1/detectors/{name}/score} (one image: raw bytes or a multipart file),
 * {@code POST /v1/detectors/{name}/score-batch} (multipart files or a zip, answered in order as one model call),
 * {@code GET /v1/detectors}, {@code GET /health}, {@code GET /metrics}, {@code GET /} and {@code GET /runs/...}.
 * Bad input gets a 4xx and a JSON {@code {"error": ...}} naming the cause; an internal failure a logged 5xx. Closing
 * stops accepting connections and finishes requests in flight (up to the grace period).
 */
public final class DetectionServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionServer.class);
    private static final com.fasterxml.jackson.databind.ObjectWriter COMPACT =
            ModelFiles.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);

    /**
     * How the server listens and what it accepts.
     *
     * @param host            the address to bind (127.0.0.1 keeps it to this machine)
     * @param port            the port, or 0 for a free one
     * @param runs            the folder whose runs the page lists and serves, or null
     * @param maxImageBytes   the largest encoded image accepted (a larger one gets 413)
     * @param maxRequestBytes the largest request body (batches)
     * @param maxBatchImages  the most images in one batch request
     * @param coalesce        the most concurrent single-image requests scored in one model call (1: each alone)
     * @param grace           how long closing waits for requests in flight
     */
    public record Settings(String host, int port, Path runs, long maxImageBytes, long maxRequestBytes, int maxBatchImages,
                           int coalesce, Duration grace) {
        /** 127.0.0.1:8080, no runs, 4 MiB an image, 64 MiB a request, 1,024 images a batch, up to 64 requests a call, 30 s. */
        public static Settings defaults() {
            return new Settings("127.0.0.1", 8080, null, 4L << 20, 64L << 20, 1024, 64, Duration.ofSeconds(30));
        }

        public Settings {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
            }
            if (maxImageBytes < 1 || maxRequestBytes < maxImageBytes) {
                throw new IllegalArgumentException("the image size limit must be positive and at most the request size limit");
            }
            if (maxBatchImages < 1 || coalesce < 1) {
                throw new IllegalArgumentException("batch and coalescing limits must be at least 1");
            }
        }

        public Settings withPort(int p) {
            return new Settings(host, p, runs, maxImageBytes, maxRequestBytes, maxBatchImages, coalesce, grace);
        }

        public Settings withHost(String h) {
            return new Settings(h, port, runs, maxImageBytes, maxRequestBytes, maxBatchImages, coalesce, grace);
        }

        public Settings withRuns(Path r) {
            return new Settings(host, port, r, maxImageBytes, maxRequestBytes, maxBatchImages, coalesce, grace);
        }

        public Settings withMaxImageBytes(long n) {
            return new Settings(host, port, runs, n, Math.max(n, maxRequestBytes), maxBatchImages, coalesce, grace);
        }

        public Settings withCoalesce(int n) {
            return new Settings(host, port, runs, maxImageBytes, maxRequestBytes, maxBatchImages, n, grace);
        }
    }

    /** A request that gets a 4xx: its status and the message the client reads. */
    private static final class BadRequest extends RuntimeException {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final Settings settings;
    private final Map<String, ServedDetector> detectors = new LinkedHashMap<>();
    private final Map<String, Coalescer> coalescers = new LinkedHashMap<>();
    private final ServerMetrics metrics = new ServerMetrics();
    private final String version = String.valueOf(Versions.all().get("densitylab"));
    private final Javalin app;

    private DetectionServer(List<ServedDetector> served, Settings settings) {
        this.settings = settings;
        for (ServedDetector s : served) {
            if (detectors.put(s.name(), s) != null) {
                throw new IllegalArgumentException("two detectors are named '" + s.name() + "': name them with --detector NAME=PATH");
            }
            metrics.detector(s.name());
        }
        app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.http.maxRequestSize = settings.maxRequestBytes();
            c.jetty.multipartConfig.maxFileSize(settings.maxImageBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.multipartConfig.maxTotalRequestSize(settings.maxRequestBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.modifyServer(server -> server.setStopTimeout(settings.grace().toMillis()));
        });
        app.get("/", ctx -> handle(ctx, "page", () -> page(ctx)));
        app.get("/health", ctx -> handle(ctx, "health", () -> json(ctx, 200, Map.of("status", "ok", "detectors", detectors.keySet()))));
        app.get("/metrics", ctx -> handle(ctx, "metrics", () -> ctx.contentType(ServerMetrics.contentType()).result(metrics.scrape())));
        app.get("/v1/detectors", ctx -> handle(ctx, "detectors", () -> json(ctx, 200, describeAll())));
        app.post("/v1/detectors/{name}/score", ctx -> handle(ctx, "score", () -> scoreOne(ctx)));
        app.post("/v1/detectors/{name}/score-batch", ctx -> handle(ctx, "score-batch", () -> scoreBatch(ctx)));
        app.get("/runs/<path>", ctx -> handle(ctx, "runs", () -> runFile(ctx, ctx.pathParam("path"))));
        app.get("/runs", ctx -> ctx.redirect("/"));
        app.error(404, ctx -> {
            if (ctx.result() == null) {
                json(ctx, 404, Map.of("error", "no such endpoint: " + ctx.method() + " " + ctx.path()));
            }
        });
    }

    /**
     * Starts serving the detectors (already loaded and verified, {@link ServedDetector#load}).
     *
     * @throws IllegalArgumentException for two detectors of one name
     */
    public static DetectionServer start(List<ServedDetector> detectors, Settings settings) {
        DetectionServer s = new DetectionServer(detectors, settings);
        for (ServedDetector d : detectors) {
            s.coalescers.put(d.name(), new Coalescer(d, settings.coalesce(), n -> s.metrics.modelCall(d.name(), n)));
        }
        try {
            s.app.start(settings.host(), settings.port());
        } catch (RuntimeException e) {
            s.coalescers.values().forEach(Coalescer::close);
            throw new IllegalStateException("could not listen on " + settings.host() + ":" + settings.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + " (choose another --port or --host)", e);
        }
        return s;
    }

    /** The port it listens on. */
    public int port() {
        return app.port();
    }

    /** The base address, e.g. http://127.0.0.1:8080/. */
    public String url() {
        String h = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        return "http://" + h + ":" + port() + "/";
    }

    /** Stops accepting requests, finishes those in flight (up to the grace period), then stops the scoring workers. */
    @Override
    public void close() {
        app.stop();
        coalescers.values().forEach(Coalescer::close);
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    private void handle(Context ctx, String endpoint, Action action) {
        long t0 = System.nanoTime();
        try {
            action.run();
        } catch (BadRequest e) {
            json(ctx, e.status, Map.of("error", e.getMessage()));
        } catch (DataFormatException e) {
            json(ctx, 400, Map.of("error", e.getMessage()));
        } catch (HttpResponseException e) {
            json(ctx, e.getStatus(), Map.of("error", e.getStatus() == 413 ? tooLarge("the request", settings.maxRequestBytes()) : e.getMessage()));
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof DataFormatException d) {
                json(ctx, 400, Map.of("error", d.getMessage()));
            } else if (isTooLarge(cause)) {
                json(ctx, 413, Map.of("error", tooLarge("an image", settings.maxImageBytes())));
            } else {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), cause);
                json(ctx, 500, Map.of("error", "internal error while serving " + ctx.path() + " (" + cause.getClass().getSimpleName()
                        + ": " + cause.getMessage() + "); it is logged and the server goes on"));
            }
        } finally {
            metrics.request(endpoint, ctx.statusCode(), (System.nanoTime() - t0) / 1e9);
        }
    }

    private static boolean isTooLarge(Throwable t) {
        for (; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("exceeds max") || m.contains("too large") || m.contains("max file size") || m.contains("maxfilesize")) {
                return true;
            }
        }
        return false;
    }

    private static String tooLarge(String what, long limit) {
        return what + " is larger than the server's limit of " + limit + " bytes (serve --max-image-bytes raises it)";
    }

    private ServedDetector detector(Context ctx) {
        String name = ctx.pathParam("name");
        ServedDetector d = detectors.get(name);
        if (d == null) {
            throw new BadRequest(404, "no detector named '" + name + "'; this server has: " + String.join(", ", detectors.keySet()));
        }
        return d;
    }

    private void scoreOne(Context ctx) throws Exception {
        ServedDetector d = detector(ctx);
        byte[] image;
        if (isMultipart(ctx)) {
            List<UploadedFile> files = ctx.uploadedFiles();
            if (files.size() != 1) {
                throw new BadRequest(400, "a multipart request to /score holds exactly one file, got " + files.size()
                        + " (several images go to /score-batch)");
            }
            image = read(files.get(0).content(), settings.maxImageBytes(), "an image");
        } else {
            if (ctx.contentLength() > settings.maxImageBytes()) {
                throw new BadRequest(413, tooLarge("an image", settings.maxImageBytes()));
            }
            image = read(ctx.bodyInputStream(), settings.maxImageBytes(), "an image");
        }
        if (image.length == 0) {
            throw new BadRequest(400, "empty request body: send the image's bytes (PNG, JPEG, BMP or GIF) or a multipart form with one file");
        }
        ImageSet one = d.detector().preprocessing().decode(image, "image");
        double score = coalescers.get(d.name()).submit(one).get();
        boolean ood = d.detector().isOutOfDistribution(score);
        metrics.verdict(d.name(), ood);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("score", score);
        out.put("threshold", d.detector().calibration().threshold());
        out.put("is_ood", ood);
        out.put("detector", d.name());
        out.put("model", d.detector().model().kind());
        out.put("version", version);
        json(ctx, 200, out);
    }

    private void scoreBatch(Context ctx) throws Exception {
        ServedDetector d = detector(ctx);
        List<String> names = new ArrayList<>();
        List<byte[]> images = new ArrayList<>();
        if (isMultipart(ctx)) {
            for (UploadedFile f : ctx.uploadedFiles()) {
                names.add(f.filename());
                images.add(read(f.content(), settings.maxImageBytes(), "part " + names.size() + " (" + f.filename() + ")"));
                checkCount(names.size());
            }
        } else {
            if (ctx.contentLength() > settings.maxRequestBytes()) {
                throw new BadRequest(413, tooLarge("the request", settings.maxRequestBytes()));
            }
            byte[] zip = read(ctx.bodyInputStream(), settings.maxRequestBytes(), "the request");
            try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
                for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                    if (!e.isDirectory()) {
                        names.add(e.getName());
                        images.add(read(z, settings.maxImageBytes(), "entry " + e.getName()));
                        checkCount(names.size());
                    }
                }
            } catch (IOException e) {
                throw new BadRequest(400, "the body is not a readable zip (" + e.getMessage() + "): send a zip of images "
                        + "(Content-Type: application/zip) or a multipart form with one file per image");
            }
            if (names.isEmpty() && zip.length > 0 && !(zip[0] == 'P' && zip[1] == 'K')) {
                throw new BadRequest(400, "the body is not a zip: send a zip of images (Content-Type: application/zip) or a "
                        + "multipart form with one file per image");
            }
        }
        if (names.isEmpty()) {
            throw new BadRequest(400, "no images in the request: send a multipart form with one file per image, or a zip of images");
        }
        List<ImageSet> parts = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            try {
                parts.add(d.detector().preprocessing().decode(images.get(i), names.get(i)));
            } catch (DataFormatException e) {
                throw new BadRequest(400, "image " + (i + 1) + " (" + names.get(i) + "): " + e.getMessage());
            }
        }
        double[] scores = d.score(ImageSet.concat("batch", parts));
        metrics.modelCall(d.name(), scores.length);
        double threshold = d.detector().calibration().threshold();
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            boolean ood = d.detector().isOutOfDistribution(scores[i]);
            metrics.verdict(d.name(), ood);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", names.get(i));
            m.put("score", scores[i]);
            m.put("threshold", threshold);
            m.put("is_ood", ood);
            out.add(m);
        }
        json(ctx, 200, out);
    }

    private void checkCount(int n) {
        if (n > settings.maxBatchImages()) {
            throw new BadRequest(413, "more than " + settings.maxBatchImages() + " images in one batch: split it");
        }
    }

    private static boolean isMultipart(Context ctx) {
        String type = ctx.contentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
    }

    /** Reads a stream, refusing (413) more than limit bytes without reading them all. */
    private static byte[] read(InputStream in, long limit, String what) throws IOException {
        try {
            return BoundedReads.readAtMost(in, limit, what);
        } catch (BoundedReads.TooLargeException e) {
            throw new BadRequest(413, tooLarge(what, limit));
        }
    }

    private List<Map<String, Object>> describeAll() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ServedDetector s : detectors.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("score", s.detector().scoreName());
            m.put("model", s.detector().model().kind());
            m.put("shape", s.detector().preprocessing().shape());
            m.put("resize", s.detector().preprocessing().resize().name().toLowerCase(Locale.ROOT));
            m.put("threshold", s.detector().calibration().threshold());
            m.put("calibration", s.detector().calibration());
            m.put("bundle", s.bundle().getFileName().toString());
            m.put("sha256", s.sha256());
            out.add(m);
        }
        return out;
    }

    private void page(Context ctx) throws IOException {
        List<RunIndex.Run> runs = settings.runs() == null ? List.of() : RunIndex.scan(settings.runs());
        ctx.contentType("text/html; charset=utf-8").result(WebPage.render(version, detectors.values(), runs, settings.runs() != null));
    }

    /** A file under the runs folder, never outside it (no "..", no links out). */
    private void runFile(Context ctx, String relative) throws IOException {
        if (settings.runs() == null) {
            throw new BadRequest(404, "this server lists no runs (serve --runs DIR)");
        }
        Path root = settings.runs().toRealPath();
        Path f = root.resolve(relative).normalize();
        if (!f.startsWith(root) || !Files.isRegularFile(f) || !f.toRealPath().startsWith(root)) {
            throw new BadRequest(404, "no such file under the runs folder: " + relative);
        }
        ctx.contentType(contentType(f.getFileName().toString())).result(Files.readAllBytes(f));
    }

    private static String contentType(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".html")) {
            return "text/html; charset=utf-8";
        } else if (n.endsWith(".png")) {
            return "image/png";
        } else if (n.endsWith(".json")) {
            return "application/json";
        } else if (n.endsWith(".svg")) {
            return "image/svg+xml";
        } else if (n.endsWith(".csv") || n.endsWith(".txt") || n.endsWith(".log")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }

    private static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(COMPACT.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
