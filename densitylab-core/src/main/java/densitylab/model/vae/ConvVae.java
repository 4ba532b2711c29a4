package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;
import densitylab.model.LatentModel;
import densitylab.model.OwnScores;
import densitylab.model.ScoreOptions;
import densitylab.model.Shapes;
import densitylab.model.TrainableDensityModel;
import densitylab.nn.Dequantize;
import densitylab.nn.ModelFiles;
import densitylab.nn.Noise;
import densitylab.nn.Scopes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 *
 * <p>This class is the model the rest of densitylab sees; its jobs live beside it: {@link VaeNetwork} (the networks
 * and weights), {@link VaeObjectives} (samples, ELBO, chunked IWAE, the training losses) and {@link VaeScoring} (the
 * per-image loop with seeded noise).
 */
public final class ConvVae implements TrainableDensityModel, AmortizedVae, LatentModel, OwnScores {
    /** See {@link VaeNetwork#CHUNK_FLOATS}. */
    static final long CHUNK_FLOATS = VaeNetwork.CHUNK_FLOATS;

    private final VaeNetwork net;
    private final String objective;
    private final int trainSamples;
    private int evalSamples;
    private final Map<String, String> params;

    ConvVae(int[] shape, Map<String, String> params, PixelDecoder decoder, int latent, int width, String objective,
            int trainSamples, int evalSamples, long seed) {
        if (!objective.equals("elbo") && !objective.equals("forward-kl")) {
            throw new IllegalArgumentException("unknown objective '" + objective + "'; known: elbo, forward-kl");
        }
        this.params = new LinkedHashMap<>(params);
        this.objective = objective;
        this.trainSamples = trainSamples;
        this.evalSamples = evalSamples;
        this.net = new VaeNetwork(shape, decoder, latent, width, seed);
    }

    @Override
    public NDManager manager() {
        return net.manager;
    }

    @Override
    public void close() {
        net.manager.close();
    }

    @Override
    public List<NDArray> parameters() {
        return net.parameters;
    }

    PixelDecoder decoder() {
        return net.decoder;
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
        return net.encode(x, net.encoderParameters());
    }

    @Override
    public List<NDArray> encoderParameters() {
        return net.encoderParameters();
    }

    @Override
    public NDList encode(NDArray x, List<NDArray> w) {
        return net.encode(x, w);
    }

    @Override
    public int scoringBatch() {
        return Math.max(1, Math.min(64, decodesPerChunk()));
    }

    /** Decoder outputs (B, outC, H, W) for latents z (B, L) ({@link VaeNetwork#decode}). */
    NDArray decode(NDArray z) {
        return net.decode(z);
    }

    /** log N(z; 0, I) summed over the last axis. */
    static NDArray logStdNormal(NDArray z) {
        return VaeObjectives.logStdNormal(z);
    }

    /** log N(z; mu, exp(logvar)) summed over the last axis. */
    static NDArray logNormal(NDArray z, NDArray mu, NDArray logvar) {
        return VaeObjectives.logNormal(z, mu, logvar);
    }

    /** K samples z = mu + sigma eps from q(z|x) with the given noise eps (B, K, L); z detached when detach is set. */
    VaeObjectives.Samples samples(NDArray x, NDArray eps, boolean detach) {
        NDList q = encode(x);
        return VaeObjectives.samples(net, x, q.get(0), q.get(1), eps, detach);
    }

    /** The ELBO per example in nats with one sample and the analytic KL, noise eps (B, 1, L). */
    NDArray elbo(NDArray x, NDArray eps) {
        NDList q = encode(x);
        return elbo(x, q.get(0), q.get(1), eps);
    }

    /** The ELBO per example in nats for a given Gaussian posterior (mu, logvar), each (B, L), and noise eps (B, 1, L). */
    @Override
    public NDArray elbo(NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        return VaeObjectives.elbo(net, x, mu, logvar, eps);
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

    /** Decodes per scoring chunk ({@link VaeNetwork#decodesPerChunk}). */
    int decodesPerChunk() {
        return net.decodesPerChunk();
    }

    /** The IWAE estimate log (1/K) sum_k w_k per example, noise eps (B, K, L), without gradients, decoded in chunks. */
    NDArray iwae(NDArray x, NDArray eps) {
        NDList q = encode(x);
        return iwae(x, q.get(0), q.get(1), eps);
    }

    /** The IWAE estimate of log p(x) per example in nats with the proposal (mu, logvar) ({@link VaeObjectives#iwae}). */
    @Override
    public NDArray iwae(NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        return VaeObjectives.iwae(net, x, mu, logvar, eps);
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        return VaeObjectives.loss(net, objective, trainSamples, batch, noise);
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
        return VaeScoring.noise(m, seeds, k, net.latent);
    }

    /** Each image's K x L values from a generator seeded by its pixel values. */
    @Override
    public NDArray scoringNoise(NDManager m, ImageSet images, int k) {
        return VaeScoring.noise(m, Dequantize.contentSeeds(images, Dequantize.SCORING_SEED), k, net.latent);
    }

    /** Per-image values of fn(x, noise) ({@link VaeScoring#perImage}). */
    double[] perImage(ImageSet images, int k, java.util.function.BiFunction<NDArray, NDArray, NDArray> fn) {
        Shapes.check(this, images);
        return VaeScoring.perImage(this, net, images, k, 1, k, fn)[0];
    }

    /** The ELBO in nats per image (one seeded sample, analytic KL). */
    public double[] elbo(ImageSet images) {
        return perImage(images, 1, this::elbo);
    }

    /** The last set {@link #statistics(ImageSet)} was asked for (identity) and its rows. */
    private ImageSet statisticsOf;
    private double[][] statisticsValue;

    /** Rows of {@link #statistics(ImageSet)}: the posterior mean's L rows start at LATENT. */
    static final int RATE = 0, DISTORTION = 1, RECONSTRUCTION = 2, LATENT = 3;

    /**
     * Per image, from one encoder pass and two decodes: the ELBO's rate KL(q(z|x) || p(z)) and distortion -log p(x|z)
     * at one seeded sample, both in bits/dim; the reconstruction error at E[q(z|x)] (as {@link #reconstructionError});
     * then the L coordinates of E[q(z|x)]. Rows in that order (see {@link #RATE} ...); remembered for the last set.
     */
    public synchronized double[][] statistics(ImageSet images) {
        if (images == statisticsOf) {
            return statisticsValue;
        }
        Shapes.check(this, images);
        float toBpd = (float) (1 / (net.dims() * Math.log(2)));
        double[][] v = VaeScoring.perImage(this, net, images, 1, LATENT + net.latent, 2, (x, eps) -> {
            NDList q = encode(x);
            NDList parts = VaeObjectives.elboParts(net, x, q.get(0), q.get(1), eps);
            NDArray rec = net.decoder.mode(decode(q.get(0)));
            NDArray mse = rec.sub(x).div(255f).square().reshape(x.getShape().get(0), -1).mean(new int[] {1});
            NDArray first = NDArrays.stack(new NDList(parts.get(1).mul(toBpd), parts.get(0).mul(-toBpd), mse), 1);
            return first.concat(q.get(0), 1);
        });
        statisticsOf = images;
        statisticsValue = v;
        return v;
    }

    /** The ELBO's rate, KL(q(z|x) || p(z)), in bits per dimension per image. */
    public double[] rate(ImageSet images) {
        return statistics(images)[RATE].clone();
    }

    /** The ELBO's distortion, -log p(x|z) at one seeded sample z ~ q(z|x), in bits per dimension per image. */
    public double[] distortion(ImageSet images) {
        return statistics(images)[DISTORTION].clone();
    }

    /** The IWAE estimate of log p(x) in nats per image with k seeded samples. */
    public double[] iwae(ImageSet images, int k) {
        return perImage(images, k, this::iwae);
    }

    @Override
    public double[] logProb(ImageSet images) {
        return iwae(images, evalSamples);
    }

    /**
     * The rate, the distortion, the reconstruction error and the posterior mean's coordinates latent-1 ... latent-L:
     * {@link #statistics(ImageSet)}'s rows, from one pass.
     */
    @Override
    public List<String> statistics() {
        List<String> names = new java.util.ArrayList<>(List.of("rate", "distortion", "reconstruction"));
        for (int j = 1; j <= net.latent; j++) {
            names.add("latent-" + j);
        }
        return names;
    }

    /** Likelihood regret (encoder variant), about 60 ms an image on 2 cores. */
    @Override
    public List<String> costlyStatistics() {
        return List.of("likelihood-regret-encoder");
    }

    /** The VAE's own scores: elbo, iwae, rate, distortion, reconstruction, likelihood-regret and likelihood-regret-encoder. */
    @Override
    public ScoreFunction ownScore(String name, ScoreOptions options) {
        return VaeScores.of(this, name, options);
    }

    /** Mean squared error per pixel (on the 0..1 scale) between x and the decoder's mode at z = E[q(z|x)]. */
    public double[] reconstructionError(ImageSet images) {
        return perImage(images, 1, (x, eps) -> {
            NDArray rec = net.decoder.mode(decode(encode(x).get(0)));
            return rec.sub(x).div(255f).square().reshape(x.getShape().get(0), -1).mean(new int[] {1});
        });
    }

    @Override
    public int latentDims() {
        return net.latent;
    }

    /** Standard-normal latents, image i's from its own seed (seed + i). */
    @Override
    public float[] latents(int n, long seed) {
        try (NDManager sub = net.manager.newSubManager()) {
            return noise(sub, n, 1, seed).toFloatArray();
        }
    }

    /** The decoder's mode (most likely pixel values) at each latent vector, in batches of 256. */
    @Override
    public ImageSet decode(float[] z) {
        int n = LatentModel.count(this, z);
        int d = (int) net.dims();
        int latent = net.latent;
        byte[] px = new byte[n * d];
        for (int from = 0; from < n; from += 256) {
            int b = Math.min(256, n - from);
            try (NDManager sub = Scopes.open(net.manager, net.parameters)) {
                NDArray zb = sub.create(Arrays.copyOfRange(z, from * latent, (from + b) * latent), new Shape(b, latent));
                float[] v = net.decoder.mode(decode(zb)).toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    px[from * d + i] = (byte) Math.max(0, Math.min(255, Math.round(v[i])));
                }
            }
        }
        int[] shape = net.shape;
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
        return net.shape.clone();
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeParameters(dir, net.parameters);
        ModelFiles.writeMeta(dir, kind(), net.shape, params);
    }

    void restore(Path dir) throws IOException {
        ModelFiles.readParameters(dir, net.parameters);
    }
}
