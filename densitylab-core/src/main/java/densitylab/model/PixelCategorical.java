package densitylab.model;

import densitylab.nn.ModelFiles;
import densitylab.nn.Noise;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;
import densitylab.train.Trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Independent 256-way categorical pixels: log P(x) = sum_d log softmax(theta_d)[x_d], an exact discrete
 * likelihood trained by gradient descent with the shared {@link Trainer}. Its optimum is the per-pixel
 * histogram, which makes it the Trainer's reference model.
 */
public final class PixelCategorical implements TrainableDensityModel {
    private static final int BATCH = 512;
    private final NDManager manager;
    private final int[] shape;
    private final NDArray logits; // (D, 256)
    private final NDArray offsets; // (D) int64: d * 256

    /** A model with all-zero logits (uniform pixels, exactly 8 bits/dim). */
    public PixelCategorical(int[] shape) {
        this.shape = shape.clone();
        this.manager = NDManager.newBaseManager();
        int d = shape[0] * shape[1] * shape[2];
        this.logits = manager.zeros(new Shape(d, 256));
        this.logits.setRequiresGradient(true);
        this.offsets = manager.arange(0L, (long) d * 256, 256L, DataType.INT64);
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public List<NDArray> parameters() {
        return List.of(logits);
    }

    /** Per-image log P(x) in nats for raw pixels x (B, C, H, W); arrays land in x's manager scope. */
    private NDArray logProbNd(NDArray x) {
        long b = x.getShape().get(0);
        NDArray idx = x.reshape(b, -1).toType(DataType.INT64, false).add(offsets);
        return logits.logSoftmax(1).reshape(-1).take(x.getManager(), idx).sum(new int[] {1});
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        int d = shape[0] * shape[1] * shape[2];
        return Scalars.mul(logProbNd(batch).mean(), -1.0 / (d * Math.log(2)));
    }

    @Override
    public List<NDArray> scopeArrays() {
        return List.of(logits, offsets);
    }

    @Override
    public double[] logProb(ImageSet images) {
        Shapes.check(this, images);
        double[] out = new double[images.size()];
        int o = 0;
        for (ImageSet batch : images.batches(BATCH)) {
            try (NDManager sub = Scopes.open(manager, scopeArrays())) {
                float[] lp = logProbNd(batch.toNDArray(sub)).toFloatArray();
                for (float v : lp) {
                    out[o++] = v;
                }
            }
        }
        return out;
    }

    @Override
    public String kind() {
        return "pixel-categorical";
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public ImageSet sample(int n, long seed) {
        int d = shape[0] * shape[1] * shape[2];
        float[] p;
        try (NDManager sub = Scopes.open(manager, List.of(logits))) {
            p = logits.softmax(1).toFloatArray();
        }
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] px = new byte[n * d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double r = rng.nextDouble();
                int v = 0;
                for (double acc = p[k * 256]; v < 255 && r > acc; acc += p[k * 256 + ++v]) {
                    // walk the cumulative distribution
                }
                px[i * d + k] = (byte) v;
            }
        }
        return ImageSet.of("pixel-categorical samples", shape[0], shape[1], shape[2], px, null);
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeParameters(dir, parameters());
        ModelFiles.writeMeta(dir, kind(), shape, Map.of());
    }

    /** Restores a saved model. */
    public static PixelCategorical load(Path dir) throws IOException {
        PixelCategorical m = new PixelCategorical(ModelFiles.shape(ModelFiles.readMeta(dir)));
        ModelFiles.readParameters(dir, m.parameters());
        return m;
    }
}
