package densitylab.train;

import densitylab.nn.Noise;
import densitylab.nn.Scopes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import densitylab.data.ImageSet;
import me.tongfei.progressbar.ProgressBar;
import densitylab.io.Progress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;
    /** The square root of float32's largest value: a larger gradient element makes the norm infinite. */
    private static final float OVERFLOWS_WHEN_SQUARED = 1.8e19f;
    /** Updates skipped in a row for a non-finite gradient before training stops as diverged. */
    static final int MAX_BAD_GRADIENTS = 10;
    private static final ai.djl.ndarray.index.NDIndex ALL = new ai.djl.ndarray.index.NDIndex("...");

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

    /** What happened: per-epoch mean training loss and held-out bits/dim, steps taken, and why it stopped. */
    public record Result(List<Double> trainBpd, List<Double> testBpd, long steps, double seconds, double imagesPerSecond,
                         String stoppedBecause) {
    }

    /** Trains model on train (test may be null) as the settings say. */
    public Result train(TrainableModel model, ImageSet train, ImageSet test) throws IOException {
        List<NDArray> params = model.parameters();
        List<NDArray> scoped = model.scopeArrays();
        NDManager mm = model.manager();
        long total = params.stream().mapToLong(p -> p.getShape().size()).sum();
        NDArray m1 = mm.zeros(new ai.djl.ndarray.types.Shape(total)); // Adam moments of all parameters, flattened
        NDArray m2 = mm.zeros(new ai.djl.ndarray.types.Shape(total));
        long step = 0;
        int startEpoch = 0;
        int skipBatches = 0;
        List<Double> trainBpd = new ArrayList<>();
        List<Double> testBpd = new ArrayList<>();
        Path ckDir = settings.checkpointDir();
        boolean initialized = false;
        int badGradients = 0;
        if (settings.resume()) {
            Path ck = ckDir == null ? null : Checkpoints.latest(ckDir);
            if (ck == null) {
                throw new IllegalStateException("--resume: no checkpoint in " + ckDir + " (train without --resume first)");
            }
            Checkpoints.Loaded l = Checkpoints.load(ck, mm);
            int n = params.size();
            if (l.arrays().size() != n + 2) {
                throw new IOException(ck + ": holds " + (l.arrays().size() - 2) + " parameters, the model has " + n);
            }
            for (int i = 0; i < n; i++) {
                params.get(i).set(l.arrays().get(i).toByteBuffer());
            }
            m1.set(l.arrays().get(n).toByteBuffer());
            m2.set(l.arrays().get(n + 1).toByteBuffer());
            l.arrays().forEach(NDArray::close);
            step = l.state().get("step").asLong();
            startEpoch = l.state().get("epoch").asInt();
            skipBatches = l.state().get("batch").asInt();
            l.state().get("train_bpd").forEach(x -> trainBpd.add(x.asDouble()));
            l.state().get("test_bpd").forEach(x -> testBpd.add(x.asDouble()));
            initialized = true;
            LOG.info("resumed from {} (epoch {}, batch {}, step {})", ck, startEpoch + 1, skipBatches, step);
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
                double lossSum = 0;
                int lossCount = 0;
                try (ProgressBar pb = Progress.bar(settings.epochs() == TrainSettings.NO_EPOCH_LIMIT ? "epoch " + (epoch + 1)
                        : String.format("epoch %d/%d", epoch + 1, settings.epochs()), batches.size())) {
                    pb.stepTo(skipBatches);
                    for (int b = skipBatches; b < batches.size(); b++) {
                        ImageSet batch = settings.perturbation() == null ? batches.get(b)
                                : settings.perturbation().apply(batches.get(b), Noise.seedOf(settings.seed(), epoch, b, -2));
                        double loss;
                        try (NDManager sub = Scopes.open(mm, scoped)) {
                            m1.tempAttach(sub);
                            m2.tempAttach(sub);
                            if (!initialized) {
                                model.initialize(batch.toNDArray(sub), new Noise(Noise.seedOf(settings.seed(), -1, 0, 0)));
                                initialized = true;
                            }
                            int e = epoch;
                            int bb = b;
                            loss = gradients.compute(model, sub, batch, part -> Noise.seedOf(settings.seed(), e, bb, part));
                            if (!Double.isFinite(loss)) {
                                throw diverged(String.format("loss became %s at epoch %d, batch %d (step %d)", loss, epoch + 1, b, step),
                                        lastGood, "Try a lower --lr, gradient clipping (--clip 1), or a longer --warmup.");
                            }
                            String badGradient = adamStep(params, m1, m2, step + 1, sub);
                            if (badGradient == null) {
                                step++;
                                badGradients = 0;
                            } else if (++badGradients >= MAX_BAD_GRADIENTS) {
                                throw diverged(String.format("the gradient was not finite %d steps in a row (epoch %d, batch %d, "
                                        + "after step %d; %s)", badGradients, epoch + 1, b, step, badGradient),
                                        lastGood, "Try a lower --lr or a longer --warmup.");
                            } else {
                                LOG.warn("epoch {}, batch {}: the gradient is not finite (the loss is {}; {}); this update is skipped",
                                        epoch + 1, b, loss, badGradient);
                            }
                        }
                        images += batch.size();
                        lossSum += loss * batch.size();
                        lossCount += batch.size();
                        double secs = (System.nanoTime() - start) / 1e9;
                        pb.step();
                        pb.setExtraMessage(String.format("loss %.3f bpd, %.0f img/s", loss, images / Math.max(secs, 1e-9)));
                        long now = System.nanoTime();
                        boolean outOfTime = now >= deadline;
                        if (ckDir != null && (outOfTime || now - lastCheckpoint >= settings.checkpointSeconds() * 1e9)) {
                            lastGood = checkpoint(ckDir, params, m1, m2, step, b + 1 == batches.size() ? epoch + 1 : epoch,
                                    b + 1 == batches.size() ? 0 : b + 1, trainBpd, testBpd);
                            lastCheckpoint = now;
                        }
                        if (outOfTime) {
                            stopped = String.format("time budget of %.1f minutes reached in epoch %d", settings.minutes(), epoch + 1);
                            if (lossCount > 0 && b + 1 < batches.size()) {
                                LOG.info("epoch {} (partial): train {} bits/dim", epoch + 1, String.format("%.4f", lossSum / lossCount));
                            }
                            break outer;
                        }
                    }
                }
                skipBatches = 0;
                trainBpd.add(lossSum / Math.max(1, lossCount));
                if (test != null && test.size() > 0) {
                    gradients.withAllThreads(() -> model.heldOutBitsPerDim(test.limit(evalLimit))).ifPresent(testBpd::add);
                }
                LOG.info("epoch {}: train {} bits/dim{}", epoch + 1, String.format("%.4f", trainBpd.get(trainBpd.size() - 1)),
                        testBpd.isEmpty() ? "" : String.format(", test %.4f bits/dim", testBpd.get(testBpd.size() - 1)));
                if (ckDir != null) {
                    lastGood = checkpoint(ckDir, params, m1, m2, step, epoch + 1, 0, trainBpd, testBpd);
                    lastCheckpoint = System.nanoTime();
                }
            }
        }
        m1.close();
        m2.close();
        double secs = (System.nanoTime() - start) / 1e9;
        return new Result(trainBpd, testBpd, step, secs, images / Math.max(secs, 1e-9), stopped);
    }

    /** Training stopped: what happened, that the parameters were not updated, where to resume from, and what to try. */
    private static TrainingDivergedException diverged(String what, Path lastGood, String advice) {
        return new TrainingDivergedException(what + "; parameters are not updated. "
                + (lastGood == null ? "No checkpoint was written yet. " : "The last good checkpoint is " + lastGood
                        + " (continue with --resume). ") + advice);
    }

    /**
     * One Adam step with warm-up and clipping over all parameters at once: the gradients are concatenated
     * into one vector so that the update costs a few large ops instead of a dozen small ones per parameter
     * (each DJL op has a fixed cost, about a microsecond, on the single-threaded part of a step). All arrays
     * are temp-attached to the batch scope; gradients are zeroed afterwards. Returns null after an update; where the gradient is not finite (or its
     * norm overflows float32), changes neither the parameters nor the moments and returns where the bad
     * values are.
     */
    private String adamStep(List<NDArray> params, NDArray m, NDArray v, long step, NDManager sub) {
        double lr = settings.learningRate() * (settings.warmupSteps() > 0 ? Math.min(1.0, step / (double) settings.warmupSteps()) : 1.0);
        List<NDArray> grads = new ArrayList<>(params.size());
        NDList flat = new NDList(params.size());
        long[] ends = new long[params.size() - 1];
        long offset = 0;
        for (int i = 0; i < params.size(); i++) {
            NDArray g = params.get(i).getGradient();
            grads.add(g);
            flat.add(g.reshape(-1));
            offset += g.getShape().size();
            if (i < ends.length) {
                ends[i] = offset;
            }
        }
        NDArray g = flat.size() == 1 ? flat.get(0) : NDArrays.concat(flat);
        if (settings.weightDecay() > 0) { // L2: the gradient of (lambda / 2) |p|^2
            NDList ps = new NDList(params.size());
            params.forEach(p -> ps.add(p.reshape(-1)));
            g = g.add((ps.size() == 1 ? ps.get(0) : NDArrays.concat(ps)).mul((float) settings.weightDecay()));
        }
        double norm = Math.sqrt(g.square().sum().getFloat());
        if (!Double.isFinite(norm)) { // a finite loss can still have an overflowing gradient: skip, do not poison Adam
            String where = whereNotFinite(grads);
            for (NDArray gi : grads) {
                gi.set(ALL, 0f); // not gi.subi(gi): NaN - NaN stays NaN
            }
            return where;
        }
        if (settings.clipNorm() > 0 && norm > settings.clipNorm()) {
            g = g.mul((float) (settings.clipNorm() / (norm + 1e-6)));
        }
        double bc1 = 1 - Math.pow(BETA1, step);
        double bc2 = 1 - Math.pow(BETA2, step);
        m.muli((float) BETA1).addi(g.mul((float) (1 - BETA1)));
        v.muli((float) BETA2).addi(g.square().muli((float) (1 - BETA2)));
        NDArray update = m.div((float) bc1).divi(v.div((float) bc2).sqrt().addi((float) EPS)).muli((float) lr);
        NDList parts = ends.length == 0 ? new NDList(update) : update.split(ends);
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            p.subi(parts.get(i).reshape(p.getShape()));
            grads.get(i).subi(grads.get(i));
        }
        return null;
    }

    /** Which parameter arrays (index in the model's list, shape) hold a gradient too large to square in float32. */
    private static String whereNotFinite(List<NDArray> grads) {
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < grads.size(); i++) {
            float max = grads.get(i).abs().max().getFloat();
            if (!(max < OVERFLOWS_WHEN_SQUARED)) {
                bad.add(String.format("#%d %s max |g| %s", i, grads.get(i).getShape(), max));
            }
        }
        return bad.isEmpty() ? "the sum of squares overflows" : "in parameter arrays " + String.join(", ", bad);
    }

    private Path checkpoint(Path dir, List<NDArray> params, NDArray m1, NDArray m2, long step, int epoch, int batch,
                            List<Double> trainBpd, List<Double> testBpd) throws IOException {
        List<NDArray> all = new ArrayList<>(params);
        all.add(m1);
        all.add(m2);
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", step);
        state.put("epoch", epoch);
        state.put("batch", batch);
        state.put("train_bpd", trainBpd);
        state.put("test_bpd", testBpd);
        state.put("seed", settings.seed());
        return Checkpoints.save(dir, step, all, state);
    }
}
