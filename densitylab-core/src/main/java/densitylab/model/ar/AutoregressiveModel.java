package densitylab.model.ar;

import densitylab.data.ImageSet;
import densitylab.io.Progress;
import densitylab.model.Shapes;
import densitylab.model.TemperedSampling;
import densitylab.model.TrainableDensityModel;
import densitylab.nn.ModelFiles;
import densitylab.nn.Noise;
import densitylab.nn.ParamFactory;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * An autoregressive image model, log P(x) = sum over sub-pixels in raster order (channels in order within a pixel)
 * of log P(x_i | x_&lt;i): a {@link ConditionalNetwork} gives every conditional's parameters in one pass and a
 * {@link PixelLikelihood} turns them into exact discrete log-probabilities, so log P(x) and bits/dim are exact (no
 * dequantization, no bound). Training, scoring and sampling are shared by PixelCNN and PixelCNN++.
 */
public final class AutoregressiveModel implements TrainableDensityModel, TemperedSampling {
    /** Scoring batches keep the network's output within this many floats (and at most 64 images). */
    private static final long CHUNK_FLOATS = 4L << 20;
    private final String kind;
    private final int[] shape;
    private final Map<String, String> params;
    private final NDManager manager;
    private final ConditionalNetwork network;
    private final PixelLikelihood likelihood;
    private final double temperature;
    private final List<NDArray> scopeArrays;

    AutoregressiveModel(String kind, int[] shape, Map<String, String> params, long seed, double temperature,
                        PixelLikelihood likelihood, Function<ParamFactory, ConditionalNetwork> network) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        this.kind = kind;
        this.shape = shape.clone();
        this.params = new LinkedHashMap<>(params);
        this.manager = NDManager.newBaseManager();
        this.likelihood = likelihood;
        this.temperature = temperature;
        this.network = network.apply(new ParamFactory(manager, seed));
        List<NDArray> scoped = new ArrayList<>(this.network.parameters());
        scoped.addAll(this.network.constants());
        this.scopeArrays = List.copyOf(scoped);
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
        return network.parameters();
    }

    @Override
    public List<NDArray> scopeArrays() {
        return scopeArrays;
    }

    /** The number of trainable values. */
    public long parameterCount() {
        return network.parameters().stream().mapToLong(p -> p.getShape().size()).sum();
    }

    /** The hyper-parameters it was built with (preset sizes resolved). */
    public Map<String, String> params() {
        return Map.copyOf(params);
    }

    private long dims() {
        return (long) shape[0] * shape[1] * shape[2];
    }

    private long outputFloatsPerImage() {
        return (long) likelihood.parameterChannels(shape[0]) * shape[1] * shape[2];
    }

    /**
     * log P(x_i | x_&lt;i) in nats for every sub-pixel of raw pixels x (B, C, H, W), shape (B, C, H, W); dropout from
     * noise when it is not null (training). Arrays belong to x's manager.
     */
    NDArray logProbPerSubpixel(NDArray x, Noise noise) {
        return likelihood.logProbPerSubpixel(network.apply(x, noise), x);
    }

    /** The network's output (B, P, H, W) for x, without dropout: what the causality test differentiates. */
    NDArray conditionals(NDArray x) {
        return network.apply(x, null);
    }

    PixelLikelihood likelihood() {
        return likelihood;
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        long b = batch.getShape().get(0);
        NDArray nats = logProbPerSubpixel(batch, noise).reshape(b, -1).sum(new int[] {1});
        return Scalars.mul(nats.mean(), -1.0 / (dims() * Math.log(2)));
    }

    /** Training passes keep the network's output within two scoring chunks (see ConvVae.CHUNK_FLOATS on why). */
    @Override
    public int maxImagesPerLoss() {
        return (int) Math.max(1, 2 * CHUNK_FLOATS / outputFloatsPerImage());
    }

    /**
     * Images per scoring pass. Every intermediate of a pass lives until the pass's scope closes, so its memory grows
     * with the batch: a small PixelCNN++ held 2.2-2.4 GB at 64 FashionMNIST images and 1.0 GB at 16, which also
     * scored faster (6.5-7.1 s against 8.0-10.2 s per 1,000 images; docs/performance.md, "Memory").
     */
    private int scoreBatch() {
        long byPixels = Math.max(1, SCORE_PIXELS / ((long) shape[1] * shape[2]));
        return (int) Math.max(1, Math.min(byPixels, CHUNK_FLOATS / outputFloatsPerImage()));
    }

    /** Pixels (height x width, summed over the images) of one scoring pass: 16 images of 28x28. */
    private static final long SCORE_PIXELS = 16L * 28 * 28;

    @Override
    public double[] logProb(ImageSet images) {
        Shapes.check(this, images);
        double[] out = new double[images.size()];
        int o = 0;
        try (Progress pb = Progress.bar(kind, images.size())) {
            for (ImageSet part : images.batches(scoreBatch())) {
                try (NDManager sub = Scopes.open(manager, scopeArrays)) {
                    NDArray x = part.toNDArray(sub);
                    float[] v = logProbPerSubpixel(x, null).reshape(part.size(), -1).sum(new int[] {1}).toFloatArray();
                    for (float f : v) {
                        out[o++] = f;
                    }
                }
                pb.stepBy(part.size());
            }
        }
        return out;
    }

    @Override
    public ImageSet sample(int n, long seed) {
        return sample(n, seed, temperature);
    }

    /**
     * n images drawn sub-pixel by sub-pixel: for each pixel in raster order the network runs on the rows filled so
     * far (the output at row i does not depend on later rows), and the likelihood draws the pixel's channels; a
     * network that reads earlier channels of the current pixel runs again per channel. Image k draws from its own
     * generator seeded with (seed, k), so a sample does not depend on the batch it was drawn in.
     */
    @Override
    public ImageSet sample(int n, long seed, double temperature) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        int c = shape[0];
        int h = shape[1];
        int w = shape[2];
        int p = likelihood.parameterChannels(c);
        int d = (int) dims();
        byte[] px = new byte[n * d];
        int batch = 64;
        long passes = (long) h * w * (network.readsCurrentPixel() ? c : 1) * ((n + batch - 1) / batch);
        try (Progress pb = Progress.bar(kind + " sampling", passes)) {
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                SplittableRandom[] rng = new SplittableRandom[b];
                for (int k = 0; k < b; k++) {
                    rng[k] = new SplittableRandom(Noise.seedOf(seed, from + k, 0, 0));
                }
                float[] img = new float[b * d];
                int[][] pixel = new int[b][c];
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        for (int ch = 0; ch < c; ) {
                            float[][] at = outputsAt(img, b, i, j, p);
                            int filled = 0;
                            for (int k = 0; k < b; k++) {
                                filled = likelihood.sample(at[k], ch, pixel[k], temperature, rng[k]);
                                for (int q = ch; q < ch + filled; q++) {
                                    img[k * d + (q * h + i) * w + j] = pixel[k][q];
                                }
                            }
                            ch += network.readsCurrentPixel() ? filled : c;
                            pb.step();
                        }
                    }
                }
                for (int k = 0; k < b * d; k++) {
                    px[from * d + k] = (byte) img[k];
                }
            }
        }
        return ImageSet.of(kind + " samples", c, h, w, px, null);
    }

    /** The network's output at pixel (i, j) of each of b images, run on rows 0..i of img (b, C, H, W). */
    private float[][] outputsAt(float[] img, int b, int i, int j, int p) {
        int c = shape[0];
        int h = shape[1];
        int w = shape[2];
        float[] rows = new float[b * c * (i + 1) * w];
        for (int k = 0; k < b; k++) {
            for (int ch = 0; ch < c; ch++) {
                System.arraycopy(img, ((k * c + ch) * h) * w, rows, ((k * c + ch) * (i + 1)) * w, (i + 1) * w);
            }
        }
        float[][] out = new float[b][p];
        try (NDManager sub = Scopes.open(manager, scopeArrays)) {
            NDArray x = sub.create(rows, new ai.djl.ndarray.types.Shape(b, c, i + 1, w));
            float[] v = network.apply(x, null).get(":, :, " + i + ", " + j).toFloatArray(); // (b, P)
            for (int k = 0; k < b; k++) {
                System.arraycopy(v, k * p, out[k], 0, p);
            }
        }
        return out;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeParameters(dir, network.parameters());
        ModelFiles.writeMeta(dir, kind, shape, params);
    }

    void restore(Path dir) throws IOException {
        ModelFiles.readParameters(dir, network.parameters());
    }
}
