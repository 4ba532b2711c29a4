package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.eval.RunFolder;
import densitylab.model.GenerativeModel;
import densitylab.score.OodScore;
import densitylab.score.ScoreOptions;
import densitylab.score.Scores;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Options and steps shared by score and evaluate: the run, the scores, and fitting them on the training data. */
final class ScoringOptions {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run folder holding a trained model.")
    Path run;

    @Option(names = "--score", paramLabel = "NAME", split = ",",
            description = "Scores to compute (repeatable or comma-separated; default: all the model supports). Known: likelihood, typicality, elbo, iwae, reconstruction, likelihood-regret.")
    List<String> scores = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Use only the first N images of each set (0 = all).")
    int limit;

    @Option(names = "--fit-limit", paramLabel = "N", defaultValue = "10000",
            description = "Training images used to fit scores that need training statistics (default: ${DEFAULT-VALUE}).")
    int fitLimit;

    @Option(names = "--iwae-samples", paramLabel = "K", defaultValue = "100", description = "Importance samples of the iwae score (default: ${DEFAULT-VALUE}).")
    int iwaeSamples;

    @Option(names = "--regret-steps", paramLabel = "N", defaultValue = "50", description = "Adam steps of likelihood-regret (default: ${DEFAULT-VALUE}).")
    int regretSteps;

    @Option(names = "--regret-lr", paramLabel = "LR", defaultValue = "1e-2", description = "Learning rate of likelihood-regret (default: ${DEFAULT-VALUE}).")
    double regretLr;

    /** The run's scores, fitted on the run's training data where they need it. */
    List<OodScore> fittedScores(GenerativeModel model, DataResolver r, DataOptions data) throws IOException {
        List<String> names = scores.isEmpty() ? Scores.defaultsFor(model) : scores;
        if (names.isEmpty()) {
            throw new IllegalArgumentException("model '" + model.kind() + "' supports no default score; name one with --score");
        }
        List<OodScore> out = new ArrayList<>();
        ImageSet train = null;
        for (String n : names) {
            OodScore s = Scores.create(n, model, new ScoreOptions(iwaeSamples, regretSteps, regretLr));
            if (n.equals("typicality")) {
                if (train == null) {
                    train = trainingSet(model, r, data);
                }
                s = s.fit(train);
            }
            out.add(s);
        }
        return out;
    }

    private ImageSet trainingSet(GenerativeModel model, DataResolver r, DataOptions data) throws IOException {
        Map<String, Object> config = new RunFolder(run).readConfig();
        Object d = config.get("data");
        if (!(d instanceof Map<?, ?> m) || !(m.get("spec") instanceof String spec)) {
            throw new IllegalArgumentException(run + "/config.json names no training data, which this score needs");
        }
        return data.loadFor(r, spec, "train", model.shape(), fitLimit);
    }
}
