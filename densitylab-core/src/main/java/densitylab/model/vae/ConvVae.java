package densitylab.model.vae;

import densitylab.nn.LogMath;
import densitylab.model.LatentModel;
import densitylab.model.OwnScores;
import densitylab.model.ScoreOptions;
import densitylab.model.TrainableDensityModel;
import densitylab.nn.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import densitylab.data.ImageSet;
import densitylab.io.Progress;
import densitylab.nn.Dequantize;
import densitylab.nn.MemoryLayout;
import densitylab.nn.Resampling;
import densitylab.nn.ModelFiles;
import densitylab.nn.Noise;
import densitylab.nn.Scopes;
import densitylab.model.Shapes;
import densitylab.nn.ParamFactory;


import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A convolutional VAE (Kingma &amp; Welling 2014) in the DCGAN layout: two stride-2 4x4 convolutions and a
 * linear layer to the Gaussian q(z|x); a linear layer, two upsample-and-convolve stages and a 1x1 head to a
 * discrete pixel decoder p(x|z).
 *
 * <p>Objectives: {@code elbo} maximises the ELBO (reverse KL). {@code forward-kl} is the proposal of seed 003,
 * trained as reweighted wake-sleep (Bornschein &amp; Bengio 2015) with K samples z_k ~ q(z|x) and self-normalised
 * weights w_k ∝ p(x, z_k)/q(z_k|x): the decoder ascends sum_k w_k grad log p(x, z_k) (the IWAE gradient) and the
 * encoder ascends sum_k w_k grad log q(z_k|x), a stochastic descent on KL(p(z|x) || q(z|x)). Its reported loss
 * is the IWAE bound in bits/dim. {@link #logProb} is the IWAE estimate with {@link #evalSamples} samples.
 */
public final class ConvVae implements TrainableDensityModel, AmortizedVae, LatentModel, OwnScores {
    private static final Shape S2 = new Shape(2, 2);
    private static final Shape P1 = new Shape(1, 1);
    private static final Shape ONE = new Shape(1, 1);
    /**
     * The most decoder-output floats one scoring chunk materialises at once (4 Mi floats, 16 MiB). glibc gives each
     * thread other than the process's first an arena of 64 MiB heaps and maps any block larger than that with mmap
     * (whatever MALLOC_MMAP_MAX_ says), unmapping it on free, so every chunk above it page-faulted its memory in
     * afresh: a 500-decode chunk of 256-way logits is 400 MB, and IWAE scoring spent 60% of its time in the kernel.
     * Java's main thread is never the process's first, so this holds for scoring too.
     */
    static final long CHUNK_FLOATS = 4L << 20;

    private final int[] shape;
    private final int latent;
    private final PixelDecoder decoder;
    private final String objective;
    private final int trainSamples;
    private int evalSamples;
    private final Map<String, String> params;
    private final NDManager manager;
    private final List<NDArray> parameters = new ArrayList<>();
    private final NDArray ew1, eb1, ew2, eb2, ewl, ebl, dwl, dbl, dw1, db1, dw2, db2, dw3, db3;
    private final int h4;
    private final int w4;
    private final int width;

    ConvVae(int[] shape, Map<String, String> params, PixelDecoder decoder, int latent, int width, String objective,
            int trainSamples, int evalSamples, long seed) {
        if (shape[1] % 4 != 0 || shape[2] % 4 != 0) {
            throw new IllegalArgumentException("the VAE needs height and width divisible by 4, got " + shape[1] + "x" + shape[2]
                    + " (resize to 28x28 or 32x32)");
        }
        if (!objective.equals("elbo") && !objective.equals("forward-kl")) {
            throw new IllegalArgumentException("unknown objective '" + objective + "'; known: elbo, forward-kl");
        }
        this.shape = shape.clone();
        this.params = new LinkedHashMap<>(params);
        this.decoder = decoder;
        this.latent = latent;
        this.width = width;
        this.objective = objective;
        this.trainSamples = trainSamples;
        this.evalSamples = evalSamples;
        this.manager = NDManager.newBaseManager();
        ParamFactory f = new ParamFactory(manager, seed);
        int c = shape[0];
        h4 = shape[1] / 4;
        w4 = shape[2] / 4;
        int flat = 2 * width * h4 * w4;
        ew1 = add(f.normal(Math.sqrt(2.0 / (c * 16)), width, c, 4, 4));
        eb1 = add(f.zeros(width));
        ew2 = add(f.normal(Math.sqrt(2.0 / (width * 16)), 2 * width, width, 4, 4));
        eb2 = add(f.zeros(2 * width));
        ewl = add(f.normal(Math.sqrt(1.0 / flat), 2 * latent, flat));
        ebl = add(f.zeros(2 * latent));
        dwl = add(f.normal(Math.sqrt(2.0 / latent), flat, latent));
        dbl = add(f.zeros(flat));
        dw1 = add(f.normal(Math.sqrt(2.0 / (2 * width * 9)), width, 2 * width, 3, 3));
        db1 = add(f.zeros(width));
        dw2 = add(f.normal(Math.sqrt(2.0 / (width * 9)), width, width, 3, 3));
        db2 = add(f.zeros(width));
        dw3 = add(f.normal(Math.sqrt(1.0 / width), decoder.outputChannels(c), width, 1, 1));
        db3 = add(f.zeros(decoder.outputChannels(c)));
    }

    private NDArray add(NDArray p) {
        parameters.add(p);
        return p;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public List<NDArray> parameters() {
        return parameters;
    }

    PixelDecoder decoder() {
        return decoder;
    }

    /** Importance samples used by {@link #logProb}. */
    public int evalSamples() {
        return evalSamples;
    }

    /** Sets the importance samples used by {@link #logProb} (K of the IWAE estimate). */
    public ConvVae withEvalSamples(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("importance samples must be >= 1, got " + k);
        }
        this.evalSamples = k;
        return this;
    }

    /** q(z|x) as (mu, logvar), each (B, L), for raw pixels x (B, C, H, W). */
    NDList encode(NDArray x) {
        return encode(x, encoderParameters());
    }

    @Override
    public List<NDArray> encoderParameters() {
        return List.of(ew1, eb1, ew2, eb2, ewl, ebl);
    }

    @Override
    public NDList encode(NDArray x, List<NDArray> w) {
        NDArray h = MemoryLayout.channelsLast(Scalars.div(x, 255).sub(0.5f));
        h = Activation.relu(Conv2d.conv2d(h, w.get(0), w.get(1), S2, P1).singletonOrThrow());
        h = Activation.relu(Conv2d.conv2d(h, w.get(2), w.get(3), S2, P1).singletonOrThrow());
        NDArray out = Linear.linear(h.reshape(h.getShape().get(0), -1), w.get(4), w.get(5)).singletonOrThrow();
        return out.split(2, 1);
    }

    @Override
    public int scoringBatch() {
        return Math.max(1, Math.min(64, decodesPerChunk()));
    }

    /**
     * Decoder outputs (B, outC, H, W) for latents z (B, L): a linear layer, then twice a 2x nearest-neighbour
     * upsampling (libtorch's kernel, {@link Resampling#upsampleNearest2x}) and a 3x3 convolution (DJL's PyTorch
     * engine has no transposed convolution), then a 1x1 convolution to the pixel distribution's parameters. The head
     * is 1x1 because a 3x3 convolution to 256 categorical logits per pixel would cost about nine times the rest of the
     * network.
     *
     * <p>The 3x3 convolutions run on channels-last arrays ({@link MemoryLayout}): this avoids a fault of oneDNN 3.5 in
     * libtorch 2.5.1, whose AVX-512 backward-data kernel (seen on an AMD EPYC) gave the input gradient of a 3x3
     * convolution of a standard-order (8, 8, 8, 8) batch different values on identical calls, sometimes NaN, which
     * made VAE training diverge; channels-last repeats exactly (and the launcher's ONEDNN_MAX_CPU_ISA=AVX computes every
     * small-channel convolution right: {@link densitylab.nn.ConvolutionCheck}). The 1x1 head, with 256
     * output channels a pixel, converts its small input to the standard order instead of its large output. The
     * price, measured with bench: training 15% and IWAE scoring 15% slower than all-standard order (a channels-last
     * head cost 30%).
     */
    NDArray decode(NDArray z) {
        NDArray h = Activation.relu(Linear.linear(z, dwl, dbl).singletonOrThrow()).reshape(z.getShape().get(0), 2L * width, h4, w4);
        // libtorch's upsampling keeps its input's memory order: convert the small array, before upsampling
        h = Activation.relu(Conv2d.conv2d(Resampling.upsampleNearest2x(MemoryLayout.channelsLast(h)), dw1, db1, ONE, P1).singletonOrThrow());
        h = Activation.relu(Conv2d.conv2d(Resampling.upsampleNearest2x(h), dw2, db2, ONE, P1).singletonOrThrow());
        return Conv2d.conv2d(MemoryLayout.standard(h), dw3, db3).singletonOrThrow(); // 256 output channels: cheaper to convert the input
    }

    /** log N(z; 0, I) summed over the last axis. */
    static NDArray logStdNormal(NDArray z) {
        long l = z.getShape().get(z.getShape().dimension() - 1);
        return Scalars.mul(z.square().sum(new int[] {-1}), -0.5).sub((float) (0.5 * l * Math.log(2 * Math.PI)));
    }

    /** log N(z; mu, exp(logvar)) summed over the last axis. */
    static NDArray logNormal(NDArray z, NDArray mu, NDArray logvar) {
        long l = z.getShape().get(z.getShape().dimension() - 1);
        NDArray q = z.sub(mu).square().mul(logvar.neg().exp()).add(logvar);
        return Scalars.mul(q.sum(new int[] {-1}), -0.5).sub((float) (0.5 * l * Math.log(2 * Math.PI)));
    }

    /** The pieces of K importance samples for x: log p(x|z), log p(z), log q(z|x), each (B, K). */
    record Samples(NDArray logLik, NDArray logPrior, NDArray logQ, NDArray z) {
        NDArray logWeights() {
            return logLik.add(logPrior).sub(logQ);
        }
    }

    /** K samples z = mu + sigma eps from q(z|x) with the given noise eps (B, K, L); z detached when detach is set. */
    Samples samples(NDArray x, NDArray eps, boolean detach) {
        NDList q = encode(x);
        return samples(x, q.get(0), q.get(1), eps, detach);
    }

    /** K samples z = mu + sigma eps from the Gaussian posterior (mu, logvar), each (B, L), with noise eps (B, K, L). */
    private Samples samples(NDArray x, NDArray posteriorMean, NDArray posteriorLogvar, NDArray eps, boolean detach) {
        long b = x.getShape().get(0);
        long k = eps.getShape().get(1);
        NDArray mu = posteriorMean.expandDims(1);
        NDArray logvar = posteriorLogvar.expandDims(1);
        NDArray z = eps.mul(Scalars.mul(logvar, 0.5).exp()).add(mu);
        if (detach) {
            z = z.stopGradient();
        }
        long[] s = x.getShape().getShape();
        NDArray xs = x.expandDims(1).broadcast(b, k, s[1], s[2], s[3]).reshape(b * k, s[1], s[2], s[3]);
        NDArray logLik = decoder.logLikelihood(decode(z.reshape(b * k, latent)), xs).reshape(b, k);
        return new Samples(logLik, logStdNormal(z), logNormal(z, mu, logvar), z);
    }

    /** The ELBO per example in nats with one sample and the analytic KL, noise eps (B, 1, L). */
    NDArray elbo(NDArray x, NDArray eps) {
        NDList q = encode(x);
        return elbo(x, q.get(0), q.get(1), eps);
    }

    /** The ELBO per example in nats for a given Gaussian posterior (mu, logvar), each (B, L), and noise eps (B, 1, L). */
    @Override
    public NDArray elbo(NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        long b = x.getShape().get(0);
        NDArray z = eps.reshape(b, latent).mul(Scalars.mul(logvar, 0.5).exp()).add(mu);
        NDArray rec = decoder.logLikelihood(decode(z), x);
        NDArray kl = Scalars.mul(mu.square().add(logvar.exp()).sub(1f).sub(logvar).sum(new int[] {1}), 0.5);
        return rec.sub(kl);
    }

    /**
     * Training passes see at most this many images: as many as keep a pass's decodes (K per image for forward-kl,
     * 1 for the ELBO) within two scoring chunks, so that no activation reaches glibc's 64 MiB heap (see
     * {@link #CHUNK_FLOATS}). The ELBO's usual halves of 32 images fit whole; forward-kl's K = 5 decodes of 256-way
     * logits take passes of 8 images.
     */
    @Override
    public int maxImagesPerLoss() {
        int decodesPerImage = objective.equals("forward-kl") ? trainSamples : 1;
        return Math.max(1, 2 * decodesPerChunk() / decodesPerImage);
    }

    /** Decodes per scoring chunk: as many as keep the decoder's output within {@link #CHUNK_FLOATS} floats (at least 1). */
    int decodesPerChunk() {
        long perDecode = (long) decoder.outputChannels(shape[0]) * shape[1] * shape[2];
        return (int) Math.max(1, Math.min(512, CHUNK_FLOATS / perDecode));
    }

    /**
     * The IWAE estimate log (1/K) sum_k w_k per example, noise eps (B, K, L), without gradients: the K samples are
     * decoded in chunks of at most {@link #decodesPerChunk} decodes, each chunk's activations freed before the next.
     */
    NDArray iwae(NDArray x, NDArray eps) {
        NDList q = encode(x);
        return iwae(x, q.get(0), q.get(1), eps);
    }

    /**
     * The IWAE estimate of log p(x) per example in nats with the Gaussian proposal (mu, logvar), each (B, L), and noise
     * eps (B, K, L); the K samples are decoded in chunks of at most {@link #decodesPerChunk} decodes, each chunk's
     * activations freed before the next.
     */
    @Override
    public NDArray iwae(NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        long b = x.getShape().get(0);
        long k = eps.getShape().get(1);
        long per = Math.max(1, decodesPerChunk() / b);
        NDArray logW;
        if (per >= k) {
            logW = samples(x, mu, logvar, eps, false).logWeights();
        } else {
            NDManager batch = x.getManager();
            NDList parts = new NDList();
            for (long from = 0; from < k; from += per) {
                List<NDArray> live = new ArrayList<>(parameters);
                live.add(x);
                live.add(eps);
                live.add(mu);
                live.add(logvar);
                try (NDManager chunk = Scopes.open(batch, live)) {
                    NDArray part = samples(x, mu, logvar, eps.get(":, " + from + ":" + Math.min(k, from + per)), false).logWeights();
                    part.attach(batch);
                    parts.add(part);
                }
            }
            logW = NDArrays.concat(parts, 1);
        }
        return LogMath.logSumExp(logW, 1).sub((float) Math.log(k));
    }

    private long dims() {
        return (long) shape[0] * shape[1] * shape[2];
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        double toBpd = -1.0 / (dims() * Math.log(2));
        long b = batch.getShape().get(0);
        if (objective.equals("elbo")) {
            NDArray eps = noise.normal(batch.getManager(), new Shape(b, 1, latent));
            return Scalars.mul(elbo(batch, eps).mean(), toBpd);
        }
        NDArray eps = noise.normal(batch.getManager(), new Shape(b, trainSamples, latent));
        Samples s = samples(batch, eps, true);
        NDArray logW = s.logWeights();
        NDArray w = logW.stopGradient().softmax(1);
        NDArray surrogate = w.mul(s.logLik().add(s.logPrior()).add(s.logQ())).sum(new int[] {1}).mean();
        NDArray iwaeBound = LogMath.logSumExp(logW, 1).sub((float) Math.log(trainSamples)).mean().stopGradient();
        // value: the IWAE bound in bits/dim; gradient: the reweighted wake-sleep update
        return Scalars.mul(iwaeBound.add(surrogate.sub(surrogate.stopGradient())), toBpd);
    }

    /**
     * Standard-normal noise (B, K, L): image i's K x L values from its own generator seeded with firstSeed + i, so
     * that an image's draws do not depend on which batch it is in.
     */
    NDArray noise(NDManager m, int b, int k, long firstSeed) {
        long[] seeds = new long[b];
        for (int i = 0; i < b; i++) {
            seeds[i] = firstSeed + i;
        }
        return noise(m, seeds, k);
    }

    /** Standard-normal noise (B, K, L): image i's K x L values from its own generator seeded with seeds[i]. */
    NDArray noise(NDManager m, long[] seeds, int k) {
        int b = seeds.length;
        float[] v = new float[b * k * latent];
        for (int i = 0, o = 0; i < b; i++) {
            SplittableRandom r = new SplittableRandom(seeds[i]); // mixes its seed
            for (int j = 0; j < k * latent; j++) {
                v[o++] = (float) r.nextGaussian();
            }
        }
        return m.create(v, new Shape(b, k, latent));
    }

    /** Each image's K x L values from a generator seeded by its pixel values. */
    @Override
    public NDArray scoringNoise(NDManager m, ImageSet images, int k) {
        return noise(m, Dequantize.contentSeeds(images, Dequantize.SCORING_SEED), k);
    }

    /**
     * Per-image values of fn over images in batches of at most {@link #decodesPerChunk} decodes (at least one image),
     * inside scopes, with each image's seeded noise (B, K, L).
     */
    double[] perImage(ImageSet images, int k, java.util.function.BiFunction<NDArray, NDArray, NDArray> fn) {
        Shapes.check(this, images);
        double[] out = new double[images.size()];
        int o = 0;
        int batch = Math.max(1, Math.min(256, decodesPerChunk() / Math.max(1, k)));
        try (Progress pb = Progress.bar(k > 1 ? "vae, " + k + " samples" : "vae", images.size())) {
            for (ImageSet part : images.batches(batch)) {
                try (NDManager sub = Scopes.open(manager, parameters)) {
                    NDArray x = part.toNDArray(sub);
                    float[] v = fn.apply(x, scoringNoise(sub, part, k)).toFloatArray();
                    for (float f : v) {
                        out[o++] = f;
                    }
                }
                pb.stepBy(part.size());
            }
        }
        return out;
    }

    /** The ELBO in nats per image (one seeded sample, analytic KL). */
    public double[] elbo(ImageSet images) {
        return perImage(images, 1, this::elbo);
    }

    /** The IWAE estimate of log p(x) in nats per image with k seeded samples. */
    public double[] iwae(ImageSet images, int k) {
        return perImage(images, k, this::iwae);
    }

    @Override
    public double[] logProb(ImageSet images) {
        return iwae(images, evalSamples);
    }

    /** The VAE's own scores: elbo, iwae, reconstruction, likelihood-regret and likelihood-regret-encoder. */
    @Override
    public ScoreFunction ownScore(String name, ScoreOptions options) {
        return VaeScores.of(this, name, options);
    }

    /** Mean squared error per pixel (on the 0..1 scale) between x and the decoder's mode at z = E[q(z|x)]. */
    public double[] reconstructionError(ImageSet images) {
        return perImage(images, 1, (x, eps) -> {
            NDArray rec = decoder.mode(decode(encode(x).get(0)));
            return rec.sub(x).div(255f).square().reshape(x.getShape().get(0), -1).mean(new int[] {1});
        });
    }

    @Override
    public int latentDims() {
        return latent;
    }

    /** Standard-normal latents, image i's from its own seed (seed + i). */
    @Override
    public float[] latents(int n, long seed) {
        try (NDManager sub = manager.newSubManager()) {
            return noise(sub, n, 1, seed).toFloatArray();
        }
    }

    /** The decoder's mode (most likely pixel values) at each latent vector, in batches of 256. */
    @Override
    public ImageSet decode(float[] z) {
        int n = LatentModel.count(this, z);
        int d = (int) dims();
        byte[] px = new byte[n * d];
        for (int from = 0; from < n; from += 256) {
            int b = Math.min(256, n - from);
            try (NDManager sub = Scopes.open(manager, parameters)) {
                NDArray zb = sub.create(Arrays.copyOfRange(z, from * latent, (from + b) * latent), new Shape(b, latent));
                float[] v = decoder.mode(decode(zb)).toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    px[from * d + i] = (byte) Math.max(0, Math.min(255, Math.round(v[i])));
                }
            }
        }
        return ImageSet.of("vae samples", shape[0], shape[1], shape[2], px, null);
    }

    /** {@link #decode} of {@link #latents}. */
    @Override
    public ImageSet sample(int n, long seed) {
        return decode(latents(n, seed));
    }

    @Override
    public String kind() {
        return "vae";
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeParameters(dir, parameters);
        ModelFiles.writeMeta(dir, kind(), shape, params);
    }

    void restore(Path dir) throws IOException {
        ModelFiles.readParameters(dir, parameters);
    }
}
