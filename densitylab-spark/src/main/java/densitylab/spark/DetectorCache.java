package densitylab.spark;

import densitylab.detect.DetectorBundleException;
import densitylab.detect.OodDetector;
import densitylab.io.Sha256;

import org.apache.spark.SparkFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The detectors this JVM has loaded, by bundle SHA-256: an executor loads a bundle once, however many tasks and
 * partitions it runs, and verifies it (manifest and convolution check) as {@link OodDetector#load} does.
 */
final class DetectorCache {
    private static final Map<String, OodDetector> LOADED = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private DetectorCache() {
    }

    /**
     * The detector of the bundle whose SHA-256 is sha256: read from path where this JVM sees it (a shared file system,
     * or local mode), else from the copy Spark shipped ({@code SparkContext.addFile}, {@code spark-submit --files}).
     *
     * @throws UncheckedIOException when no file with that SHA-256 can be found or it does not load
     */
    static OodDetector get(String path, String sha256) {
        return LOADED.computeIfAbsent(sha256, s -> {
            try {
                Path file = locate(path, sha256);
                OodDetector d = OodDetector.load(file);
                LOADS.incrementAndGet();
                return d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static Path locate(String path, String sha256) throws IOException {
        Path direct = Path.of(path);
        StringBuilder seen = new StringBuilder();
        if (Files.isRegularFile(direct)) {
            String s = Sha256.of(direct);
            if (s.equals(sha256)) {
                return direct;
            }
            seen.append(direct).append(" has SHA-256 ").append(s).append("; ");
        }
        Path shipped;
        try {
            shipped = Path.of(SparkFiles.get(direct.getFileName().toString()));
        } catch (RuntimeException e) {
            shipped = null; // no SparkContext in this JVM
        }
        if (shipped != null && Files.isRegularFile(shipped)) {
            String s = Sha256.of(shipped);
            if (s.equals(sha256)) {
                return shipped;
            }
            seen.append(shipped).append(" has SHA-256 ").append(s).append("; ");
        }
        throw new DetectorBundleException("the executor finds no copy of the detector bundle " + path + " with the SHA-256 the "
                + "driver verified (" + sha256 + "): " + (seen.length() == 0 ? "no file at that path and none shipped; " : seen)
                + "put it on a path every executor reads, or ship it (SparkContext.addFile, spark-submit --files)");
    }

    /** How many bundles this JVM has loaded (each SHA-256 once). */
    static int loads() {
        return LOADS.get();
    }
}
