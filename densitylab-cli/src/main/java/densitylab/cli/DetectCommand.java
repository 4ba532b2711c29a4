package densitylab.cli;

import densitylab.detect.OodDetector;
import densitylab.io.AtomicFiles;
import densitylab.run.Detection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;



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

    @Option(names = "--trust", paramLabel = "KEY.pub", split = ",", description = "Load the bundle only if one of these public "
            + "keys signed it ('detector keygen', 'detector sign'; repeatable).")
    List<Path> trust = new java.util.ArrayList<>();

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Image files, folders or data set specs.")
    List<String> inputs;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be positive");
        }
        int[] failed = {0};
        try (OodDetector d = load(detector, trust)) {
            if (out != null) {
                AtomicFiles.write(out, o -> failed[0] = writeCsv(d, o));
            } else {
                failed[0] = writeCsv(d, System.out);
                System.out.flush();
            }
        }
        return failed[0] > 0 ? SOME_INPUTS_FAILED : 0;
    }

    /** A bundle, verified; with trusted public key files, only when one of them signed it. */
    static OodDetector load(Path bundle, List<Path> trust) throws java.io.IOException {
        if (trust.isEmpty()) {
            return OodDetector.load(bundle);
        }
        List<java.security.PublicKey> keys = new java.util.ArrayList<>();
        for (Path p : trust) {
            keys.add(densitylab.detect.BundleSignature.readPublicKey(p));
        }
        return OodDetector.load(bundle, keys);
    }

    /** The verdicts as CSV rows path,score,threshold,verdict,error; returns the number of error rows. */
    private int writeCsv(OodDetector d, OutputStream o) throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(o, StandardCharsets.UTF_8));
        w.write("path,score,threshold,verdict,error\n");
        int failed = Detection.stream(d, inputs, batchSize, new Detection.Sink() {
            @Override
            public void accept(Detection.Verdict v) throws IOException {
                w.write(v.error() != null ? csv(v.path()) + ",," + v.threshold() + ",error," + csv(v.error()) + "\n"
                        : csv(v.path()) + "," + v.score() + "," + v.threshold() + "," + (v.ood() ? "ood" : "in") + ",\n");
            }

            @Override
            public void flush() throws IOException {
                w.flush();
            }
        });
        w.flush();
        return failed;
    }

    /** A CSV field, quoted when it holds a comma, quote or line break. */
    static String csv(String field) {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }

}
