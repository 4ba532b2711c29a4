package densitylab.serve;

import densitylab.nn.ModelFiles;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The runs under a folder (any folder, up to {@value #DEPTH} levels down, holding a run's config.json or a report). */
final class RunIndex {
    static final int DEPTH = 3;
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    /**
     * One run as the page lists it; the numbers are null where the run has none.
     *
     * @param path      the folder relative to the runs folder, '/'-separated ("" for the folder itself)
     * @param bpd       test bits/dim on the in-distribution set (evaluate's, else what train measured)
     * @param bestAuroc the highest AUROC among its evaluated scores, with the score and the outlier set it came from
     */
    record Run(String path, String model, String data, Double bpd, String date, Double bestAuroc, String bestScore, String bestOut,
               boolean report, boolean audit) {
    }

    private RunIndex() {
    }

    static List<Run> scan(Path root) throws IOException {
        List<Run> runs = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return runs;
        }
        List<Path> dirs;
        try (Stream<Path> w = Files.walk(root, DEPTH)) {
            dirs = w.filter(Files::isDirectory).filter(d -> Files.isRegularFile(d.resolve("config.json"))
                    || Files.isRegularFile(d.resolve("report.html"))).sorted().toList();
        }
        for (Path d : dirs) {
            runs.add(describe(root, d));
        }
        return runs;
    }

    private static Run describe(Path root, Path dir) throws IOException {
        String rel = root.relativize(dir).toString().replace('\\', '/');
        JsonNode config = read(dir.resolve("config.json"));
        JsonNode results = read(dir.resolve("results.json"));
        String model = text(config.path("model"), text(results.path("model"), null));
        String data = text(config.path("data").path("spec"), text(results.path("in"), null));
        Double bpd = null;
        String in = text(results.path("in"), null);
        if (in != null && results.path("bpd").path(in).isNumber()) {
            bpd = results.path("bpd").path(in).asDouble();
        } else if (config.path("result").path("test_bpd").isNumber()) { // measured by train on its first test images
            bpd = config.path("result").path("test_bpd").asDouble();
        }
        Double best = null;
        String bestScore = null;
        String bestOut = null;
        for (JsonNode r : results.path("results")) {
            if (r.path("auroc").isNumber() && (best == null || r.path("auroc").asDouble() > best)) {
                best = r.path("auroc").asDouble();
                bestScore = r.path("score").asText();
                bestOut = r.path("out").asText();
            }
        }
        Path stamp = Files.isRegularFile(dir.resolve("config.json")) ? dir.resolve("config.json") : dir.resolve("report.html");
        String date = DATE.format(Instant.ofEpochMilli(Files.getLastModifiedTime(stamp).toMillis()));
        return new Run(rel, model, data, bpd, date, best, bestScore, bestOut, Files.isRegularFile(dir.resolve("report.html")),
                Files.isRegularFile(dir.resolve("audit.html")));
    }

    private static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            return ModelFiles.JSON.missingNode();
        }
        try {
            return ModelFiles.JSON.readTree(file.toFile());
        } catch (IOException e) {
            return ModelFiles.JSON.missingNode(); // a run being written: listed without its numbers
        }
    }

    private static String text(JsonNode n, String otherwise) {
        return n.isTextual() ? n.asText() : otherwise;
    }
}
