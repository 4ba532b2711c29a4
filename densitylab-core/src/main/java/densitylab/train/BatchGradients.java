package densitylab.train;

import densitylab.nn.LibTorch;
import densitylab.nn.Noise;
import densitylab.nn.Scalars;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import densitylab.data.ImageSet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;

/**
 * Computes a batch's loss and adds its gradient into the parameters' gradients, on the calling thread or
 * on two worker threads that take half the batch each (data parallelism inside one process).
 *
 * <p>Why two workers: a flow's step is hundreds of small ops, and with one thread driving them the second
 * intra-op thread waits for work about half the time. Two workers with one intra-op thread each keep both
 * cores busy. Each half's loss is weighted by its share of the batch, so the summed gradient is the whole
 * batch's; libtorch adds the two halves' gradients into a parameter under a lock, and because float addition
 * commutes, the sum does not depend on which half finishes first. Each part draws its noise from its own
 * seed ({@link Noise}), so a run repeats exactly.
 *
 * <p>While the workers exist, the calling thread also runs with the workers' intra-op thread count (an idle
 * OpenMP team spinning on the second core would slow them); {@link #withAllThreads} lends it every thread
 * back for evaluation, and {@link #close} restores it.
 */
final class BatchGradients implements AutoCloseable {
    private final ExecutorService pool; // null: the calling thread does everything
    private final int allThreads;
    private final int perWorker;

    private BatchGradients(int workers) {
        this.allThreads = LibTorch.intraOpThreads();
        if (workers == 1) {
            this.pool = null;
            this.perWorker = allThreads;
            return;
        }
        this.perWorker = Math.max(1, allThreads / workers);
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(() -> {
                LibTorch.setIntraOpThreads(perWorker);
                LibTorch.enableGradientsOnThisThread();
                r.run();
            }, "densitylab-gradients-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        LibTorch.setIntraOpThreads(perWorker);
    }

    /**
     * @param workers 1, 2, or {@link TrainSettings#AUTO_WORKERS} (2 where the calling thread has at least two
     *                intra-op threads)
     */
    static BatchGradients create(int workers) {
        return new BatchGradients(TrainSettings.resolvedWorkers(workers));
    }

    /** 1 or 2. */
    int workers() {
        return pool == null ? 1 : 2;
    }

    /**
     * The batch's loss (the player's, a mean over the batch) with its gradient added into the parameters'
     * gradients; or, where a part's loss is not finite, that loss, with the gradients of the other part
     * possibly added.
     *
     * @param scope       the batch's scope (the model's arrays temp-attached to it)
     * @param noiseSeeds  the noise seed of part 0 or 1
     */
    double compute(Player model, NDManager scope, ImageSet batch, IntToLongFunction noiseSeeds) {
        if (pool == null) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                return accumulate(model, scope, batch, batch.size(), noiseSeeds.applyAsLong(0), gc::backward);
            }
        }
        List<ImageSet> parts = batch.batches((batch.size() + 1) / 2);
        List<Future<Double>> running = new ArrayList<>(parts.size());
        for (int k = 0; k < parts.size(); k++) {
            ImageSet part = parts.get(k);
            long seed = noiseSeeds.applyAsLong(k);
            running.add(pool.submit(() -> accumulate(model, scope, part, batch.size(), seed, LibTorch::backward)));
        }
        double[] losses = new double[running.size()];
        Throwable failed = null;
        for (int k = 0; k < running.size(); k++) { // wait for every part before the scope may close
            try {
                losses[k] = running.get(k).get();
            } catch (ExecutionException e) {
                failed = failed == null ? e.getCause() : failed;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed = failed == null ? new IllegalStateException("interrupted while computing gradients", e) : failed;
            }
        }
        if (failed instanceof RuntimeException r) {
            throw r;
        } else if (failed instanceof Error err) {
            throw err;
        } else if (failed != null) {
            throw new IllegalStateException(failed);
        }
        double sum = 0;
        for (int k = 0; k < losses.length; k++) {
            if (!Double.isFinite(losses[k])) {
                return losses[k];
            }
            sum += losses[k] * parts.get(k).size();
        }
        return sum / batch.size();
    }

    /**
     * The mean loss over part, its gradient (weighted by part's share of a batch of batchSize images) added by
     * backward, in passes of at most {@link Player#maxImagesPerLoss} images; each pass's arrays live in a
     * sub-manager of scope, closed before the next. Pass 0 draws from seed (so a model without a limit sees the
     * same noise as one whole pass), pass j > 0 from a seed derived from (seed, j). Stops at the first non-finite
     * pass loss and returns it.
     */
    private static double accumulate(Player model, NDManager scope, ImageSet part, int batchSize, long seed,
                                     Consumer<NDArray> backward) {
        int limit = model.maxImagesPerLoss();
        List<ImageSet> passes = limit <= 0 || limit >= part.size() ? List.of(part) : part.batches(limit);
        double sum = 0;
        for (int j = 0; j < passes.size(); j++) {
            ImageSet pass = passes.get(j);
            try (NDManager own = scope.newSubManager()) {
                Noise noise = new Noise(j == 0 ? seed : Noise.seedOf(seed, j, 0, 0));
                NDArray l = model.needsLabels() ? model.loss(pass.toNDArray(own), pass.labelsToNDArray(own), noise)
                        : model.loss(pass.toNDArray(own), noise);
                double v = valueOf(l);
                if (!Double.isFinite(v)) {
                    return v;
                }
                backward.accept(Scalars.mul(l, pass.size() / (double) batchSize));
                sum += v * pass.size();
            }
        }
        return sum / part.size();
    }

    private static double valueOf(NDArray loss) {
        return loss.toType(DataType.FLOAT64, false).getDouble();
    }

    /** Runs task on the calling thread with every intra-op thread (evaluation between epochs). */
    <T> T withAllThreads(Supplier<T> task) {
        if (pool == null) {
            return task.get();
        }
        LibTorch.setIntraOpThreads(allThreads);
        try {
            return task.get();
        } finally {
            LibTorch.setIntraOpThreads(perWorker);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            LibTorch.setIntraOpThreads(allThreads);
        }
    }
}
