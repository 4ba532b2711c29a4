package densitylab.model.gan;

import densitylab.nn.ModelFiles;
import densitylab.train.TrainableModel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What DCGAN and GANomaly share as models: the kind, shape and hyper-parameters, the manager and batch norms their
 * networks live in, and saving and restoring every array a forward pass reads ({@link #allArrays}).
 */
abstract class AbstractGan implements TrainableModel, GanModel {
    private final String kind;
    private final int[] shape;
    private final Map<String, String> params;
    final NDManager manager;
    final BatchNorms norms;
    final double beta1;
    /** Stride-2 stages of the networks ({@link GanParts#stages}). */
    final int stages;

    AbstractGan(String kind, int[] shape, Map<String, String> params, double beta1) {
        this.stages = GanParts.stages(shape, kind);
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        this.kind = kind;
        this.shape = shape.clone();
        this.params = new LinkedHashMap<>(params);
        this.beta1 = beta1;
        this.manager = NDManager.newBaseManager();
        this.norms = new BatchNorms(manager);
    }

    /** Every player's parameters, buffers, standing statistics: everything a forward pass reads and a save writes. */
    abstract List<NDArray> allArrays();

    @Override
    public final NDManager manager() {
        return manager;
    }

    @Override
    public final List<NDArray> scopeArrays() {
        return allArrays();
    }

    @Override
    public final String kind() {
        return kind;
    }

    @Override
    public final int[] shape() {
        return shape.clone();
    }

    /** The hyper-parameters it was built with. */
    public final Map<String, String> params() {
        return Map.copyOf(params);
    }

    @Override
    public final void save(Path dir) throws IOException {
        ModelFiles.writeParameters(dir, allArrays());
        ModelFiles.writeMeta(dir, kind, shape, params);
    }

    /** Sets every array from a folder written by {@link #save}. */
    final void restore(Path dir) throws IOException {
        ModelFiles.readParameters(dir, allArrays());
    }
}
