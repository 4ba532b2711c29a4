package densitylab.model.gan;

import densitylab.data.ImageSet;
import densitylab.model.LatentModel;
import densitylab.nn.ModelFiles;
import densitylab.nn.Scopes;
import densitylab.train.TrainableModel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What DCGAN and GANomaly share as models: the kind, shape and hyper-parameters, the manager and batch norms their
 * networks live in, and saving and restoring every array a forward pass reads ({@link #allArrays}).
 */
abstract class AbstractGan implements TrainableModel, GanModel, LatentModel {
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

    /** The network that turns latent vectors (B, L) into images in [-1, 1]. */
    abstract UpNet generator();

    /** The latent vectors (count, L) that images first..first + count - 1 of a sample decode (their own seeds). */
    abstract NDArray drawLatents(NDManager m, int count, long firstSeed);

    /**
     * Latent vectors, image i's drawn from its own seed (seed + i), so a sample does not depend on how it is batched.
     */
    @Override
    public final float[] latents(int n, long seed) {
        float[] z = new float[n * latentDims()];
        for (int from = 0; from < n; from += GanParts.BATCH) {
            int b = Math.min(GanParts.BATCH, n - from);
            try (NDManager sub = Scopes.open(manager, allArrays())) {
                float[] part = drawLatents(sub, b, seed + from).toFloatArray();
                System.arraycopy(part, 0, z, from * latentDims(), part.length);
            }
        }
        return z;
    }

    /** The generator's images of z, in batches of {@value GanParts#BATCH}, with the standing statistics. */
    @Override
    public final ImageSet decode(float[] z) {
        int n = LatentModel.count(this, z);
        int l = latentDims();
        int d = shape[0] * shape[1] * shape[2];
        byte[] px = new byte[n * d];
        for (int from = 0; from < n; from += GanParts.BATCH) {
            int b = Math.min(GanParts.BATCH, n - from);
            try (NDManager sub = Scopes.open(manager, allArrays())) {
                NDArray zb = sub.create(java.util.Arrays.copyOfRange(z, from * l, (from + b) * l), new Shape(b, l));
                byte[] part = GanParts.pixels(generator().forward(zb, NormMode.STANDING));
                System.arraycopy(part, 0, px, from * d, part.length);
            }
        }
        return ImageSet.of(kind + " samples", shape[0], shape[1], shape[2], px, null);
    }

    /** {@link #decode} of {@link #latents}. */
    @Override
    public final ImageSet sample(int n, long seed) {
        return decode(latents(n, seed));
    }

    @Override
    public final NDManager manager() {
        return manager;
    }

    @Override
    public final void close() {
        manager.close();
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
