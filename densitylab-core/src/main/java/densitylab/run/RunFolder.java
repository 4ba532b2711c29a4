package densitylab.run;

import com.fasterxml.jackson.core.type.TypeReference;
import densitylab.data.ImageSet;
import densitylab.eval.ScoreTable;
import densitylab.io.AtomicFiles;
import densitylab.io.Versions;
import densitylab.model.GenerativeModel;
import densitylab.nn.ModelFiles;
import densitylab.model.registry.ModelKinds;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of one run: {@code config.json}, {@code model/}, {@code checkpoints/}, {@code scores/SET.csv},
 * {@code results.json}, {@code report.html}, {@code samples.png}. Every file is written atomically.
 */
public record RunFolder(Path dir) {
    public Path config() {
        return dir.resolve("config.json");
    }

    public Path modelDir() {
        return dir.resolve("model");
    }

    public Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    public Path scores() {
        return dir.resolve("scores");
    }

    public Path results() {
        return dir.resolve("results.json");
    }

    public Path report() {
        return dir.resolve("report.html");
    }

    public Path samples() {
        return dir.resolve("samples.png");
    }

    /** The grid of samples at temperature {@value Training#TEMPERATURE} that train draws for tempered-sampling models. */
    public Path temperedSamples() {
        return dir.resolve("samples-t0.7.png");
    }

    /** The run folder of the likelihood-ratio background model (train --background), inside this one. */
    public RunFolder background() {
        return new RunFolder(dir.resolve("background"));
    }

    /** Where ensemble members 2..K live (train --ensemble K). */
    public Path ensembleDir() {
        return dir.resolve("ensemble");
    }

    /** The run folder of ensemble member k (k >= 2; member 1 is this run itself). */
    public RunFolder ensembleMember(int k) {
        if (k < 2) {
            throw new IllegalArgumentException("ensemble member " + k + ": member 1 is the run itself, members 2.. live in " + ensembleDir());
        }
        return new RunFolder(ensembleDir().resolve("member-" + k));
    }

    /** This run's model and its trained ensemble members, in order (just this one without an ensemble). */
    public List<RunFolder> ensemble() {
        List<RunFolder> out = new ArrayList<>(List.of(this));
        for (int k = 2; ensembleMember(k).hasModel(); k++) {
            out.add(ensembleMember(k));
        }
        return out;
    }

    /**
     * Removes the named score columns from every cached score file of this run (they depend on a related model that
     * was retrained); the files stay valid for their other columns. Returns how many files changed.
     */
    public int forgetScores(List<String> names) throws IOException {
        if (!Files.isDirectory(scores())) {
            return 0;
        }
        int changed = 0;
        try (var files = Files.list(scores())) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".csv")).toList()) {
                ScoreTable t = ScoreTable.read(f);
                boolean any = false;
                for (String n : names) {
                    any |= t.remove(n);
                }
                if (any) {
                    t.write(f);
                    changed++;
                }
            }
        }
        return changed;
    }

    /** True when a trained model is saved here. */
    public boolean hasModel() {
        return Files.isRegularFile(modelDir().resolve("model.json"));
    }

    /** The saved model, or an error that says how to make one. */
    public GenerativeModel loadModel() throws IOException {
        if (!hasModel()) {
            throw new NoSuchFileException(dir.toString(), null,
                    "no trained model in this run folder; train one into it first");
        }
        return ModelKinds.load(modelDir());
    }

    /** config.json as a map (empty when absent). */
    public Map<String, Object> readConfig() throws IOException {
        if (!Files.isRegularFile(config())) {
            return new LinkedHashMap<>();
        }
        return ModelFiles.JSON.readValue(config().toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    /**
     * The spec of the data the run was trained on (config.json's data.spec, as {@link #describe} writes it).
     *
     * @param neededFor what needs it, for the error message
     * @throws IllegalArgumentException when config.json names no training data
     */
    public String trainingSpec(String neededFor) throws IOException {
        if (readConfig().get("data") instanceof Map<?, ?> m && m.get("spec") instanceof String spec) {
            return spec;
        }
        throw new IllegalArgumentException(dir + "/config.json names no training data, which " + neededFor + " needs");
    }

    /** Whether config.json names the data the run was trained on. */
    public boolean hasTrainingSpec() throws IOException {
        return readConfig().get("data") instanceof Map<?, ?> m && m.get("spec") instanceof String;
    }

    /** Writes config.json atomically. */
    public void writeConfig(Map<String, Object> config) throws IOException {
        AtomicFiles.write(config(), ModelFiles.JSON.writeValueAsBytes(config));
    }

    /** Writes any JSON value to a file in the run atomically. */
    public void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.write(file, ModelFiles.JSON.writeValueAsBytes(value));
    }

    /** Versions of everything that shapes a result ({@link Versions#all()}). */
    public static Map<String, Object> versions() {
        return Versions.all();
    }

    /** What identifies a data set in provenance: its spec, size, shape and content checksum. */
    public static Map<String, Object> describe(String spec, ImageSet set) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spec", spec);
        m.put("count", set.size());
        m.put("shape", set.shape());
        m.put("sha256", set.sha256());
        return m;
    }
}
