package densitylab.cli;

import densitylab.model.ModelKind;
import densitylab.model.registry.ModelKinds;
import densitylab.run.RunLog;
import densitylab.run.TrainRequest;
import densitylab.run.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;



/** {@code densitylab train}: fit or train a model and save it in a run folder. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model on a data set and save it, with its config, checkpoints and samples, in a run folder.",
                "", "Models: gaussian, ppca, gmm (exact, closed form / EM, seconds), and pixel-categorical, the flows " +
                "realnvp and glow, vae, the autoregressive pixelcnn and pixelcnnpp, the GANs dcgan and ganomaly, and the " +
                "diffusion model ddpm (trained by Adam with the shared trainer; --param preset=... and the other " +
                "hyper-parameters are listed in the README). Writes RUN/config.json, RUN/model/, RUN/checkpoints/, " +
                "RUN/samples.png; with --background a whole run folder RUN/background, with --ensemble K the folders " +
                "RUN/ensemble/member-2 .. member-K."},
        footer = {"", "Example: densitylab train --model gmm --data fashion-mnist --run runs/gmm --param components=20"})
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "Model kind: ${COMPLETION-CANDIDATES}.",
            completionCandidates = ModelNames.class)
    String model;

    @Option(names = "--data", required = true, paramLabel = "SET", description = "Training set spec (a catalog name means its train split).")
    String data;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run folder to write.")
    Path run;

    @Option(names = "--epochs", paramLabel = "N", description = "Maximum epochs (default: 10, or no limit when a time budget is given).")
    Integer epochs;

    @Option(names = "--minutes", paramLabel = "M", defaultValue = "0", description = "Time budget of the whole command in minutes "
            + "(0 = none): training steps get 85%% (GANs, which have no bits/dim to compute, 97%%), then the final bits/dim and "
            + "samples are computed in chunks "
            + "until the budget is spent (at least one chunk each).")
    double minutes;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of shuffling, initialisation and noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate of Adam (default: the model's: 1e-3, GANs 2e-4).")
    Double lr;

    @Option(names = "--warmup", paramLabel = "STEPS", defaultValue = "0", description = "Linear learning-rate warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--clip", paramLabel = "NORM", defaultValue = "0", description = "Clip the global gradient norm to NORM (0 = off).")
    double clip;

    @Option(names = "--workers", paramLabel = "N", description = "Threads that compute each step's " +
            "gradient: 1 (one thread drives libtorch's intra-op threads), 2 (each half of the batch on its own thread, " +
            "with half the intra-op threads; faster for models of many small ops such as the flows), or 0 = 2 where " +
            "there are at least 2 threads (default: 0; with --resume, what the run began with). Either way a run " +
            "repeats exactly for its seed.")
    Integer workers;

    @Option(names = "--checkpoint-every", paramLabel = "SECONDS", defaultValue = "300", description = "Seconds between checkpoints; one is also written after every epoch (default: ${DEFAULT-VALUE}).")
    int checkpointSeconds;

    @Option(names = "--resume", description = "Continue from the last checkpoint in RUN/checkpoints.")
    boolean resume;

    @Option(names = "--force", description = "Overwrite a model already trained in RUN, or the checkpoints of an unfinished training.")
    boolean force;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "Model hyper-parameter (repeatable), e.g. components=20.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Train on the first N images only (0 = all).")
    int limit;

    @Option(names = "--holdout", paramLabel = "N", defaultValue = "0", description = "Keep N random training images (after "
            + "--limit, drawn with the seed) out of training, recorded in config.json: evaluate and detector fit fit the scores "
            + "that learn from in-distribution images (combined, typicality) on them (default: 0 = none; they then use "
            + "training images the model has seen).")
    int holdout;

    @Option(names = "--eval-limit", paramLabel = "N", defaultValue = "2000",
            description = "Images of each set (train, test) whose bits/dim are reported after training (0 = all; default: ${DEFAULT-VALUE}).")
    int evalLimit;

    @Option(names = "--background", paramLabel = "MU", description = "Also train a likelihood-ratio background " +
            "model (Ren et al. 2019) into RUN/background: the same model and settings, trained on the training images with " +
            "each pixel value replaced by a uniform random one with probability MU (0.1-0.3; Ren's default 0.2), drawn " +
            "afresh for every batch of every epoch. Enables --score likelihood-ratio. With --resume, adds one to a finished run.")
    Double background;

    @Option(names = "--background-weight-decay", paramLabel = "L", defaultValue = "0",
            description = "L2 weight decay of the background model (default: ${DEFAULT-VALUE}).")
    double backgroundDecay;

    @Option(names = "--weight-decay", paramLabel = "L", defaultValue = "0",
            description = "L2 weight decay of a gradient-trained model: L * p is added to each parameter's gradient; the " +
                    "closed-form models (gaussian, ppca, gmm) have none (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--ensemble", paramLabel = "K", defaultValue = "1", description = "Train K models of the same kind " +
            "with seeds S, S+1, ..., S+K-1, one after another: RUN/model is the first, RUN/ensemble/member-2 ... the others. " +
            "Enables --score waic. With --resume, finished members are kept (default: ${DEFAULT-VALUE}).")
    int ensemble;

    @Option(names = "--minutes-each", paramLabel = "M", description = "Time budget of each model trained (ensemble " +
            "members, background); default: --minutes divided among them.")
    Double minutesEach;

    @Option(names = "--background-minutes", paramLabel = "M", description = "Time budget of the background model " +
            "(default: that of every other model trained).")
    Double backgroundMinutes;

    @Mixin
    DataOptions dataOptions;

    /** Model names for --help. */
    static final class ModelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ModelKinds.all().stream().map(ModelKind::name).iterator();
        }
    }

    @Override
    public Integer call() throws Exception {
        TrainRequest request = TrainRequest.builder(model, data, run).epochs(epochs).minutes(minutes).seed(seed).batchSize(batchSize)
                .lr(lr).warmup(warmup).clip(clip).workers(workers).checkpointSeconds(checkpointSeconds).resume(resume).force(force)
                .params(params).limit(limit).holdout(holdout).evalLimit(evalLimit).background(background).backgroundDecay(backgroundDecay)
                .weightDecay(weightDecay).ensemble(ensemble).minutesEach(minutesEach).backgroundMinutes(backgroundMinutes)
                .dataSettings(dataOptions.settings()).build();
        Training.train(request, RunLog.of(System.out, System.err));
        return 0;
    }
}
