package densitylab.run;

import densitylab.model.ScoreOptions;

import java.nio.file.Path;
import java.util.List;

/**
 * What to evaluate: a run's model on an in-distribution set against OOD sets, with named scores.
 *
 * @param run          the run folder
 * @param in           in-distribution set spec (a catalog name means its test split)
 * @param outs         OOD set specs (synthetic sets take the model's shape)
 * @param scores       score names; empty: the run's defaults ({@link RunScores#defaults})
 * @param selection    which images of each set (all, the first n, a random n)
 * @param fitLimit     training images for scores fitted on them (typicality)
 * @param options      the scores' settings
 * @param bootstrap    bootstrap replicates of the AUROC confidence intervals (0 = none)
 * @param seed         seed of the bootstrap and of the report's samples
 * @param dataSettings where data comes from
 * @param with         other runs trained on the same data whose models' statistics join the combined score's
 * @param freshSamples draw the report's sample grids anew instead of reusing those train drew
 */
public record EvaluateRequest(Path run, String in, List<String> outs, List<String> scores, DataSettings.Selection selection,
                              int fitLimit, ScoreOptions options, int bootstrap, long seed, DataSettings dataSettings,
                              List<Path> with, boolean freshSamples) {
    /** A request that reuses the sample grids train drew (see {@link #withFreshSamples}). */
    public EvaluateRequest(Path run, String in, List<String> outs, List<String> scores, DataSettings.Selection selection,
                           int fitLimit, ScoreOptions options, int bootstrap, long seed, DataSettings dataSettings, List<Path> with) {
        this(run, in, outs, scores, selection, fitLimit, options, bootstrap, seed, dataSettings, with, false);
    }

    /** A request without other runs. */
    public EvaluateRequest(Path run, String in, List<String> outs, List<String> scores, DataSettings.Selection selection,
                           int fitLimit, ScoreOptions options, int bootstrap, long seed, DataSettings dataSettings) {
        this(run, in, outs, scores, selection, fitLimit, options, bootstrap, seed, dataSettings, List.of());
    }

    public EvaluateRequest {
        outs = List.copyOf(outs);
        scores = List.copyOf(scores);
        with = List.copyOf(with);
        if (outs.isEmpty()) {
            throw new IllegalArgumentException("an evaluation needs at least one OOD set");
        }
        if (fitLimit < 0 || bootstrap < 0) {
            throw new IllegalArgumentException("the fit limit and the bootstrap replicates must be >= 0");
        }
    }

    /** The run's default scores on whole sets, 10,000 fitting images, default score options, 200 bootstrap replicates, seed 0. */
    public static EvaluateRequest of(Path run, String in, List<String> outs) {
        return new EvaluateRequest(run, in, outs, List.of(), DataSettings.Selection.ALL, 10000, ScoreOptions.defaults(), 200, 0,
                DataSettings.defaults());
    }

    /** This request with other scores. */
    public EvaluateRequest withScores(List<String> names) {
        return new EvaluateRequest(run, in, outs, names, selection, fitLimit, options, bootstrap, seed, dataSettings, with, freshSamples);
    }

    /**
     * This request drawing the report's sample grids anew (fresh = true) instead of reusing RUN/samples.png and
     * RUN/samples-t0.7.png, which train drew from the same model (an autoregressive model draws for minutes).
     */
    public EvaluateRequest withFreshSamples(boolean fresh) {
        return new EvaluateRequest(run, in, outs, scores, selection, fitLimit, options, bootstrap, seed, dataSettings, with, fresh);
    }

    /** This request on other images of each set. */
    public EvaluateRequest withSelection(DataSettings.Selection s) {
        return new EvaluateRequest(run, in, outs, scores, s, fitLimit, options, bootstrap, seed, dataSettings, with, freshSamples);
    }

    /** This request with another fit limit, bootstrap and seed. */
    public EvaluateRequest withFitting(int fitImages, int replicates, long s) {
        return new EvaluateRequest(run, in, outs, scores, selection, fitImages, options, replicates, s, dataSettings, with, freshSamples);
    }

    /** This request with other runs' models joining the combined score. */
    public EvaluateRequest withRuns(List<Path> runs) {
        return new EvaluateRequest(run, in, outs, scores, selection, fitLimit, options, bootstrap, seed, dataSettings, runs, freshSamples);
    }

    /** This request with other score options and data settings. */
    public EvaluateRequest withSettings(ScoreOptions o, DataSettings d) {
        return new EvaluateRequest(run, in, outs, scores, selection, fitLimit, o, bootstrap, seed, d, with, freshSamples);
    }
}
