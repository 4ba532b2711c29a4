package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageFolder;
import densitylab.data.ImageSet;
import densitylab.detect.OodDetector;
import densitylab.io.AtomicFiles;
import densitylab.io.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code densitylab detect}: a saved detector's verdict on image files, folders and data sets, as streaming CSV. */
@Command(name = "detect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Score inputs with a detector bundle ('detector fit') and write CSV rows path,score,threshold,verdict,error " +
                "(verdict: ood, in or error) to standard output or --out, as the inputs stream by. PATH is an image file, " +
                "a folder (its image files, recursively, in sorted order) or a data set spec (rows SPEC#INDEX). An input that " +
                "cannot be read or decoded, or that the detector's preprocessing refuses, gets a row with its error and the " +
                "run goes on; a folder without image files gets one error row.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every input was scored", "3:at least one input got an error row", "1:the detector could not be loaded " +
                "or another failure stopped the run", "2:wrong options"})
final class DetectCommand implements Callable<Integer> {
    static final int SOME_INPUTS_FAILED = 3;

    @Option(names = "--detector", required = true, paramLabel = "FILE.zip", description = "A bundle written by 'detector fit'.")
    Path detector;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the CSV here (atomically, when the run ends) instead of standard output.")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64", description = "Images scored together (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Image files, folders or data set specs.")
    List<String> inputs;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be positive");
        }
        OodDetector d = OodDetector.load(detector);
        int[] failed = {0};
        if (out != null) {
            AtomicFiles.write(out, o -> run(d, o, failed));
        } else {
            run(d, System.out, failed);
            System.out.flush();
        }
        return failed[0] > 0 ? SOME_INPUTS_FAILED : 0;
    }

    private void run(OodDetector d, OutputStream o, int[] failed) throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(o, StandardCharsets.UTF_8));
        w.write("path,score,threshold,verdict,error\n");
        try (Progress bar = Progress.counter("detect", " images")) {
            Batch batch = new Batch(d, w, failed, bar);
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
        w.flush();
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
    private final class Batch {
        private final OodDetector d;
        private final Writer w;
        private final int[] failed;
        private final Progress bar;
        private final List<String> paths = new ArrayList<>();
        private final List<ImageSet> images = new ArrayList<>();
        private final List<String> errors = new ArrayList<>();
        private int decoded;

        Batch(OodDetector d, Writer w, int[] failed, Progress bar) {
            this.d = d;
            this.w = w;
            this.failed = failed;
            this.bar = bar;
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
            String threshold = Double.toString(d.calibration().threshold());
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
                    w.write(csv(paths.get(i)) + ",," + threshold + ",error," + csv(error) + "\n");
                } else {
                    w.write(csv(paths.get(i)) + "," + s + "," + threshold + "," + (d.isOutOfDistribution(s) ? "ood" : "in") + ",\n");
                }
                bar.step();
            }
            w.flush();
            paths.clear();
            images.clear();
            errors.clear();
            decoded = 0;
        }
    }

    /** A CSV field, quoted when it holds a comma, quote or line break. */
    static String csv(String field) {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }

}
