package densitylab.train;

import densitylab.io.SettingException;

import densitylab.nn.LibTorch;
import densitylab.nn.Noise;

import densitylab.data.PixelReplacement;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How to train: budget, seed, optimisation options, where checkpoints go, and model hyper-parameters.
 *
 * @param seed           seeds shuffling, initialisation and noise
 * @param epochs         maximum passes over the training data ({@link #NO_EPOCH_LIMIT}: until the time budget runs out)
 * @param minutes        wall-clock budget in minutes (0 = none); training stops after the step that crosses it
 * @param batchSize      images per step
 * @param learningRate   peak learning rate
 * @param warmupSteps    linear learning-rate warm-up from 0 over this many steps
 * @param clipNorm       global gradient-norm clipping threshold (0 = off)
 * @param checkpointDir  where checkpoints are written (null = none)
 * @param checkpointSeconds seconds between periodic checkpoints (one is always written at the end of each epoch)
 * @param resume         continue from the last checkpoint in checkpointDir
 * @param params         model hyper-parameters, KEY=VALUE as given on the command line
 * @param workers        threads that compute a step's gradient: 1 (one thread, using every intra-op thread), 2 (each
 *                       half of the batch on its own thread, the intra-op threads shared out between them), or
 *                       {@link #AUTO_WORKERS} (2 where there are at least 2 intra-op threads)
 * @param perturbation   null, or a pixel replacement applied to every training batch with a seed of its own (a
 *                       likelihood-ratio background model's training, Ren et al. 2019); models fitted in closed form
 *                       get the whole training set perturbed once ({@link #perturbedOnce})
 * @param weightDecay    L2 weight decay: lambda * p is added to each parameter's gradient before clipping (0 = off)
 * @param epochListener  null, or told after each completed epoch (the command line writes a GAN's samples then)
 */
public record TrainSettings(long seed, int epochs, double minutes, int batchSize, double learningRate, int warmupSteps,
                            double clipNorm, Path checkpointDir, int checkpointSeconds, boolean resume,
                            Map<String, String> params, int workers, PixelReplacement perturbation, double weightDecay,
                            EpochListener epochListener) {
    /** {@code epochs} meaning "until the time budget runs out". */
    public static final int NO_EPOCH_LIMIT = Integer.MAX_VALUE;
    /** {@code workers} meaning "2 where there are at least 2 intra-op threads, else 1". */
    public static final int AUTO_WORKERS = 0;
    /**
     * At most two workers: their gradients add into each parameter's in either order with the same result
     * (float addition commutes), so a run repeats exactly; with three the order would change the sum.
     */
    public static final int MAX_WORKERS = 2;

    /** The worker count that {@code workers} (1, 2 or {@link #AUTO_WORKERS}) comes to on this thread. */
    public static int resolvedWorkers(int workers) {
        if (workers != AUTO_WORKERS) {
            return workers;
        }
        ai.djl.engine.Engine.getInstance(); // loads libtorch
        return LibTorch.intraOpThreads() >= 2 ? 2 : 1;
    }

    public TrainSettings {
        if (epochs <= 0) {
            throw new SettingException("epochs must be positive, got " + epochs, "epochs");
        }
        if (batchSize <= 0) {
            throw new SettingException("the batch size must be positive, got " + batchSize, "batch-size");
        }
        if (!(learningRate > 0)) {
            throw new SettingException("the learning rate must be positive, got " + learningRate, "lr");
        }
        if (minutes < 0 || warmupSteps < 0 || clipNorm < 0 || !(weightDecay >= 0)) {
            throw new SettingException("minutes, warm-up, clipping norm and weight decay must be >= 0", "minutes", "warmup", "clip", "weight-decay");
        }
        if (workers < 0 || workers > MAX_WORKERS) {
            throw new SettingException("workers must be 1 or 2 (0 = automatic), got " + workers, "workers");
        }
        params = Map.copyOf(params);
    }

    /** Settings without perturbation or weight decay. */
    public TrainSettings(long seed, int epochs, double minutes, int batchSize, double learningRate, int warmupSteps,
                         double clipNorm, Path checkpointDir, int checkpointSeconds, boolean resume, Map<String, String> params,
                         int workers) {
        this(seed, epochs, minutes, batchSize, learningRate, warmupSteps, clipNorm, checkpointDir, checkpointSeconds, resume,
                params, workers, null, 0, null);
    }

    /** Settings with automatic workers. */
    public TrainSettings(long seed, int epochs, double minutes, int batchSize, double learningRate, int warmupSteps,
                         double clipNorm, Path checkpointDir, int checkpointSeconds, boolean resume, Map<String, String> params) {
        this(seed, epochs, minutes, batchSize, learningRate, warmupSteps, clipNorm, checkpointDir, checkpointSeconds, resume,
                params, AUTO_WORKERS);
    }

    /** Defaults for tests and library use: 1 epoch, batch 64, lr 1e-3, no checkpoints. */
    public static TrainSettings defaults(long seed) {
        return new TrainSettings(seed, 1, 0, 64, 1e-3, 0, 0, null, 300, false, Map.of());
    }

    /** A copy with other hyper-parameters. */
    public TrainSettings withParams(Map<String, String> p) {
        return new TrainSettings(seed, epochs, minutes, batchSize, learningRate, warmupSteps, clipNorm, checkpointDir,
                checkpointSeconds, resume, p, workers, perturbation, weightDecay, epochListener);
    }

    /** A copy whose training batches are perturbed (null = none) and whose parameters decay with weightDecay. */
    public TrainSettings withPerturbation(PixelReplacement p, double decay) {
        return new TrainSettings(seed, epochs, minutes, batchSize, learningRate, warmupSteps, clipNorm, checkpointDir,
                checkpointSeconds, resume, params, workers, p, decay, epochListener);
    }

    /** A copy with another seed, budget, checkpoint folder and resume flag (an ensemble member's or background's run). */
    public TrainSettings forRun(long newSeed, double newMinutes, Path newCheckpointDir, boolean newResume) {
        return new TrainSettings(newSeed, epochs, newMinutes, batchSize, learningRate, warmupSteps, clipNorm, newCheckpointDir,
                checkpointSeconds, newResume, params, workers, perturbation, weightDecay, epochListener);
    }

    /** The training set as a model fitted in one pass sees it: perturbed once with the run's seed, if at all. */
    public densitylab.data.ImageSet perturbedOnce(densitylab.data.ImageSet train) {
        return perturbation == null ? train : perturbation.apply(train, Noise.seedOf(seed, -2, 0, 0));
    }

    /** A copy whose listener is told after each completed epoch (null: none). */
    public TrainSettings withEpochListener(EpochListener l) {
        return new TrainSettings(seed, epochs, minutes, batchSize, learningRate, warmupSteps, clipNorm, checkpointDir,
                checkpointSeconds, resume, params, workers, perturbation, weightDecay, l);
    }

    /** A copy with another time budget in minutes. */
    public TrainSettings withMinutes(double m) {
        return new TrainSettings(seed, epochs, m, batchSize, learningRate, warmupSteps, clipNorm, checkpointDir,
                checkpointSeconds, resume, params, workers, perturbation, weightDecay, epochListener);
    }

    /** A copy with another budget. */
    public TrainSettings withEpochs(int e) {
        return new TrainSettings(seed, e, minutes, batchSize, learningRate, warmupSteps, clipNorm, checkpointDir,
                checkpointSeconds, resume, params, workers, perturbation, weightDecay, epochListener);
    }

    /**
     * The hyper-parameters merged over the kind's defaults.
     *
     * @throws IllegalArgumentException for a key the kind does not know, listing the known ones
     */
    public Map<String, String> resolvedParams(String modelName, Map<String, String> defaults) {
        Map<String, String> out = new HashMap<>(defaults);
        for (var e : params.entrySet()) {
            if (!out.containsKey(e.getKey())) {
                Set<String> known = new TreeSet<>(defaults.keySet());
                throw new IllegalArgumentException("model '" + modelName + "' has no parameter '" + e.getKey() + "'"
                        + (known.isEmpty() ? "; it takes none" : "; it takes: " + String.join(", ", known)));
            }
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** An integer parameter, with an error naming it when malformed. */
    public static int intParam(Map<String, String> p, String key) {
        try {
            return Integer.parseInt(p.get(key).trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("parameter " + key + " must be an integer, got '" + p.get(key) + "'");
        }
    }

    /** A floating-point parameter, with an error naming it when malformed. */
    public static double doubleParam(Map<String, String> p, String key) {
        try {
            return Double.parseDouble(p.get(key).trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("parameter " + key + " must be a number, got '" + p.get(key) + "'");
        }
    }
}
