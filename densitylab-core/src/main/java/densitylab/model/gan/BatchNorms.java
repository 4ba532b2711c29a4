package densitylab.model.gan;

import densitylab.nn.LibTorch;
import densitylab.nn.MemoryLayout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * The batch normalisation layers of one GAN and their standing statistics (Brock et al. 2019): instead of running
 * averages updated by every training step (state a loss may not keep: two gradient workers run it at once), the
 * statistics used outside training are averaged over many batches after training ({@link NormMode#RECORD}), then
 * fixed ({@link NormMode#STANDING}) and saved with the model. Training normalises with each batch's (or worker
 * half's) own statistics, as DCGAN does.
 */
final class BatchNorms {
    static final double EPS = 1e-5;
    private final NDManager manager;
    private final List<NDArray> means = new ArrayList<>();
    private final List<NDArray> vars = new ArrayList<>();
    private int recorded;

    BatchNorms(NDManager manager) {
        this.manager = manager;
    }

    /** A new layer of the given channels; returns its index. */
    int add(int channels) {
        means.add(manager.zeros(new Shape(channels)));
        vars.add(manager.ones(new Shape(channels)));
        return means.size() - 1;
    }

    /** Starts a new average: the next {@link NormMode#RECORD} batches replace the standing statistics. */
    void startRecording() {
        recorded = 0;
    }

    /** Ends one recorded batch (every layer has seen it once). */
    void recordedBatch() {
        recorded++;
    }

    /**
     * Batch normalisation of x (B, C, ...) over all axes but 1, scaled by gamma and shifted by beta (each (C)); in the
     * standard memory order, whatever x's: on channels-last arrays libtorch 2.5.1's batch norm gave a tiny DCGAN's
     * generator gradients that differed by 8% between identical calls (ScalarsTest; GanTest's resumption).
     */
    NDArray apply(int layer, NDArray in, NDArray gamma, NDArray beta, NormMode mode) {
        NDArray x = MemoryLayout.standard(in);
        return switch (mode) {
            case TRAIN -> {
                long c = x.getShape().get(1);
                NDManager m = x.getManager();
                yield LibTorch.batchNorm(x, m.zeros(new Shape(c)), m.ones(new Shape(c)), gamma, beta, true, 0.0, EPS);
            }
            case RECORD -> // cumulative average: momentum 1 / (k + 1) on the k-th batch (k from 0)
                    LibTorch.batchNorm(x, means.get(layer), vars.get(layer), gamma, beta, true, 1.0 / (recorded + 1), EPS);
            case STANDING -> LibTorch.batchNorm(x, means.get(layer), vars.get(layer), gamma, beta, false, 0.0, EPS);
        };
    }

    /** The standing statistics, every layer's mean then every layer's variance (for saving and loading). */
    List<NDArray> arrays() {
        List<NDArray> all = new ArrayList<>(means);
        all.addAll(vars);
        return all;
    }
}
