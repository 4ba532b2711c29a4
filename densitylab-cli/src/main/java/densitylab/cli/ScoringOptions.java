package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.eval.RunFolder;
import densitylab.model.GenerativeModel;
import densitylab.model.DensityModel;
import densitylab.score.MemoizedDensity;
import densitylab.score.OodScore;
import densitylab.score.RelatedModels;
import densitylab.score.Scores;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options and steps shared by score and evaluate: the run, the scores, and fitting them on the training data. */
final class ScoringOptions {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run folder holding a trained model.")
    Path run;

    @Option(names = "--score", paramLabel = "NAME", split = ",", arity = "1..*",
            description = "Scores to compute, separated by spaces or commas (default: the likelihood scores the model " +
                    "supports, plus likelihood-ratio when the run has a background model and waic when it has an ensemble). " +
                    "Known: likelihood, typicality, likelihood-ratio, input-complexity (PNG), input-complexity-bzip2, " +
                    "input-complexity-deflate, waic, elbo, iwae, reconstruction (VAE, GANomaly), likelihood-regret, " +
                    "likelihood-regret-encoder, discriminator (GANs), ganomaly.")
    List<String> scores = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Use only the first N images of each set (0 = all).")
    int limit;

    @Option(names = "--fit-limit", paramLabel = "N", defaultValue = "10000",
            description = "Training images used to fit scores that need training statistics (default: ${DEFAULT-VALUE}).")
    int fitLimit = 10000;

    @picocli.CommandLine.Mixin
    ScoreOptionArgs scoreOptions = new ScoreOptionArgs();

    /**
     * The run's scores; those that need the run's training data are fitted on it when they first score, so a
     * command whose score files already hold every column (evaluate run again with other OOD sets, say)
     * neither loads nor scores the training data.
     */
    List<OodScore> createScores(GenerativeModel model, DataResolver r, DataOptions data) throws IOException {
        RunFolder rf = new RunFolder(run);
        List<String> names = new ArrayList<>(scores.isEmpty() ? Scores.defaultsFor(model) : scores);
        if (scores.isEmpty() && model instanceof DensityModel) {
            if (rf.background().hasModel()) {
                names.add("likelihood-ratio");
            }
            if (rf.ensemble().size() > 1) {
                names.add("waic");
            }
        }
        RelatedModels related = new RunModels(rf, model);
        // the scores of one set share the model's likelihood of it (one IWAE pass for a VAE, not four)
        GenerativeModel likelihoodOnce = model instanceof DensityModel d ? new MemoizedDensity(d) : model;
        if (names.isEmpty()) {
            throw new IllegalArgumentException("model '" + model.kind() + "' supports no default score; name one with --score");
        }
        List<OodScore> out = new ArrayList<>();
        for (String n : names) {
            OodScore s = Scores.create(n, Scores.NEED_THE_MODEL.contains(n) ? model : likelihoodOnce,
                    scoreOptions.toOptions(), related);
            if (n.equals("typicality")) {
                String spec = rf.trainingSpec("the typicality score"); // fails now, before any scoring, if the run names no training data
                s = new FitOnFirstUse(s, () -> data.loadFor(r, spec, "train", model.shape(), fitLimit));
            }
            out.add(s);
        }
        return out;
    }

    /** The background model and ensemble members of a run folder, loaded when a score first asks for them. */
    static final class RunModels implements RelatedModels {
        private final RunFolder rf;
        private final GenerativeModel scored;
        private DensityModel background;
        private List<DensityModel> ensemble;

        /** scored: the run's own model, already loaded (member 1 of an ensemble) */
        RunModels(RunFolder rf, GenerativeModel scored) {
            this.rf = rf;
            this.scored = scored;
        }

        @Override
        public DensityModel background() {
            if (background == null) {
                if (!rf.background().hasModel()) {
                    throw new IllegalArgumentException("score 'likelihood-ratio' needs a background model, and " + rf.dir()
                            + " has none: train it with 'densitylab train ... --run " + rf.dir() + " --background 0.2'");
                }
                background = density(rf.background());
            }
            return background;
        }

        @Override
        public List<DensityModel> ensemble() {
            if (ensemble == null) {
                List<RunFolder> members = rf.ensemble();
                if (members.size() < 2) {
                    throw new IllegalArgumentException("score 'waic' needs an ensemble, and " + rf.dir() + " holds one model: "
                            + "train it with 'densitylab train ... --run " + rf.dir() + " --ensemble 5'");
                }
                List<DensityModel> out = new ArrayList<>();
                for (RunFolder m : members) {
                    out.add(m == members.get(0) && scored instanceof DensityModel d ? d : density(m));
                }
                ensemble = out;
            }
            return ensemble;
        }

        private static DensityModel density(RunFolder f) {
            try {
                if (f.loadModel() instanceof DensityModel d) {
                    return d;
                }
                throw new IllegalArgumentException(f.dir() + " holds a model without a likelihood");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
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
}
