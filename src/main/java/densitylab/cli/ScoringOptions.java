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
import java.io.UncheckedIOException;
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

    /**
     * The run's scores; those that need the run's training data are fitted on it when they first score, so a
     * command whose score files already hold every column (evaluate run again with other OOD sets, say)
     * neither loads nor scores the training data.
     */
    List<OodScore> createScores(GenerativeModel model, DataResolver r, DataOptions data) throws IOException {
        List<String> names = scores.isEmpty() ? Scores.defaultsFor(model) : scores;
        if (names.isEmpty()) {
            throw new IllegalArgumentException("model '" + model.kind() + "' supports no default score; name one with --score");
        }
        List<OodScore> out = new ArrayList<>();
        for (String n : names) {
            OodScore s = Scores.create(n, model, new ScoreOptions(iwaeSamples, regretSteps, regretLr));
            if (n.equals("typicality")) {
                String spec = trainingSpec(); // fails now, before any scoring, if the run names no training data
                s = new FitOnFirstUse(s, () -> data.loadFor(r, spec, "train", model.shape(), fitLimit));
            }
            out.add(s);
        }
        return out;
    }

    /** Where a score's training data comes from; may read files. */
    interface TrainingData {
        ImageSet load() throws IOException;
    }

    /** A score that is fitted on the training data just before it first scores. */
    static final class FitOnFirstUse implements OodScore {
        private OodScore score;
        private final TrainingData train;
        private boolean fitted;

        FitOnFirstUse(OodScore score, TrainingData train) {
            this.score = score;
            this.train = train;
        }

        @Override
        public String name() {
            return score.name();
        }

        @Override
        public OodScore fit(ImageSet images) {
            score = score.fit(images);
            fitted = true;
            return this;
        }

        @Override
        public double[] score(ImageSet images) {
            if (!fitted) {
                try {
                    fit(train.load());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return score.score(images);
        }
    }

    /** The spec of the run's training data, from its config.json. */
    private String trainingSpec() throws IOException {
        Map<String, Object> config = new RunFolder(run).readConfig();
        Object d = config.get("data");
        if (!(d instanceof Map<?, ?> m) || !(m.get("spec") instanceof String spec)) {
            throw new IllegalArgumentException(run + "/config.json names no training data, which the typicality score needs");
        }
        return spec;
    }
}
