package densitylab.model.flow;

import densitylab.model.LatentModel;
import densitylab.model.OwnScores;
import densitylab.model.ScoreOptions;
import densitylab.model.TemperedSampling;
import densitylab.model.TrainableDensityModel;
import densitylab.nn.Scalars;
import densitylab.nn.ParamFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;
import densitylab.nn.Dequantize;
import densitylab.nn.ModelFiles;
import densitylab.nn.Noise;
import densitylab.nn.Scopes;
import densitylab.model.Shapes;
import densitylab.nn.Units;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A normalizing flow on 8-bit images: uniform dequantization y = (x + u)/256, the logit preprocessing and
 * a multi-scale flow to a standard normal. log P(x) >= log N(z) + log|det| (flow and logit) - D log 256,
 * the discrete bound of docs/science.md, so bits/dim compare with every other model.
 */
public final class FlowModel implements TrainableDensityModel, TemperedSampling, LatentModel, OwnScores {
    private static final int SCORE_BATCH = 256;
    private final String kind;
    private final int[] shape;
    private final Map<String, String> params;
    private final NDManager manager;
    private final LogitTransform logit;
    private final MultiScaleFlow flow;
    private final List<NDArray> parameters;
    private final List<NDArray> scopeArrays;

    /**
     * @param flowBuilder builds the multi-scale flow with the factory (so its parameters live in this model)
     */
    FlowModel(String kind, int[] shape, Map<String, String> params, double alpha,
              java.util.function.Function<ParamFactory, MultiScaleFlow> flowBuilder, long seed) {
        this.kind = kind;
        this.shape = shape.clone();
        this.params = new LinkedHashMap<>(params);
        this.manager = NDManager.newBaseManager();
        ParamFactory f = new ParamFactory(manager, seed);
        this.logit = new LogitTransform(alpha);
        this.flow = flowBuilder.apply(f);
        this.parameters = flow.parameters();
        this.scopeArrays = new ArrayList<>(manager.getManagedArrays());
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
        return parameters;
    }

    @Override
    public List<NDArray> scopeArrays() {
        return scopeArrays;
    }

    /** Number of trainable scalars. */
    public long parameterCount() {
        return parameters.stream().mapToLong(p -> p.getShape().size()).sum();
    }

    /** The logit preprocessing (for tests). */
    LogitTransform logit() {
        return logit;
    }

    /** The flow without preprocessing (for tests). */
    MultiScaleFlow flow() {
        return flow;
    }

    /** log P(x) in nats for dequantized y in [0,1) of shape (B, C, H, W). */
    NDArray logProbOfDequantized(NDArray y, boolean init) {
        Transform.Result pre = logit.forward(y);
        Transform.Result r = init ? flow.initialize(pre.y()) : flow.forward(pre.y());
        long d = y.getShape().size() / y.getShape().get(0);
        NDArray logN = Scalars.mul(r.y().square().sum(new int[] {1}), -0.5).sub((float) (0.5 * d * Math.log(2 * Math.PI)));
        return logN.add(r.logDet()).add(pre.logDet()).sub((float) (d * Units.LOG_256));
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        NDArray u = noise.uniform(batch.getManager(), batch.getShape());
        NDArray y = Scalars.div(batch.add(u), 256);
        long d = batch.getShape().size() / batch.getShape().get(0);
        return Scalars.mul(logProbOfDequantized(y, false).mean(), -1.0 / (d * Math.log(2)));
    }

    @Override
    public void initialize(NDArray firstBatch, Noise noise) {
        NDArray u = noise.uniform(firstBatch.getManager(), firstBatch.getShape());
        logProbOfDequantized(Scalars.div(firstBatch.add(u), 256), true);
    }

    /** The last set {@link #levelBitsPerDim} was asked for, and its answer (identity, as MemoizedDensity). */
    private ImageSet levelsOf;
    private double[][] levelsValue;

    /**
     * Per level, each image's bits/dim of the latents the level factors out (the last level: the latents it keeps)
     * under the standard normal, -log N(z_l) / (d_l ln 2): local pixel statistics and global shape land in different
     * levels (Schirrmeister et al. 2020). Rows: levels; one pass per batch, remembered for the last set.
     */
    public synchronized double[][] levelBitsPerDim(ImageSet images) {
        if (images == levelsOf) {
            return levelsValue;
        }
        Shapes.check(this, images);
        long[] sizes = flow.partSizes();
        double[][] out = new double[sizes.length][images.size()];
        int o = 0;
        for (ImageSet batch : images.batches(SCORE_BATCH)) {
            try (NDManager sub = Scopes.open(manager, scopeArrays)) {
                float[] y = Dequantize.scoring(batch);
                NDArray z = flow.forward(logit.forward(sub.create(y, new Shape(batch.size(), shape[0], shape[1], shape[2]))).y()).y();
                long from = 0;
                for (int l = 0; l < sizes.length; l++) {
                    NDArray part = z.get(":, " + from + ":" + (from + sizes[l]));
                    float[] sq = part.square().sum(new int[] {1}).toFloatArray();
                    for (int i = 0; i < sq.length; i++) {
                        double logN = -0.5 * sq[i] - 0.5 * sizes[l] * Math.log(2 * Math.PI);
                        out[l][o + i] = -logN / (sizes[l] * Math.log(2));
                    }
                    from += sizes[l];
                }
                o += batch.size();
            }
        }
        levelsOf = images;
        levelsValue = out;
        return out;
    }

    /** level-1 .. level-L: {@link #levelBitsPerDim}'s rows. */
    @Override
    public List<String> statistics() {
        List<String> names = new java.util.ArrayList<>();
        for (int l = 1; l <= flow.partSizes().length; l++) {
            names.add("level-" + l);
        }
        return names;
    }

    /** level-L: the bits/dim of level L's latents ({@link #levelBitsPerDim}). */
    @Override
    public ScoreFunction ownScore(String name, ScoreOptions options) {
        if (!name.startsWith("level-")) {
            return null;
        }
        int l;
        try {
            l = Integer.parseInt(name.substring("level-".length()));
        } catch (NumberFormatException e) {
            return null;
        }
        int levels = flow.partSizes().length;
        return l < 1 || l > levels ? null : x -> levelBitsPerDim(x)[l - 1].clone();
    }

    @Override
    public double[] logProb(ImageSet images) {
        Shapes.check(this, images);
        double[] out = new double[images.size()];
        int o = 0;
        for (ImageSet batch : images.batches(SCORE_BATCH)) {
            try (NDManager sub = Scopes.open(manager, scopeArrays)) {
                float[] y = Dequantize.scoring(batch);
                NDArray lp = logProbOfDequantized(sub.create(y, new Shape(batch.size(), shape[0], shape[1], shape[2])), false);
                for (float v : lp.toFloatArray()) {
                    out[o++] = v;
                }
            }
        }
        return out;
    }

    @Override
    public ImageSet sample(int n, long seed) {
        return sample(n, seed, 1.0);
    }

    /** n samples at temperature t (z ~ N(0, t^2); t &lt; 1 gives smoother, more typical images). */
    @Override
    public ImageSet sample(int n, long seed, double temperature) {
        return decode(latents(n, seed, temperature));
    }

    /** One latent dimension per pixel: the flow is a bijection. */
    @Override
    public int latentDims() {
        return shape[0] * shape[1] * shape[2];
    }

    @Override
    public float[] latents(int n, long seed) {
        return latents(n, seed, 1.0);
    }

    /** n x D values of t times a standard normal, in order from one generator seeded with seed. */
    private float[] latents(int n, long seed, double temperature) {
        Random g = new Random(seed);
        float[] z = new float[n * latentDims()];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (temperature * g.nextGaussian());
        }
        return z;
    }

    /** The inverse flow and logit of each latent vector, quantized to 8 bits (a NaN pixel becomes 0). */
    @Override
    public ImageSet decode(float[] z) {
        int n = LatentModel.count(this, z);
        int d = latentDims();
        byte[] px = new byte[n * d];
        for (int from = 0; from < n; from += SCORE_BATCH) {
            int b = Math.min(SCORE_BATCH, n - from);
            try (NDManager sub = Scopes.open(manager, scopeArrays)) {
                NDArray zb = sub.create(java.util.Arrays.copyOfRange(z, from * d, (from + b) * d), new Shape(b, d));
                float[] v = logit.inverse(flow.inverse(zb)).toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    px[from * d + i] = Dequantize.quantize(Float.isNaN(v[i]) ? 0 : v[i]);
                }
            }
        }
        return ImageSet.of(kind + " samples", shape[0], shape[1], shape[2], px, null);
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** The hyper-parameters it was built with (seed included). */
    public Map<String, String> params() {
        return new LinkedHashMap<>(params);
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeParameters(dir, parameters);
        ModelFiles.writeMeta(dir, kind, shape, params);
    }

    /** Sets the parameters from a saved model's arrays. */
    void restore(Path dir) throws IOException {
        ModelFiles.readParameters(dir, parameters);
    }
}
