package densitylab.train;

import densitylab.nn.Noise;
import densitylab.nn.Scopes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import densitylab.data.ImageSet;
import densitylab.io.Progress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loop every {@link TrainableModel} shares: seeded shuffling per epoch, Adam with linear
 * warm-up and global gradient-norm clipping, a progress bar with loss and images/s, held-out bits/dim
 * after each epoch, a time budget, atomic checkpoints (periodic and per epoch) that {@code resume}
 * continues from exactly, and a NaN/inf guard that stops with the last good checkpoint intact. A step whose
 * loss is finite but whose gradient is not is skipped (parameters and Adam moments untouched, a warning
 * logged); {@value #MAX_BAD_GRADIENTS} such steps in a row stop training like a NaN loss. Each step's
 * gradient is computed by {@link BatchGradients} (one thread, or two that take half the batch each), with
 * noise seeded by (seed, epoch, batch, part), so a run and its resumption repeat exactly.
 *
 * <p>A model with several {@link Player}s (a GAN) gets one such Adam step per player on every batch, in player
 * order, each with its own moments, step count and {@link Player#adamBeta1}; while one player's gradient is
 * computed, the other players' parameters do not require gradients. The progress bar and logs show each player's
 * loss.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    /** Updates skipped in a row for a non-finite gradient before training stops as diverged. */
    static final int MAX_BAD_GRADIENTS = 10;

    private final TrainSettings settings;
    private int evalLimit = 2000;

    public Trainer(TrainSettings settings) {
        this.settings = settings;
    }

    /** Held-out bits/dim is measured on at most this many test images per epoch (default 2000). */
    public Trainer withEvalLimit(int n) {
        this.evalLimit = n;
        return this;
    }

    /**
     * What happened: per-epoch mean training losses of each player (for a single player whose loss is in bits/dim
     * also as trainBpd; null otherwise), held-out bits/dim (empty for a model without a likelihood), steps taken
     * (the first player's updates), and why it stopped.
     */
    public record Result(List<Double> trainBpd, List<Double> testBpd, Map<String, List<Double>> epochLosses, long steps,
                         double seconds, double imagesPerSecond, String stoppedBecause) {
        /** True for a single player whose loss is in bits/dim (then trainBpd holds its epochs, possibly none). */
        public boolean lossIsBitsPerDim() {
            return trainBpd != null;
        }
    }

    /** One player's optimiser: its Adam state, and its losses. */
    private static final class Optimizer extends Adam {
        final Player player;
        final List<Double> epochLosses = new ArrayList<>();
        double lossSum;

        Optimizer(Player player, NDManager mm) {
            super(player.parameters(), player.adamBeta1(), mm);
            this.player = player;
        }
    }

    /** Trains model on train (test may be null) as the settings say. */
    public Result train(TrainableModel model, ImageSet train, ImageSet test) throws IOException {
        List<Player> players = model.players();
        if (players.isEmpty() || players.stream().map(Player::name).distinct().count() != players.size()) {
            throw new IllegalArgumentException("a trainable model needs at least one player, with distinct names");
        }
        java.util.Set<NDArray> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Player p : players) {
            for (NDArray a : p.parameters()) {
                if (!seen.add(a)) {
                    throw new IllegalArgumentException("player '" + p.name() + "' shares a parameter array " + a.getShape()
                            + " with another player: each array must belong to one player (it is frozen during the others' steps)");
                }
            }
        }
        for (Player p : players) {
            if (p.needsLabels() && !train.hasLabels()) {
                throw new IllegalArgumentException("player '" + p.name() + "' learns from labels, but training set '"
                        + train.name() + "' has none");
            }
        }
        densitylab.nn.ConvolutionCheck.requireCorrect(); // wrong kernels would waste the whole training
        List<NDArray> scoped = model.scopeArrays();
        List<NDArray> buffers = model.buffers();
        NDManager mm = model.manager();
        List<Optimizer> opts = new ArrayList<>();
        for (Player p : players) {
            opts.add(new Optimizer(p, mm));
        }
        Optimizer first = opts.get(0);
        int startEpoch = 0;
        int skipBatches = 0;
        List<Double> testBpd = new ArrayList<>();
        Path ckDir = settings.checkpointDir();
        boolean initialized = false;
        int badGradients = 0;
        if (settings.resume()) {
            Path ck = ckDir == null ? null : Checkpoints.latest(ckDir);
            if (ck == null) {
                throw new densitylab.io.SettingException("resuming needs a checkpoint, and there is no checkpoint in " + ckDir + " (train without resuming first)", "resume");
            }
            Checkpoints.Loaded loaded = Checkpoints.load(ck, mm);
            restore(loaded, ck, opts, buffers, testBpd);
            JsonNode state = loaded.state();
            startEpoch = state.get("epoch").asInt();
            skipBatches = state.get("batch").asInt();
            initialized = true;
            LOG.info("resumed from {} (epoch {}, batch {}, step {})", ck, startEpoch + 1, skipBatches, first.steps);
        }
        long start = System.nanoTime();
        long deadline = settings.minutes() > 0 ? start + (long) (settings.minutes() * 60e9) : Long.MAX_VALUE;
        long lastCheckpoint = start;
        long images = 0;
        String stopped = "finished " + settings.epochs() + " epochs";
        Path lastGood = ckDir == null ? null : Checkpoints.latest(ckDir);
        try (BatchGradients gradients = BatchGradients.create(settings.workers())) {
            outer:
            for (int epoch = startEpoch; epoch < settings.epochs(); epoch++) {
                List<ImageSet> batches = train.shuffle(settings.seed() + epoch).batches(settings.batchSize());
                int lossCount = 0;
                opts.forEach(o -> o.lossSum = 0);
                try (Progress pb = Progress.bar(settings.epochs() == TrainSettings.NO_EPOCH_LIMIT ? "epoch " + (epoch + 1)
                        : String.format("epoch %d/%d", epoch + 1, settings.epochs()), batches.size())) {
                    pb.stepTo(skipBatches);
                    for (int b = skipBatches; b < batches.size(); b++) {
                        ImageSet batch = settings.perturbation() == null ? batches.get(b)
                                : settings.perturbation().apply(batches.get(b), Noise.seedOf(settings.seed(), epoch, b, -2));
                        double[] losses = new double[opts.size()];
                        try (NDManager sub = Scopes.open(mm, scoped)) {
                            if (!initialized) {
                                model.initialize(batch.toNDArray(sub), new Noise(Noise.seedOf(settings.seed(), -1, 0, 0)));
                                initialized = true;
                            }
                            List<String> bad = new ArrayList<>();
                            for (int k = 0; k < opts.size(); k++) {
                                Optimizer o = opts.get(k);
                                o.m1.tempAttach(sub);
                                o.m2.tempAttach(sub);
                                int e = epoch;
                                int bb = b;
                                int kk = k;
                                // player 0 keeps the seeds of the single-loss Trainer; player k > 0 gets parts 4k, 4k + 1
                                setOthersTrainable(opts, o, false);
                                double loss;
                                try {
                                    loss = gradients.compute(o.player, sub, batch,
                                            part -> Noise.seedOf(settings.seed(), e, bb, kk == 0 ? part : 4 * kk + part));
                                } finally {
                                    setOthersTrainable(opts, o, true);
                                }
                                losses[k] = loss;
                                if (!Double.isFinite(loss)) {
                                    throw diverged(String.format("%sloss became %s at epoch %d, batch %d (step %d)",
                                            opts.size() == 1 ? "" : "the " + o.player.name() + "'s ", loss, epoch + 1, b, o.steps),
                                            lastGood, "Try a lower learning rate, gradient clipping (clip 1), or a longer warm-up.");
                                }
                                String badGradient = o.step(settings.learningRate(), settings.warmupSteps(), settings.clipNorm(), settings.weightDecay());
                                if (badGradient == null) {
                                    model.afterStep(o.player, sub);
                                } else {
                                    bad.add((opts.size() == 1 ? "" : o.player.name() + ": ") + badGradient);
                                    LOG.warn("epoch {}, batch {}: the {}gradient is not finite (the loss is {}; {}); this update is skipped",
                                            epoch + 1, b, opts.size() == 1 ? "" : o.player.name() + "'s ", loss, badGradient);
                                }
                            }
                            if (bad.isEmpty()) {
                                badGradients = 0;
                            } else if (++badGradients >= MAX_BAD_GRADIENTS) {
                                throw diverged(String.format("the gradient was not finite %d steps in a row (epoch %d, batch %d, "
                                        + "after step %d; %s)", badGradients, epoch + 1, b, first.steps, String.join("; ", bad)),
                                        lastGood, "Try a lower learning rate or a longer warm-up.");
                            }
                        }
                        images += batch.size();
                        for (int k = 0; k < opts.size(); k++) {
                            opts.get(k).lossSum += losses[k] * batch.size();
                        }
                        lossCount += batch.size();
                        double secs = (System.nanoTime() - start) / 1e9;
                        pb.step();
                        pb.setExtraMessage(progressMessage(opts, losses, images / Math.max(secs, 1e-9)));
                        long now = System.nanoTime();
                        boolean outOfTime = now >= deadline;
                        if (ckDir != null && (outOfTime || now - lastCheckpoint >= settings.checkpointSeconds() * 1e9)) {
                            lastGood = checkpoint(ckDir, opts, buffers, b + 1 == batches.size() ? epoch + 1 : epoch,
                                    b + 1 == batches.size() ? 0 : b + 1, testBpd);
                            lastCheckpoint = now;
                        }
                        if (outOfTime) {
                            stopped = String.format("time budget of %.1f minutes reached in epoch %d", settings.minutes(), epoch + 1);
                            if (lossCount > 0 && b + 1 < batches.size()) {
                                LOG.info("epoch {} (partial): train {}", epoch + 1, epochSummary(opts, lossCount));
                            }
                            break outer;
                        }
                    }
                }
                skipBatches = 0;
                for (Optimizer o : opts) {
                    o.epochLosses.add(o.lossSum / Math.max(1, lossCount));
                }
                if (test != null && test.size() > 0) {
                    // the evaluation's batches have other sizes than training's: given back before and after, the
                    // allocator's cache holds one working set at a time, not both side by side (steps re-fault theirs once)
                    densitylab.nn.NativeMemory.release();
                    gradients.withAllThreads(() -> model.heldOutBitsPerDim(test.limit(evalLimit))).ifPresent(testBpd::add);
                    densitylab.nn.NativeMemory.release();
                }
                LOG.info("epoch {}: train {}{}", epoch + 1, epochSummary(opts, -1),
                        testBpd.isEmpty() ? "" : String.format(", test %.4f bits/dim", testBpd.get(testBpd.size() - 1)));
                if (ckDir != null) {
                    lastGood = checkpoint(ckDir, opts, buffers, epoch + 1, 0, testBpd);
                    lastCheckpoint = System.nanoTime();
                }
                if (settings.epochListener() != null) {
                    int done = epoch + 1;
                    IOException failed = gradients.withAllThreads(() -> {
                        try {
                            settings.epochListener().epochEnded(done, model);
                            return null;
                        } catch (IOException e) {
                            return e;
                        }
                    });
                    if (failed != null) {
                        throw failed;
                    }
                }
            }
        }
        Map<String, List<Double>> epochLosses = new LinkedHashMap<>();
        for (Optimizer o : opts) {
            o.m1.close();
            o.m2.close();
            epochLosses.put(o.player.name(), List.copyOf(o.epochLosses));
        }
        double secs = (System.nanoTime() - start) / 1e9;
        List<Double> trainBpd = opts.size() == 1 && first.player.lossUnit().equals("bpd") ? List.copyOf(first.epochLosses) : null;
        return new Result(trainBpd, testBpd, epochLosses, first.steps, secs, images / Math.max(secs, 1e-9), stopped);
    }

    /**
     * "loss 3.210 bpd, 85 img/s" for one player; "D 1.234, G 0.876, 312 img/s" for several (their initials where those
     * differ, else their names: a progress bar line is short).
     */
    private static String progressMessage(List<Optimizer> opts, double[] losses, double rate) {
        if (opts.size() == 1) {
            String unit = opts.get(0).player.lossUnit();
            return String.format("loss %.3f%s, %.0f img/s", losses[0], unit.isEmpty() ? "" : " " + unit, rate);
        }
        boolean initials = opts.stream().map(o -> Character.toUpperCase(o.player.name().charAt(0))).distinct().count() == opts.size();
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < opts.size(); k++) {
            String name = opts.get(k).player.name();
            sb.append(String.format("%s %.3f, ", initials ? String.valueOf(Character.toUpperCase(name.charAt(0))) : name, losses[k]));
        }
        return sb.append(String.format("%.0f img/s", rate)).toString();
    }

    /** The epoch's mean losses so far (count images; -1: the last completed epoch's). */
    private static String epochSummary(List<Optimizer> opts, int count) {
        List<String> parts = new ArrayList<>();
        for (Optimizer o : opts) {
            double v = count < 0 ? o.epochLosses.get(o.epochLosses.size() - 1) : o.lossSum / count;
            String unit = o.player.lossUnit().equals("bpd") ? " bits/dim" : "";
            parts.add((opts.size() == 1 ? "" : o.player.name() + " ") + String.format("%.4f", v) + unit);
        }
        return String.join(", ", parts);
    }

    /**
     * Turns gradients of every player's parameters but stepping's off (before its loss) or on again (after): autograd
     * then neither computes nor adds what stepping's loss would send into them (a generator's loss into the
     * discriminator's weights), which saves their weight gradients. Nothing to do for a single player.
     */
    private static void setOthersTrainable(List<Optimizer> opts, Optimizer stepping, boolean trainable) {
        for (Optimizer o : opts) {
            if (o != stepping) {
                for (NDArray p : o.params) {
                    p.setRequiresGradient(trainable);
                }
            }
        }
    }

    /** What a checkpoint holds, in its order: every player's parameters, the buffers, each player's two moments. */
    private static List<NDArray> checkpointArrays(List<Optimizer> opts, List<NDArray> buffers) {
        List<NDArray> all = new ArrayList<>();
        opts.forEach(o -> all.addAll(o.params));
        all.addAll(buffers);
        opts.forEach(o -> {
            all.add(o.m1);
            all.add(o.m2);
        });
        return all;
    }

    /** Restores parameters, buffers, moments, step counts and loss histories from a checkpoint. */
    private static void restore(Checkpoints.Loaded l, Path ck, List<Optimizer> opts, List<NDArray> buffers, List<Double> testBpd)
            throws IOException {
        List<NDArray> targets = checkpointArrays(opts, buffers);
        if (l.arrays().size() != targets.size()) {
            int params = targets.size() - buffers.size() - 2 * opts.size();
            throw new IOException(ck + ": holds " + l.arrays().size() + " arrays, the model has " + params + " parameters, "
                    + buffers.size() + " buffers and " + opts.size() + " player(s) with two Adam moments each ("
                    + targets.size() + " arrays)");
        }
        for (int i = 0; i < targets.size(); i++) {
            if (!l.arrays().get(i).getShape().equals(targets.get(i).getShape())) {
                throw new IOException(ck + ": array " + i + " has shape " + l.arrays().get(i).getShape() + ", the model's "
                        + targets.get(i).getShape() + " (a checkpoint of another model or size)");
            }
            targets.get(i).set(l.arrays().get(i).toByteBuffer());
        }
        l.arrays().forEach(NDArray::close);
        JsonNode state = l.state();
        JsonNode steps = state.get("player_steps");
        JsonNode losses = state.get("losses");
        for (int k = 0; k < opts.size(); k++) {
            Optimizer o = opts.get(k);
            o.steps = steps == null ? state.get("step").asLong() : steps.get(k).asLong();
            JsonNode mine = losses == null ? state.get("train_bpd") : losses.get(o.player.name());
            if (mine == null) {
                throw new IOException(ck + ": no losses of player '" + o.player.name() + "' (a checkpoint of another model)");
            }
            mine.forEach(x -> o.epochLosses.add(x.asDouble()));
        }
        state.get("test_bpd").forEach(x -> testBpd.add(x.asDouble()));
    }

    /** Training stopped: what happened, that the parameters were not updated, where to resume from, and what to try. */
    private static TrainingDivergedException diverged(String what, Path lastGood, String advice) {
        List<String> settings = new ArrayList<>(lastGood == null ? List.of() : List.of("resume"));
        settings.addAll(List.of("lr", "clip", "warmup"));
        return new TrainingDivergedException(what + "; parameters are not updated. "
                + (lastGood == null ? "No checkpoint was written yet. " : "The last good checkpoint is " + lastGood
                        + " (resume from it). ") + advice, settings);
    }


    private Path checkpoint(Path dir, List<Optimizer> opts, List<NDArray> buffers, int epoch, int batch, List<Double> testBpd)
            throws IOException {
        List<NDArray> all = checkpointArrays(opts, buffers);
        Map<String, Object> state = new LinkedHashMap<>();
        long step = opts.get(0).steps;
        // the folder's number only grows: one player's steps for one player (as before), all players' together for several
        long name = opts.size() == 1 ? step : opts.stream().mapToLong(o -> o.steps).sum();
        state.put("step", step);
        state.put("epoch", epoch);
        state.put("batch", batch);
        state.put("train_bpd", opts.size() == 1 ? opts.get(0).epochLosses : List.of());
        state.put("test_bpd", testBpd);
        state.put("seed", settings.seed());
        if (opts.size() > 1) {
            state.put("player_steps", opts.stream().map(o -> o.steps).toList());
            Map<String, List<Double>> losses = new LinkedHashMap<>();
            opts.forEach(o -> losses.put(o.player.name(), o.epochLosses));
            state.put("losses", losses);
        }
        return Checkpoints.save(dir, name, all, state);
    }
}
