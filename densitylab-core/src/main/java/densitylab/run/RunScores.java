package densitylab.run;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.ScoreOptions;
import densitylab.model.registry.ModelKinds;
import densitylab.score.MemoizedDensity;
import densitylab.score.OodScore;
import densitylab.score.Scores;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The scores of a run's model, with the run's related models, fitted on its training data when they first score. */
public final class RunScores {
    private RunScores() {
    }

    /** Where a score's training data comes from; may read files. */
    @FunctionalInterface
    public interface TrainingData {
        ImageSet load() throws IOException;
    }

    /**
     * The scores computed when none are named: the model kind's defaults, plus likelihood-ratio when the run has a
     * background model and waic when it has an ensemble.
     */
    public static List<String> defaults(RunFolder rf, GenerativeModel model) {
        List<String> names = new ArrayList<>(Scores.defaultsFor(model));
        if (ModelKinds.get(model.kind()).hasLikelihood()) {
            if (rf.background().hasModel()) {
                names.add("likelihood-ratio");
            }
            if (rf.ensemble().size() > 1) {
                names.add("waic");
            }
        }
        return names;
    }

    /**
     * The named scores of the run's model (its {@link #defaults} when names is empty). Those that need the run's
     * training data (typicality) are fitted on train when they first score, so a command whose score files already
     * hold every column neither loads nor scores the training data. The scores of one set share the model's
     * likelihood of it (one IWAE pass for a VAE, not four).
     *
     * @throws IllegalArgumentException for an unknown score or one the model cannot compute
     */
    public static List<OodScore> create(RunFolder rf, GenerativeModel model, List<String> names, ScoreOptions options,
                                        TrainingData train, RunLog log) throws IOException {
        return create(rf, model, model instanceof DensityModel d ? new MemoizedDensity(d) : null, names, options, train, log);
    }

    /**
     * {@link #create(RunFolder, GenerativeModel, List, ScoreOptions, TrainingData, RunLog)} with the likelihood the
     * scores share given (an {@code Experiment} told of it fills it from a set's cached likelihood column).
     */
    public static List<OodScore> create(RunFolder rf, GenerativeModel model, MemoizedDensity likelihood, List<String> names,
                                        ScoreOptions options, TrainingData train, RunLog log) throws IOException {
        List<String> chosen = names.isEmpty() ? defaults(rf, model) : names;
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("model '" + model.kind() + "' supports no default score; name one");
        }
        RunModels related = new RunModels(rf, model);
        GenerativeModel likelihoodOnce = likelihood != null ? likelihood : model;
        List<OodScore> out = new ArrayList<>();
        for (String n : chosen) {
            OodScore s = Scores.create(n, Scores.needsTheModel(n) ? model : likelihoodOnce, options, related);
            if (n.equals("typicality")) {
                rf.trainingSpec("the typicality score"); // fails now, before any scoring, if the run names no training data
                s = new FitOnFirstUse(s, () -> {
                    ImageSet images = train.load();
                    log.info("typicality: the mean bits/dim of " + images.size() + " training images first (a VAE's IWAE takes "
                            + "about 50 s per 1,000 images; fewer with a smaller fit limit)");
                    return images;
                });
            }
            out.add(s);
        }
        return out;
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
}
