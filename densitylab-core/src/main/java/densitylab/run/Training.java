package densitylab.run;

import densitylab.data.Catalog;
import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.data.PixelReplacement;
import densitylab.io.SettingException;
import densitylab.io.Trees;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.TemperedSampling;
import densitylab.model.ModelKind;
import densitylab.model.TrainedModel;
import densitylab.model.registry.ModelKinds;
import densitylab.nn.NativeMemory;
import densitylab.nn.Units;
import densitylab.report.ImageGrid;
import densitylab.train.Checkpoints;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a run as {@code densitylab train} does: the model, then its ensemble members and its likelihood-ratio
 * background model, sharing the time budget among the networks that train; config.json, checkpoints, model/,
 * samples.png and the final bits/dim within the deadline. A replaced model waits in {@code RUN/.previous} and is put
 * back when the new training fails before its first checkpoint.
 */
public final class Training {
    private static final int DEFAULT_EPOCHS = 10;
    /** Where a replaced training's files wait until the new training has written its first checkpoint. */
    private static final String PREVIOUS = ".previous";

    /**
     * What a training request left in its run folder.
     *
     * @param run    the run folder
     * @param config its config.json as written (model, parameters, data, training settings and the result)
     */
    public record TrainResult(RunFolder run, Map<String, Object> config) {
    }

    private final String model;
    private final String data;
    private final Path run;
    private final Integer epochs;
    private final double minutes;
    private final long seed;
    private final int batchSize;
    private final Double lr;
    private final int warmup;
    private final double clip;
    private final Integer workers;
    private final int checkpointSeconds;
    private final boolean resume;
    private final boolean force;
    private final Map<String, String> params;
    private final int limit;
    private final int holdout;
    /** The training images kept out of training (null without a holdout). */
    private ImageSet heldOut;
    private final int evalLimit;
    private final Double background;
    private final double backgroundDecay;
    private final double weightDecay;
    private final int ensemble;
    private final Double minutesEach;
    private final Double backgroundMinutes;
    private final DataSettings dataSettings;
    private final RunLog log;

    private Training(TrainRequest r, RunLog log) {
        this.model = r.model();
        this.data = r.data();
        this.run = r.run();
        this.epochs = r.epochs();
        this.minutes = r.minutes();
        this.seed = r.seed();
        this.batchSize = r.batchSize();
        this.lr = r.lr();
        this.warmup = r.warmup();
        this.clip = r.clip();
        this.workers = r.workers();
        this.checkpointSeconds = r.checkpointSeconds();
        this.resume = r.resume();
        this.force = r.force();
        this.params = r.params();
        this.limit = r.limit();
        this.holdout = r.holdout();
        this.evalLimit = r.evalLimit();
        this.background = r.background();
        this.backgroundDecay = r.backgroundDecay();
        this.weightDecay = r.weightDecay();
        this.ensemble = r.ensemble();
        this.minutesEach = r.minutesEach();
        this.backgroundMinutes = r.backgroundMinutes();
        this.dataSettings = r.dataSettings();
        this.log = log;
    }

    /**
     * Carries out the request, logging what it does to log.
     *
     * @throws SettingException when the request cannot be carried out as given (a model already in the folder, say),
     *                          before anything is written
     */
    public static TrainResult train(TrainRequest request, RunLog log) throws Exception {
        return new Training(request, log).call();
    }

    /** {@link #train(TrainRequest, RunLog)} logging to SLF4J. */
    public static TrainResult train(TrainRequest request) throws Exception {
        return train(request, RunLog.slf4j());
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
            log.note("the run began with " + began + " gradient worker" + (began == 1 ? "" : "s")
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

    TrainResult call() throws Exception {
        ModelKind kind = ModelKinds.get(model);
        RunFolder rf = new RunFolder(run);
        if (rf.hasModel() && !resume && !force) {
            throw new SettingException("run folder " + run + " already holds a trained model; choose another run folder, "
                    + "resume it, or force a new training over it", "run", "resume", "force");
        }
        Path unfinished = rf.hasModel() ? null : Checkpoints.latest(rf.checkpoints());
        if (unfinished != null && !resume && !force) {
            throw new SettingException("run folder " + run + " holds the checkpoint " + unfinished.getFileName()
                    + " of an unfinished training; resume it, or force a new training over it", "resume", "force");
        }
        DataResolver r = dataSettings.resolver();
        ImageSet train = dataSettings.loadTraining(r, data, DataSettings.Selection.first(limit));
        if (holdout > 0) {
            if (holdout >= train.size()) {
                throw new SettingException("a holdout of " + holdout + " images leaves none of the " + train.size()
                        + " training images to train on", "holdout");
            }
            ImageSet.Split split = train.split(holdout, seed);
            train = split.kept();
            heldOut = split.heldOut();
        }
        DataResolver.Spec spec = DataResolver.parse(data);
        ImageSet test = null;
        String testSpec = null;
        if (!spec.isPath() && Catalog.contains(spec.base()) && spec.split() == null) {
            testSpec = data.replaceFirst("^" + java.util.regex.Pattern.quote(spec.base()), spec.base() + ":test");
            test = dataSettings.load(r, testSpec, "test", train.shape(), DataSettings.Selection.ALL);
        }
        int maxEpochs = maxEpochs(rf);
        int workerCount = workers(rf);
        TrainSettings settings = new TrainSettings(seed, maxEpochs, minutes, batchSize, lr != null ? lr : kind.defaultLearningRate(),
                warmup, clip, rf.checkpoints(),
                checkpointSeconds, resume, params, workerCount);
        if (ensemble < 1) {
            throw new SettingException("an ensemble has at least 1 member, got " + ensemble, "ensemble");
        }
        if (minutesEach != null && minutesEach < 0) {
            throw new SettingException("the minutes of each network must be >= 0, got " + minutesEach, "minutes-each");
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
            log.info("kept the finished model in " + run);
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
        return new TrainResult(rf, rf.readConfig());
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
    public static final long BACKGROUND_SEED_OFFSET = 1000;

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
            log.info("kept the finished " + role + " in " + folder.dir());
            return false;
        }
        boolean cont = resume && !finished(folder) && Checkpoints.latest(folder.checkpoints()) != null;
        log.info("");
        log.info("training the " + role + " into " + folder.dir());
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
            throw new SettingException("training " + (role == null ? "the model" : "the " + role) + " would never stop: "
                    + "the run has no epoch limit and no time is left for it; give it minutes or epochs", "minutes", "minutes-each", "epochs");
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
        if (heldOut != null) {
            Map<String, Object> h = new LinkedHashMap<>(RunFolder.describe(data, heldOut));
            h.put("seed", this.seed);
            h.put("of_limit", limit);
            config.put("holdout", h);
        }
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

        log.info(String.format(Locale.ROOT, "training %s on %s (%d images of %s), seed %d", kind.name(), data, train.size(), train.shapeString(), seed));
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
                log.note("training failed before its first checkpoint; " + run + " is as it was");
            }
            throw e;
        }
        try (GenerativeModel m = trained.model()) {
            finish(rf, kind, trained, train, test, testSpec, config, previous, seed, t0, deadline);
        } finally {
            NativeMemory.release(); // what training freed, before the next model trains or the evaluation starts
        }
    }

    /** After training: the model saved, its sample grids, the bits/dim it reached, config.json's result and status. */
    private void finish(RunFolder rf, ModelKind kind, TrainedModel trained, ImageSet train, ImageSet test, String testSpec,
                        Map<String, Object> config, Path previous, long seed, long t0, long deadline) throws IOException {
        Path run = rf.dir();
        GenerativeModel m = trained.model();
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        ModelKinds.save(m, rf.modelDir());
        ImageSet samples = sampleWithin(m, SAMPLES, seed, deadline);
        ImageGrid.writePng(samples, samples.size(), rf.samples());
        Files.deleteIfExists(rf.temperedSamples()); // an earlier model's
        if (m instanceof TemperedSampling t && System.nanoTime() < deadline) { // the report reuses both grids
            ImageSet tempered = deadline == Long.MAX_VALUE ? t.sample(SAMPLES, seed, TEMPERATURE)
                    : sampleWithin((n, sd) -> t.sample(n, sd, TEMPERATURE), m.kind(), SAMPLES, seed, deadline);
            ImageGrid.writePng(tempered, tempered.size(), rf.temperedSamples());
        }
        NativeMemory.release(); // sampling's working set, before the bits/dim's

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
            log.info(String.format(Locale.ROOT, "samples.png shows %d samples: the time budget allowed no more", samples.size()));
        }
        if (m instanceof DensityModel d) {
            ImageSet trainPart = evalLimit > 0 ? train.limit(evalLimit) : train;
            Bounded trainBpd = bitsPerDimWithin(d, trainPart, deadline);
            result.put("train_bpd", trainBpd.mean());
            result.put("train_bpd_images", trainBpd.images());
            log.info(String.format(Locale.ROOT, "train bits/dim %.4f  (first %d images%s)", trainBpd.mean(), trainBpd.images(), trainBpd.why()));
            if (test != null) {
                ImageSet testPart = evalLimit > 0 ? test.limit(evalLimit) : test;
                Bounded testBpd = bitsPerDimWithin(d, testPart, deadline);
                result.put("test_bpd", testBpd.mean());
                result.put("test_bpd_images", testBpd.images());
                log.info(String.format(Locale.ROOT, "test bits/dim  %.4f  (%s, first %d images%s)", testBpd.mean(), testSpec, testBpd.images(), testBpd.why()));
            }
        } else {
            String why = "not defined: " + kind.name() + " has no likelihood";
            result.put("train_bpd", why);
            log.info("bits/dim: " + why + " (score it with evaluate: its scores are " + String.join(", ",
                    densitylab.score.Scores.defaultsFor(m)) + ")");
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        result.put("command_seconds", secs);
        config.put("result", result);
        config.put("status", "trained");
        rf.writeConfig(config);
        Trees.delete(previous);
        log.info(String.format(Locale.ROOT, "saved %s in %.1f s: %s", kind.name(), secs, run));
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
    /** The temperature of samples-t0.7.png. */
    static final double TEMPERATURE = 0.7;
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
                return new Bounded(sum / n, n, "; the time budget allowed no more");
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
        return sampleWithin(m::sample, m.kind(), n, seed, deadline);
    }

    private static ImageSet sampleWithin(java.util.function.BiFunction<Integer, Long, ImageSet> draw, String kind, int n, long seed,
                                         long deadline) {
        List<ImageSet> parts = new java.util.ArrayList<>();
        int drawn = 0;
        while (drawn < n && (drawn == 0 || System.nanoTime() < deadline)) {
            int k = Math.min(SAMPLE_CHUNK, n - drawn);
            parts.add(draw.apply(k, seed + drawn));
            drawn += k;
        }
        return ImageSet.concat(kind + " samples", parts);
    }
}
