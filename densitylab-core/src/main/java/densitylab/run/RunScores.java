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
import java.util.Map;

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
     * The in-distribution images that scores learning from them (combined, typicality) are fitted on: the run's
     * holdout when it was trained with one (train's holdout, verified against its SHA-256), else its training images,
     * which the model has seen (their bits/dim are biased low; a note says so). At most fitLimit images (0 = all).
     *
     * @throws IllegalArgumentException when the run names no training data, or its holdout no longer matches the data
     */
    public static ImageSet fitImages(RunFolder rf, DataSettings ds, densitylab.data.DataResolver r, int[] shape, int fitLimit,
                                     RunLog log) throws IOException {
        Map<String, Object> config = rf.readConfig();
        String spec = rf.trainingSpec("fitting a score");
        if (config.get("holdout") instanceof Map<?, ?> h && h.get("count") instanceof Number count
                && h.get("seed") instanceof Number seed) {
            int limit = h.get("of_limit") instanceof Number l ? l.intValue() : 0;
            ImageSet all = ds.loadTraining(r, spec, DataSettings.Selection.first(limit));
            ImageSet held = all.split(count.intValue(), seed.longValue()).heldOut();
            if (!held.sha256().equals(h.get("sha256"))) {
                throw new IllegalArgumentException("the holdout recorded in " + rf.config() + " does not match the images of '"
                        + spec + "' any more (its data changed): train the run again");
            }
            return fitLimit > 0 ? held.limit(fitLimit) : held;
        }
        log.note("fitting on training images the model has seen (their bits/dim are biased low); train with a holdout "
                + "to fit on images it has not");
        return ds.load(r, spec, "train", shape, DataSettings.Selection.first(fitLimit));
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
     * likelihood of it (one IWAE pass for a VAE, not four): likelihood, the model's memo (an {@code Experiment} told
     * of it fills it from a set's cached column), or null for a model without one. The related models (background,
     * ensemble, the combined score's peers) come from related, which the caller closes after scoring.
     *
     * @throws IllegalArgumentException for an unknown score or one the model cannot compute
     */
    public static List<OodScore> create(RunFolder rf, GenerativeModel model, MemoizedDensity likelihood, List<String> names,
                                        ScoreOptions options, TrainingData train, RunModels related, RunLog log) throws IOException {
        List<String> chosen = names.isEmpty() ? defaults(rf, model) : names;
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("model '" + model.kind() + "' supports no default score; name one");
        }
        GenerativeModel likelihoodOnce = likelihood != null ? likelihood : model;
        List<OodScore> out = new ArrayList<>();
        for (String n : chosen) {
            densitylab.score.CombinedScore combined = Scores.isCombined(n)
                    ? Scores.combined(n, model, likelihoodOnce instanceof DensityModel d ? d : null, options, related) : null;
            OodScore s = combined != null ? combined : Scores.create(n, Scores.needsTheModel(n) ? model : likelihoodOnce, options, related);
            if (s instanceof densitylab.score.StandardisedMean mean) { // its statistics depend on the feature space
                forgetIfChanged(rf, n, String.join(",", mean.statisticNames())
                        + (options.features() != null ? ";features=" + options.features().name() : ""), List.of(n), log);
            }
            if (Scores.learnsFromImages(n)) {
                rf.trainingSpec("the " + n + " score"); // fails now, before any scoring, if the run names no training data
                s = new FitOnFirstUse(s, () -> {
                    ImageSet images = train.load();
                    boolean costly = !ModelKinds.get(model.kind()).cheapLikelihood() && n.equals("typicality");
                    log.info(n + ": fitting on " + images.size() + " in-distribution images first" + (costly
                            ? " (this model's likelihood takes tens of seconds per 1,000 images; a lower fit limit waits less)" : ""));
                    return images;
                });
            }
            out.add(s);
            if (combined != null) { // each statistic alone beside the combination: what drives it
                out.addAll(combined.statisticViews());
                forgetIfStatisticsChanged(rf, combined, log);
            }
        }
        return out;
    }

    /**
     * Cached columns of a combination are only valid for the statistics they were computed with: RUN/scores/NAME.statistics
     * records them, and a change (another densitylab version, other runs) or a missing record removes the old columns
     * before scoring.
     */
    static void forgetIfStatisticsChanged(RunFolder rf, densitylab.score.CombinedScore combined, RunLog log) throws IOException {
        List<String> columns = new ArrayList<>(List.of(combined.name()));
        combined.statisticViews().forEach(v -> columns.add(v.name()));
        forgetIfChanged(rf, combined.name(), combined.signature(), columns, log);
    }

    /** The same for the columns of a score named name whose values depend on what signature says. */
    static void forgetIfChanged(RunFolder rf, String name, String signature, List<String> columns, RunLog log) throws IOException {
        java.nio.file.Path stamp = rf.scores().resolve(name + ".statistics");
        // no stamp: columns written before stamps, of unknown statistics
        if (!java.nio.file.Files.isRegularFile(stamp) || !java.nio.file.Files.readString(stamp).strip().equals(signature)) {
            if (rf.forgetScores(columns) > 0) {
                log.note(name + " combines other statistics or settings than its cached columns: computing them again");
            }
        }
        java.nio.file.Files.createDirectories(rf.scores());
        densitylab.io.AtomicFiles.writeString(stamp, signature + "\n");
    }

    /**
     * options with the feature space of the classifier an audit cached for the run's training data, when one of the
     * named scores (the run's {@link #defaults} when none are named) uses one
     * ({@link densitylab.model.OwnScores#usesFeatures}) and the data has one; otherwise options as they are. The caller
     * closes the returned options' feature space.
     */
    public static ScoreOptions withAuditFeatures(RunFolder rf, GenerativeModel model, List<String> names, DataSettings ds,
                                                 densitylab.data.DataResolver r, ScoreOptions options, RunLog log) throws IOException {
        if (options.features() != null || !(model instanceof densitylab.model.OwnScores own) || !rf.hasTrainingSpec()
                || (names.isEmpty() ? defaults(rf, model) : names).stream().noneMatch(own::usesFeatures)) {
            return options;
        }
        ImageSet train = ds.load(r, rf.trainingSpec("the audit classifier's features"), "train", model.shape(), DataSettings.Selection.ALL);
        if (!train.hasLabels()) {
            return options;
        }
        java.util.Optional<densitylab.model.FeatureMap> f =
                densitylab.audit.Classifiers.cachedFeatures(train, r.fetcher().cacheDir());
        if (f.isEmpty()) {
            log.note("no audit classifier is cached for this run's training data: the reconstruction score measures pixel "
                    + "distances only (run `densitylab audit` first to add the classifier's feature distance)");
            return options;
        }
        log.info("feature distances in the " + f.get().name());
        return options.withFeatures(f.get());
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
