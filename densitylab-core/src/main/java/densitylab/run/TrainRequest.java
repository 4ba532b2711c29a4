package densitylab.run;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to train into a run folder: a model kind on a data set, with an optional likelihood-ratio background model
 * and WAIC ensemble members, under a time budget. Build one with {@link #builder}; every setting not given has the
 * command line's default.
 *
 * @param model             model kind name ({@code ModelKinds})
 * @param data              training set spec (a catalog name means its train split; its test split is reported)
 * @param run               the run folder
 * @param epochs            maximum epochs; null: when resuming, what the run began with, else no limit under a budget, 10 without
 * @param minutes           time budget of the whole request (0 = none): steps get the kind's share, the rest the final
 *                          bits/dim and samples; divided among the networks that train unless {@code minutesEach} is given
 * @param seed              seed of shuffling, initialisation and noise; ensemble member k gets seed + k - 1
 * @param batchSize         images per step
 * @param lr                Adam's peak learning rate; null: the kind's
 * @param warmup            linear learning-rate warm-up steps
 * @param clip              global gradient-norm clipping (0 = none)
 * @param workers           gradient threads (1, 2, 0 = automatic); null: when resuming, what the run began with, else automatic
 * @param checkpointSeconds seconds between checkpoints (one is also written after every epoch)
 * @param resume            continue from the last checkpoint (and keep finished background and members)
 * @param force             replace a model or an unfinished training already in the folder
 * @param params            model hyper-parameters
 * @param limit             train on the first n images only (0 = all)
 * @param holdout           images of the training set (after the limit) kept out of training, drawn with the seed: the
 *                          in-distribution images that scores such as combined and typicality are fitted on (0 = none)
 * @param evalLimit         images of each set (train, test) whose bits/dim are reported after training (0 = all)
 * @param background        pixel replacement rate of a likelihood-ratio background model (Ren et al. 2019), or null
 * @param backgroundDecay   L2 weight decay of the background model
 * @param weightDecay       L2 weight decay of the model
 * @param ensemble          models in the WAIC ensemble (1 = none)
 * @param minutesEach       budget of each network trained, or null
 * @param backgroundMinutes budget of the background model, or null (that of every other network)
 * @param dataSettings      where data comes from
 */
public record TrainRequest(String model, String data, Path run, Integer epochs, double minutes, long seed, int batchSize,
                           Double lr, int warmup, double clip, Integer workers, int checkpointSeconds, boolean resume,
                           boolean force, Map<String, String> params, int limit, int holdout, int evalLimit, Double background,
                           double backgroundDecay, double weightDecay, int ensemble, Double minutesEach,
                           Double backgroundMinutes, DataSettings dataSettings) {
    public TrainRequest {
        params = Map.copyOf(params);
        if (limit < 0 || holdout < 0) {
            throw new densitylab.io.SettingException("the limit and the holdout must be >= 0, got " + limit + " and " + holdout,
                    "limit", "holdout");
        }
    }

    /** A builder of a request to train model on data into run, with every other setting at its default. */
    public static Builder builder(String model, String data, Path run) {
        return new Builder(model, data, run);
    }

    /** A builder holding this request's settings. */
    public Builder toBuilder() {
        Builder b = new Builder(model, data, run);
        b.epochs = epochs;
        b.minutes = minutes;
        b.seed = seed;
        b.batchSize = batchSize;
        b.lr = lr;
        b.warmup = warmup;
        b.clip = clip;
        b.workers = workers;
        b.checkpointSeconds = checkpointSeconds;
        b.resume = resume;
        b.force = force;
        b.params = new LinkedHashMap<>(params);
        b.limit = limit;
        b.holdout = holdout;
        b.evalLimit = evalLimit;
        b.background = background;
        b.backgroundDecay = backgroundDecay;
        b.weightDecay = weightDecay;
        b.ensemble = ensemble;
        b.minutesEach = minutesEach;
        b.backgroundMinutes = backgroundMinutes;
        b.dataSettings = dataSettings;
        return b;
    }

    /** Sets a {@link TrainRequest}'s settings; see the record's components for their meaning. */
    public static final class Builder {
        private final String model;
        private final String data;
        private final Path run;
        private Integer epochs;
        private double minutes;
        private long seed;
        private int batchSize = 64;
        private Double lr;
        private int warmup;
        private double clip;
        private Integer workers;
        private int checkpointSeconds = 300;
        private boolean resume;
        private boolean force;
        private Map<String, String> params = new LinkedHashMap<>();
        private int limit;
        private int holdout;
        private int evalLimit = 2000;
        private Double background;
        private double backgroundDecay;
        private double weightDecay;
        private int ensemble = 1;
        private Double minutesEach;
        private Double backgroundMinutes;
        private DataSettings dataSettings = DataSettings.defaults();

        private Builder(String model, String data, Path run) {
            this.model = model;
            this.data = data;
            this.run = run;
        }

        public Builder epochs(Integer v) { epochs = v; return this; }
        public Builder minutes(double v) { minutes = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder lr(Double v) { lr = v; return this; }
        public Builder warmup(int v) { warmup = v; return this; }
        public Builder clip(double v) { clip = v; return this; }
        public Builder workers(Integer v) { workers = v; return this; }
        public Builder checkpointSeconds(int v) { checkpointSeconds = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }
        public Builder force(boolean v) { force = v; return this; }
        public Builder param(String key, String value) { params.put(key, value); return this; }
        public Builder params(Map<String, String> v) { params = new LinkedHashMap<>(v); return this; }
        public Builder limit(int v) { limit = v; return this; }
        public Builder holdout(int v) { holdout = v; return this; }
        public Builder evalLimit(int v) { evalLimit = v; return this; }
        public Builder background(Double v) { background = v; return this; }
        public Builder backgroundDecay(double v) { backgroundDecay = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder ensemble(int v) { ensemble = v; return this; }
        public Builder minutesEach(Double v) { minutesEach = v; return this; }
        public Builder backgroundMinutes(Double v) { backgroundMinutes = v; return this; }
        public Builder dataSettings(DataSettings v) { dataSettings = v; return this; }

        public TrainRequest build() {
            return new TrainRequest(model, data, run, epochs, minutes, seed, batchSize, lr, warmup, clip, workers,
                    checkpointSeconds, resume, force, params, limit, holdout, evalLimit, background, backgroundDecay, weightDecay,
                    ensemble, minutesEach, backgroundMinutes, dataSettings);
        }
    }
}
