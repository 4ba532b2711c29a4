package densitylab.cli;

import densitylab.data.Catalog;
import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.data.PixelReplacement;
import densitylab.eval.RunFolder;
import densitylab.io.Trees;
import densitylab.train.Checkpoints;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.ModelKind;
import densitylab.train.TrainSettings;
import densitylab.model.TrainedModel;
import densitylab.train.Trainer;
import densitylab.nn.Units;
import densitylab.model.registry.ModelKinds;
import densitylab.report.ImageGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code densitylab train}: fit or train a model and save it in a run folder. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model on a data set and save it, with its config, checkpoints and samples, in a run folder.",
                "", "Models: gaussian, ppca, gmm (exact, closed form / EM, seconds), and pixel-categorical, the flows " +
                "realnvp and glow, vae, and the autoregressive pixelcnn and pixelcnnpp (trained by Adam with the shared " +
                "trainer; --param preset=... and the other " +
                "hyper-parameters are listed in the README). Writes RUN/config.json, RUN/model/, RUN/checkpoints/, " +
                "RUN/samples.png; with --background a whole run folder RUN/background, with --ensemble K the folders " +
                "RUN/ensemble/member-2 .. member-K."},
        footer = {"", "Example: densitylab train --model gmm --data fashion-mnist --run runs/gmm --param components=20"})
final class TrainCommand implements Callable<Integer> {
    private static final int DEFAULT_EPOCHS = 10;
    /** Where a replaced training's files wait until the new training has written its first checkpoint. */
    private static final String PREVIOUS = ".previous";

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

    /**
     * --epochs if given; when resuming, the limit the run was started with; else no limit under a time budget
     * and {@value #DEFAULT_EPOCHS} without one.
     */
    private int maxEpochs(RunFolder rf) throws IOException {
        if (epochs != null) {
            return epochs;
        }
        if (resume && Files.isRegularFile(rf.config()) && rf.readConfig().get("training") instanceof Map<?, ?> t
                && t.containsKey("epochs")) {
            return t.get("epochs") instanceof Number n ? n.intValue() : TrainSettings.NO_EPOCH_LIMIT;
        }
        return minutes > 0 || (minutesEach != null && minutesEach > 0) ? TrainSettings.NO_EPOCH_LIMIT : DEFAULT_EPOCHS;
    }

    /**
     * The worker count to train with: --workers if given, else, when resuming, the count the run began with
     * (its noise is drawn per worker, so another count continues with other draws than an uninterrupted run
     * would), else automatic; resolved to 1 or 2. Says so on stderr when a resumed run gets another count.
     */
    private int workers(RunFolder rf) throws IOException {
        Integer began = null;
        if (resume && Files.isRegularFile(rf.config()) && rf.readConfig().get("training") instanceof Map<?, ?> t) {
            Object w = t.get("workers");
            if (w instanceof Number n) {
                began = n.intValue();
            } else if ("auto".equals(w)) { // recorded unresolved by the first versions with workers
                began = TrainSettings.resolvedWorkers(TrainSettings.AUTO_WORKERS);
            }
        }
        int now = TrainSettings.resolvedWorkers(workers != null ? workers : began != null ? began : TrainSettings.AUTO_WORKERS);
        if (began != null && began != now) {
            System.err.println("densitylab: note: the run began with " + began + " gradient worker" + (began == 1 ? "" : "s")
                    + " and continues with " + now + "; the remaining steps draw other noise than an uninterrupted run would");
        }
        return now;
    }

    /** Moves those of the paths that exist (children of the run folder) into the folder previous. */
    private static void setAside(Path previous, List<Path> paths) throws IOException {
        for (Path p : paths) {
            if (Files.exists(p)) {
                Files.createDirectories(previous);
                Files.move(p, previous.resolve(p.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    /** Moves everything in previous back into run, replacing what the failed training wrote, and removes previous. */
    private static void putBack(Path previous, Path run) throws IOException {
        try (var s = Files.list(previous)) {
            for (Path p : s.toList()) {
                Path target = run.resolve(p.getFileName().toString());
                Trees.delete(target);
                Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Trees.delete(previous);
    }

    @Override
    public Integer call() throws Exception {
        ModelKind kind = ModelKinds.get(model);
        RunFolder rf = new RunFolder(run);
        if (rf.hasModel() && !resume && !force) {
            throw new IllegalArgumentException("run folder " + run + " already holds a trained model; choose another --run, "
                    + "continue with --resume, or overwrite with --force");
        }
        Path unfinished = rf.hasModel() ? null : Checkpoints.latest(rf.checkpoints());
        if (unfinished != null && !resume && !force) {
            throw new IllegalArgumentException("run folder " + run + " holds the checkpoint " + unfinished.getFileName()
                    + " of an unfinished training; continue it with --resume, or start over with --force");
        }
        DataResolver r = dataOptions.resolver();
        ImageSet train = r.load(data, "train");
        if (limit > 0) {
            train = train.limit(limit);
        }
        if (dataOptions.resize != null && !dataOptions.resize.equals(DataOptions.MODEL_SHAPE)) {
            int[] s = densitylab.data.Synthetic.parseShape(dataOptions.resize);
            train = densitylab.data.SetTransforms.resize(train, s[1], s[2]);
        }
        DataResolver.Spec spec = DataResolver.parse(data);
        ImageSet test = null;
        String testSpec = null;
        if (!spec.isPath() && Catalog.contains(spec.base()) && spec.split() == null) {
            testSpec = data.replaceFirst("^" + java.util.regex.Pattern.quote(spec.base()), spec.base() + ":test");
            test = dataOptions.loadFor(r, testSpec, "test", train.shape(), 0);
        }
        int maxEpochs = maxEpochs(rf);
        int workerCount = workers(rf);
        TrainSettings settings = new TrainSettings(seed, maxEpochs, minutes, batchSize, lr != null ? lr : kind.defaultLearningRate(),
                warmup, clip, rf.checkpoints(),
                checkpointSeconds, resume, params, workerCount);
        if (ensemble < 1) {
            throw new IllegalArgumentException("--ensemble must be >= 1, got " + ensemble);
        }
        if (minutesEach != null && minutesEach < 0) {
            throw new IllegalArgumentException("--minutes-each must be >= 0, got " + minutesEach);
        }
        PixelReplacement replacement = background == null ? null : new PixelReplacement(background);
        kind.resolvedParams(settings); // an unknown parameter fails before anything is written
        boolean subRuns = ensemble > 1 || background != null;
        boolean keepMain = subRuns && resume && finished(rf);
        RunFolder bg = rf.background();
        boolean bgTrains = replacement != null && !keptBackground(bg, replacement);
        // the --minutes budget is shared by the networks that will train (a kept one costs nothing)
        int sharing = (keepMain ? 0 : 1) + (bgTrains && backgroundMinutes == null ? 1 : 0);
        for (int k = 2; k <= ensemble; k++) {
            sharing += resume && finished(rf.ensembleMember(k)) ? 0 : 1;
        }
        double each = minutesEach != null ? minutesEach : minutes / Math.max(1, sharing);
        settings = settings.forRun(seed, each, rf.checkpoints(), resume).withPerturbation(null, weightDecay);
        if (keepMain) {
            System.out.println("kept the finished model in " + run);
        } else {
            trainInto(rf, kind, train, test, testSpec, settings, null);
        }
        boolean membersChanged = false;
        for (int k = 2; k <= ensemble; k++) {
            RunFolder member = rf.ensembleMember(k);
            membersChanged |= trainOrKeep(member, kind, train, test, testSpec,
                    settings.forRun(seed + k - 1, each, member.checkpoints(), false), "ensemble member " + k + " of " + ensemble, false);
        }
        boolean bgChanged = replacement != null && trainOrKeep(bg, kind, train, test, testSpec,
                settings.forRun(seed + BACKGROUND_SEED_OFFSET, backgroundMinutes != null ? backgroundMinutes : each, bg.checkpoints(), false)
                        .withPerturbation(replacement, backgroundDecay), "likelihood-ratio background, pixel replacement " + background, bgTrains);
        if (keepMain && (membersChanged || bgChanged)) { // cached columns of the kept model came from the old related models
            List<String> stale = new java.util.ArrayList<>();
            if (membersChanged) {
                stale.add("waic");
            }
            if (bgChanged) {
                stale.add("likelihood-ratio");
            }
            rf.forgetScores(stale);
        }
        return 0;
    }

    /** True when --resume keeps a finished background trained with the same pixel replacement rate. */
    private boolean keptBackground(RunFolder bg, PixelReplacement replacement) throws IOException {
        if (!resume || !finished(bg)) {
            return false;
        }
        return bg.readConfig().get("background") instanceof Map<?, ?> b && b.get("pixel_replacement") instanceof Number r
                && r.doubleValue() == replacement.rate();
    }

    /** A background model's seed is the run's plus this, so that it differs from every ensemble member's. */
    static final long BACKGROUND_SEED_OFFSET = 1000;

    /** True when folder holds a model whose training finished. */
    private static boolean finished(RunFolder folder) throws IOException {
        return folder.hasModel() && "trained".equals(folder.readConfig().get("status"));
    }

    /**
     * An auxiliary model (ensemble member, background) of the run: kept when its training finished and --resume is
     * given (unless mustTrain), continued from its checkpoint when it has one and --resume is given, else trained
     * afresh (replacing it). Returns whether it trained.
     */
    private boolean trainOrKeep(RunFolder folder, ModelKind kind, ImageSet train, ImageSet test, String testSpec,
                                TrainSettings s, String role, boolean mustTrain) throws Exception {
        if (resume && finished(folder) && !mustTrain) {
            System.out.println("kept the finished " + role + " in " + folder.dir());
            return false;
        }
        boolean cont = resume && !finished(folder) && Checkpoints.latest(folder.checkpoints()) != null;
        System.out.println();
        System.out.println("training the " + role + " into " + folder.dir());
        trainInto(folder, kind, train, test, testSpec, s.forRun(s.seed(), s.minutes(), folder.checkpoints(), cont), role);
        return true;
    }

    /** Trains one model into one run folder: config.json, checkpoints, model/, samples.png, the bits/dim it reached. */
    private void trainInto(RunFolder rf, ModelKind kind, ImageSet train, ImageSet test, String testSpec,
                           TrainSettings settings, String role) throws Exception {
        Path run = rf.dir();
        boolean resume = settings.resume();
        long seed = settings.seed();
        double minutes = settings.minutes();
        int workerCount = settings.workers();
        int maxEpochs = settings.epochs();
        Map<String, String> resolved = kind.resolvedParams(settings);
        if (maxEpochs == TrainSettings.NO_EPOCH_LIMIT && !(minutes > 0)) {
            throw new IllegalArgumentException("training " + (role == null ? "the model" : "the " + role) + " would never stop: "
                    + "the run has no epoch limit and no time is left for it; give --minutes, --minutes-each or --epochs");
        }

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model", kind.name());
        config.put("params", new java.util.TreeMap<>(resolved));
        config.put("seed", seed);
        if (role != null) {
            config.put("role", role);
        }
        if (settings.perturbation() != null) {
            config.put("background", Map.of("pixel_replacement", settings.perturbation().rate(), "weight_decay", settings.weightDecay()));
        }
        config.put("data", RunFolder.describe(data, train));
        if (test != null) {
            config.put("test_data", RunFolder.describe(testSpec, test));
        }
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("epochs", maxEpochs == TrainSettings.NO_EPOCH_LIMIT ? null : maxEpochs);
        training.put("minutes", minutes);
        training.put("batch_size", batchSize);
        training.put("lr", settings.learningRate());
        training.put("warmup", warmup);
        training.put("clip", clip);
        training.put("workers", workerCount);
        if (settings.weightDecay() > 0) {
            training.put("weight_decay", settings.weightDecay());
        }
        config.put("training", training);
        config.put("versions", RunFolder.versions());
        config.put("status", "training");
        Files.createDirectories(run);
        Path previous = run.resolve(PREVIOUS);
        if (!resume) {
            // A new training's checkpoints must not mix with an earlier one's, and an earlier model's scores are
            // stale; they are set aside, not deleted, until the new training has written its first checkpoint.
            Trees.delete(previous);
            List<Path> replaced = new java.util.ArrayList<>(List.of(rf.config(), rf.checkpoints(), rf.scores(), rf.modelDir()));
            if (role == null) { // a new main model: its old background and ensemble members belong to the old run
                replaced.addAll(List.of(rf.background().dir(), rf.ensembleDir()));
            }
            setAside(previous, replaced);
        }
        rf.writeConfig(config);

        System.out.printf("training %s on %s (%d images of %s), seed %d%n", kind.name(), data, train.size(), train.shapeString(), seed);
        long t0 = System.nanoTime();
        long deadline = minutes > 0 ? t0 + (long) (minutes * 60e9) : Long.MAX_VALUE;
        TrainedModel trained;
        try {
            // the steps get their share of the budget; the rest is for the final bits/dim and samples
            TrainSettings s = settings.withEpochListener((epoch, model) -> epochSamples(rf, train, epoch, model));
            trained = kind.train(train, test, minutes > 0 ? s.withMinutes(minutes * kind.stepShareOfBudget()) : s);
        } catch (Exception | Error e) {
            if (!resume && Checkpoints.latest(rf.checkpoints()) == null && Files.isDirectory(previous)) {
                putBack(previous, run); // failed before it replaced anything (bad parameter, shape, memory): nothing lost
                System.err.println("densitylab: training failed before its first checkpoint; " + run + " is as it was");
            }
            throw e;
        }
        GenerativeModel m = trained.model();
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        ModelKinds.save(m, rf.modelDir());
        ImageSet samples = sampleWithin(m, SAMPLES, seed, deadline);
        ImageGrid.writePng(samples, samples.size(), rf.samples());

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("seconds", trainSecs);
        if (trained.training() != null) {
            Trainer.Result tr = trained.training();
            result.put("steps", tr.steps());
            result.put("images_per_second", tr.imagesPerSecond());
            if (tr.lossIsBitsPerDim()) {
                result.put("epoch_train_bpd", tr.trainBpd());
            } else {
                result.put("epoch_losses", tr.epochLosses());
            }
            result.put("epoch_test_bpd", tr.testBpd());
            result.put("stopped", tr.stoppedBecause());
        }
        if (samples.size() < SAMPLES) {
            result.put("samples", samples.size());
            System.out.printf("samples.png shows %d samples: the --minutes budget allowed no more%n", samples.size());
        }
        if (m instanceof DensityModel d) {
            ImageSet trainPart = evalLimit > 0 ? train.limit(evalLimit) : train;
            Bounded trainBpd = bitsPerDimWithin(d, trainPart, deadline);
            result.put("train_bpd", trainBpd.mean());
            result.put("train_bpd_images", trainBpd.images());
            System.out.printf("train bits/dim %.4f  (first %d images%s)%n", trainBpd.mean(), trainBpd.images(), trainBpd.why());
            if (test != null) {
                ImageSet testPart = evalLimit > 0 ? test.limit(evalLimit) : test;
                Bounded testBpd = bitsPerDimWithin(d, testPart, deadline);
                result.put("test_bpd", testBpd.mean());
                result.put("test_bpd_images", testBpd.images());
                System.out.printf("test bits/dim  %.4f  (%s, first %d images%s)%n", testBpd.mean(), testSpec, testBpd.images(), testBpd.why());
            }
        } else {
            String why = "not defined: " + kind.name() + " has no likelihood";
            result.put("train_bpd", why);
            System.out.println("bits/dim: " + why + " (score it with evaluate: its scores are " + String.join(", ",
                    densitylab.score.Scores.defaultsFor(m)) + ")");
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        result.put("command_seconds", secs);
        config.put("result", result);
        config.put("status", "trained");
        rf.writeConfig(config);
        Trees.delete(previous);
        System.out.printf("saved %s in %.1f s: %s%n", kind.name(), secs, run);
    }

    /**
     * After each epoch of a GAN (whose sampling takes a second): its samples in RUN/samples/epoch-N.png, to watch
     * training progress or collapse. Likelihood models are left alone: an autoregressive model samples for minutes.
     */
    private void epochSamples(RunFolder rf, ImageSet train, int epoch, densitylab.train.TrainableModel m) throws IOException {
        if (m instanceof densitylab.model.gan.GanModel g) {
            g.fixStandingStatistics(train, seed);
            Path file = rf.dir().resolve("samples").resolve(String.format("epoch-%03d.png", epoch));
            Files.createDirectories(file.getParent());
            ImageGrid.writePng(g.sample(SAMPLES, seed), SAMPLES, file);
        }
    }

    /** Samples in samples.png. */
    static final int SAMPLES = 100;
    /** Images per chunk of the final bits/dim, and samples per chunk, once the budget may be short. */
    static final int EVAL_CHUNK = 100;
    static final int SAMPLE_CHUNK = 20;

    /** A mean over the first images of a set, and why it stopped short of the whole set (empty when it did not). */
    record Bounded(double mean, int images, String why) {
    }

    /** Mean bits/dim of set, in chunks of {@value #EVAL_CHUNK} images until the deadline (at least one chunk). */
    static Bounded bitsPerDimWithin(DensityModel d, ImageSet set, long deadline) {
        if (deadline == Long.MAX_VALUE) {
            return new Bounded(Units.mean(d.bitsPerDim(set)), set.size(), "");
        }
        double sum = 0;
        int n = 0;
        for (ImageSet chunk : set.batches(EVAL_CHUNK)) {
            if (n > 0 && System.nanoTime() >= deadline) {
                return new Bounded(sum / n, n, "; the --minutes budget allowed no more");
            }
            for (double b : d.bitsPerDim(chunk)) {
                sum += b;
                n++;
            }
        }
        return new Bounded(sum / n, n, "");
    }

    /**
     * n samples, drawn in chunks of {@value #SAMPLE_CHUNK} (chunk k seeded seed + k * chunk) until the deadline (at least
     * one chunk); without a deadline in one call.
     */
    static ImageSet sampleWithin(GenerativeModel m, int n, long seed, long deadline) {
        if (deadline == Long.MAX_VALUE) {
            return m.sample(n, seed);
        }
        List<ImageSet> parts = new java.util.ArrayList<>();
        int drawn = 0;
        while (drawn < n && (drawn == 0 || System.nanoTime() < deadline)) {
            int k = Math.min(SAMPLE_CHUNK, n - drawn);
            parts.add(m.sample(k, seed + drawn));
            drawn += k;
        }
        return ImageSet.concat(m.kind() + " samples", parts);
    }
}
