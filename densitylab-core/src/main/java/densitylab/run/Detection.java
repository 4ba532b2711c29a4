package densitylab.run;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageFolder;
import densitylab.data.ImageSet;
import densitylab.detect.OodDetector;
import densitylab.io.Progress;
import densitylab.io.SettingException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** A detector's verdicts on a stream of inputs (image files, folders, data sets), as {@code densitylab detect} gives them. */
public final class Detection {
    private Detection() {
    }

    /**
     * One input's verdict.
     *
     * @param path      the file, or SPEC#INDEX for an image of a data set, or the input that failed as a whole
     * @param score     the detector's score (NaN with an error)
     * @param threshold the detector's calibrated threshold
     * @param ood       true when the score is above the threshold
     * @param error     why the input has no score, or null
     */
    public record Verdict(String path, double score, double threshold, boolean ood, String error) {
    }

    /** Where verdicts go, in input order. */
    public interface Sink {
        void accept(Verdict v) throws IOException;

        /** Called after each scored batch; default: nothing. */
        default void flush() throws IOException {
        }
    }

    /**
     * Scores every input (an image file, a folder of image files, recursively, in sorted order, or a data set spec,
     * whose images are named SPEC#INDEX) in batches of batchSize images, and hands each verdict to sink in input order as
     * soon as its batch is scored. An input that cannot be read, decoded or preprocessed gets a verdict with its error
     * and the stream goes on; a folder without image files gets one error verdict. Returns the number of error verdicts.
     */
    public static int stream(OodDetector d, List<String> inputs, int batchSize, Sink sink) throws IOException {
        if (batchSize < 1) {
            throw new SettingException("the batch size must be positive, got " + batchSize, "batch-size");
        }
        int[] failed = {0};
        try (Progress bar = Progress.counter("detect", " images")) {
            Batch batch = new Batch(d, sink, failed, bar, batchSize);
            for (String input : inputs) {
                Path p = Path.of(input);
                if (Files.isDirectory(p)) {
                    int[] found = {0};
                    walk(p, f -> {
                        found[0]++;
                        batch.add(f.toString(), () -> d.preprocessing().decode(Files.readAllBytes(f), f.toString()));
                    }, batch);
                    if (found[0] == 0) {
                        batch.fail(input, "no image files in this folder (" + String.join(", ", ImageFolder.EXTENSIONS) + ")");
                    }
                } else if (Files.exists(p) || Files.isSymbolicLink(p)) {
                    batch.add(input, () -> d.preprocessing().decode(Files.readAllBytes(p), input));
                } else {
                    ImageSet set;
                    try {
                        set = new DataResolver(Fetcher.fromEnvironment()).load(input, "test");
                    } catch (IOException | RuntimeException e) {
                        batch.fail(input, "neither a file, a folder nor a data set: " + e.getMessage());
                        continue;
                    }
                    for (int i = 0; i < set.size(); i++) {
                        ImageSet one = set.subset(i, i + 1);
                        String name = input + "#" + i;
                        batch.add(name, () -> d.preprocessing().apply(one, name));
                    }
                }
            }
            batch.flush();
        }
        return failed[0];
    }

    /**
     * The image files under dir, depth first, each folder's entries in name order (one folder's names in memory at a
     * time); a folder that cannot be listed gets an error row, and links to folders are not followed (no cycles).
     */
    private static void walk(Path dir, IoConsumer<Path> visit, Batch batch) throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted().toList();
        } catch (IOException | RuntimeException e) {
            batch.fail(dir.toString(), "cannot list this folder: " + e);
            return;
        }
        for (Path c : children) {
            String name = c.getFileName().toString();
            if (name.startsWith(".")) {
                continue;
            }
            if (Files.isDirectory(c, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                walk(c, visit, batch);
            } else {
                int dot = name.lastIndexOf('.');
                if (dot > 0 && ImageFolder.EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))) {
                    visit.accept(c);
                }
            }
        }
    }

    @FunctionalInterface
    interface IoConsumer<T> {
        void accept(T t) throws IOException;
    }

    @FunctionalInterface
    interface Loader {
        ImageSet load() throws IOException;
    }

    /** Rows waiting for their batch to be scored, in input order (errors included, so the order is kept). */
    private static final class Batch {
        private final OodDetector d;
        private final Sink sink;
        private final int[] failed;
        private final Progress bar;
        private final int batchSize;
        private final List<String> paths = new ArrayList<>();
        private final List<ImageSet> images = new ArrayList<>();
        private final List<String> errors = new ArrayList<>();
        private int decoded;

        Batch(OodDetector d, Sink sink, int[] failed, Progress bar, int batchSize) {
            this.d = d;
            this.sink = sink;
            this.failed = failed;
            this.bar = bar;
            this.batchSize = batchSize;
        }

        void add(String path, Loader loader) throws IOException {
            ImageSet img = null;
            String error = null;
            try {
                img = loader.load();
            } catch (IOException | RuntimeException | OutOfMemoryError e) {
                error = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            paths.add(path);
            images.add(img);
            errors.add(error);
            decoded += img != null ? 1 : 0;
            if (decoded >= batchSize || paths.size() >= 4 * batchSize) {
                flush();
            }
        }

        void fail(String path, String error) throws IOException {
            paths.add(path);
            images.add(null);
            errors.add(error);
            if (paths.size() >= 4 * batchSize) {
                flush();
            }
        }

        void flush() throws IOException {
            List<ImageSet> ok = images.stream().filter(java.util.Objects::nonNull).toList();
            double[] scores = new double[0];
            String batchError = null;
            if (!ok.isEmpty()) {
                try {
                    scores = d.score(ImageSet.concat("batch", ok));
                } catch (IOException | RuntimeException e) {
                    batchError = "scoring failed: " + e.getMessage();
                }
            }
            double threshold = d.calibration().threshold();
            for (int i = 0, k = 0; i < paths.size(); i++) {
                String error = errors.get(i);
                double s = Double.NaN;
                if (images.get(i) != null) {
                    if (batchError != null) {
                        error = batchError;
                    } else {
                        s = scores[k];
                    }
                    k++;
                }
                if (error != null) {
                    failed[0]++;
                    sink.accept(new Verdict(paths.get(i), Double.NaN, threshold, false, error));
                } else {
                    sink.accept(new Verdict(paths.get(i), s, threshold, d.isOutOfDistribution(s), null));
                }
                bar.step();
            }
            sink.flush();
            paths.clear();
            images.clear();
            errors.clear();
            decoded = 0;
        }
    }

}
