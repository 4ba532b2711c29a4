package densitylab.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;
import densitylab.io.Progress;
import densitylab.model.FeatureMap;
import densitylab.model.LatentModel;
import densitylab.model.OwnScores;
import densitylab.model.ScoreOptions;
import densitylab.model.Shapes;
import densitylab.model.TrainableDensityModel;
import densitylab.nn.Dequantize;
import densitylab.nn.ModelFiles;
import densitylab.nn.Noise;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A denoising diffusion probabilistic model (Ho et al. 2020) of 8-bit images on the [-1, 1] scale: a {@link UNet}
 * predicts the noise of x_t ~ q(x_t | x_0); training minimises the simple noise loss ({@code simple}) or the
 * variational bound itself ({@code vlb}).
 *
 * <p>{@link #logProb} is minus the T-step variational bound (Ho et al.'s L_T + sum L_{t-1} + L_0, with their discretized
 * Gaussian decoder at t = 1 and the reverse variances beta_t), a lower bound on log P(x) of the discrete data. The sum
 * over t is estimated with {@link #boundSteps()} timesteps per image, one drawn in each of as many strata
 * ({@link NoiseSchedule#strata}), with noise drawn from the image's content, so an image's value does not depend on its
 * batch; with as many timesteps as T it is the exact sum.
 *
 * <p>Sampling is DDIM (Song et al. 2021) with eta = 0 in {@code sample-steps} steps: a deterministic map from a
 * standard-normal x_T (the latent vector) to an image, whose inverse {@link #encode} runs the same steps backwards.
 */
public final class Ddpm implements TrainableDensityModel, LatentModel, OwnScores {
    /** Pixels one network pass of scoring or sampling holds at most (32 images of 28x28): its activations live until it ends. */
    static final int PASS_PIXELS = 32 * 28 * 28;
    private static final long BOUND_SALT = 0xd1ff;

    private final int[] shape;
    private final Map<String, String> params;
    private final NoiseSchedule schedule;
    private final UNet net;
    private final String objective;
    private int boundSteps;
    private final int sampleSteps;
    private final DdpmStatistics statistics;

    Ddpm(int[] shape, Map<String, String> params, NoiseSchedule schedule, UNet net, String objective, int boundSteps,
         int sampleSteps, int normLevels, double[] reconstructionFractions, int reconstructionSteps) {
        if (!objective.equals("simple") && !objective.equals("vlb")) {
            throw new IllegalArgumentException("unknown objective '" + objective + "'; known: simple, vlb");
        }
        this.shape = shape.clone();
        this.params = new LinkedHashMap<>(params);
        this.schedule = schedule;
        this.net = net;
        this.objective = objective;
        this.sampleSteps = sampleSteps;
        withBoundSteps(boundSteps);
        schedule.ddimSteps(sampleSteps); // checks the count
        this.statistics = new DdpmStatistics(this, schedule.steps(), normLevels, reconstructionFractions, reconstructionSteps);
    }

    /** The forward process. */
    public NoiseSchedule schedule() {
        return schedule;
    }

    /** Timesteps per image of the bound's estimate. */
    public int boundSteps() {
        return boundSteps;
    }

    /** Sets the timesteps per image of the bound's estimate (1..T; T gives the exact sum). */
    public Ddpm withBoundSteps(int k) {
        schedule.strata(k); // checks the range
        this.boundSteps = k;
        return this;
    }

    /** The number of trained values. */
    public long parameterCount() {
        return net.parameterCount();
    }

    /** The complete parameters the model was built with. */
    public Map<String, String> params() {
        return Map.copyOf(params);
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

    @Override
    public String lossUnit() {
        return objective.equals("vlb") ? "bpd" : "";
    }

    /** Raw pixels (0..255) to the [-1, 1] scale. */
    static NDArray toUnit(NDArray pixels) {
        return Scalars.div(pixels, 127.5).sub(1f);
    }

    private int dims() {
        return shape[0] * shape[1] * shape[2];
    }

    /** The images' pixel values (0..255), row-major. */
    static float[] pixelValues(ImageSet images) {
        byte[] px = images.pixels();
        float[] v = new float[px.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = px[i] & 0xff;
        }
        return v;
    }

    /** The 8-bit value nearest to a value on the [-1, 1] scale (x = pixel / 127.5 - 1), clipped to 0..255. */
    static byte toPixel(float x) {
        return (byte) Math.max(0, Math.min(255, Math.round((x + 1) * 127.5f)));
    }

    /** A (B, 1, 1, 1) array of per-image values, in m. */
    private static NDArray column(NDManager m, float[] v) {
        return m.create(v, new Shape(v.length, 1, 1, 1));
    }

    /** x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, each image at its own timestep. */
    NDArray noised(NDArray x0, NDArray eps, int[] t) {
        float[] a = new float[t.length];
        float[] s = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            a[i] = (float) Math.sqrt(schedule.alphaBar(t[i]));
            s[i] = (float) Math.sqrt(1 - schedule.alphaBar(t[i]));
        }
        return x0.mul(column(x0.getManager(), a)).add(eps.mul(column(x0.getManager(), s)));
    }

    /** eps_theta(x_t, t) for a batch on the [-1, 1] scale and its timesteps. */
    NDArray epsilon(NDArray xt, int[] t) {
        float[] tf = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            tf[i] = t[i];
        }
        return net.forward(xt, tf);
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        NDManager m = batch.getManager();
        int b = (int) batch.getShape().get(0);
        int steps = schedule.steps();
        float[] u = noise.uniform(m, new Shape(b)).toFloatArray();
        int[] t = new int[b];
        for (int i = 0; i < b; i++) {
            t[i] = 1 + Math.min(steps - 1, (int) (u[i] * steps));
        }
        NDArray x0 = toUnit(batch);
        NDArray eps = noise.normal(m, batch.getShape());
        NDArray xt = noised(x0, eps, t);
        NDArray pred = epsilon(xt, t);
        if (objective.equals("simple")) {
            return pred.sub(eps).square().mean();
        }
        // T x (the term of a uniform t) + the prior term: an unbiased estimate of the bound, in bits/dim
        NDArray terms = Scalars.mul(termNats(x0, xt, eps, pred, t), steps);
        NDArray total = terms.add(m.create(priorNats(batch.toFloatArray(), b)));
        return Scalars.div(total, dims() * Math.log(2)).mean();
    }

    /** KL(q(x_T | x_0) || N(0, I)) in nats per image of raw pixels (row-major, n images). */
    private float[] priorNats(float[] pixels, int n) {
        int d = dims();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += schedule.priorKl(pixels[i * d + j] / 127.5 - 1);
            }
            out[i] = (float) s;
        }
        return out;
    }

    /**
     * Each image's term of the bound in nats at its timestep: L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t))
     * for t &gt;= 2, the decoder's -log p(x_0 | x_1) for t = 1; x_t was made from x0 and eps, pred = eps_theta(x_t, t).
     */
    NDArray termNats(NDArray x0, NDArray xt, NDArray eps, NDArray pred, int[] t) {
        NDManager m = x0.getManager();
        int b = t.length;
        int d = dims();
        float[] scale = new float[b];
        float[] constant = new float[b];
        boolean anyDecoder = false;
        for (int i = 0; i < b; i++) {
            if (t[i] == 1) {
                anyDecoder = true;
                continue;
            }
            double beta = schedule.beta(t[i]);
            double sigma2 = schedule.reverseVariance(t[i]);
            double post = schedule.posteriorVariance(t[i]);
            // |mu~ - mu_theta|^2 = beta^2 / (alpha (1 - abar)) |eps - eps_theta|^2
            scale[i] = (float) (beta * beta / (2 * sigma2 * schedule.alpha(t[i]) * (1 - schedule.alphaBar(t[i]))));
            constant[i] = (float) (0.5 * d * (Math.log(sigma2 / post) + post / sigma2 - 1));
        }
        NDArray sq = pred.sub(eps).square().reshape(b, -1).sum(new int[] {1});
        NDArray kl = sq.mul(m.create(scale)).add(m.create(constant));
        if (!anyDecoder) {
            return kl;
        }
        boolean[] first = new boolean[b];
        for (int i = 0; i < b; i++) {
            first[i] = t[i] == 1;
        }
        double beta1 = schedule.beta(1);
        NDArray mean = Scalars.div(xt.sub(Scalars.mul(pred, beta1 / Math.sqrt(1 - schedule.alphaBar(1)))), Math.sqrt(schedule.alpha(1)));
        NDArray nll = decoderNll(x0, mean, Math.sqrt(schedule.reverseVariance(1)));
        return NDArrays.where(m.create(first), nll, kl);
    }

    /**
     * -log p(x0 | mean, sigma) in nats per image for Ho et al.'s discretized Gaussian: the mass of each pixel's bin of
     * width 2/255 (the outer bins reach to infinity) under N(mean, sigma^2), with their tanh approximation of the normal
     * CDF (a CDF itself, so the 256 masses sum to 1) and masses floored at 1e-12.
     */
    static NDArray decoderNll(NDArray x0, NDArray mean, double sigma) {
        NDArray centred = x0.sub(mean);
        NDArray cdfPlus = approxCdf(Scalars.div(centred.add(1f / 255), sigma));
        NDArray cdfMin = approxCdf(Scalars.div(centred.sub(1f / 255), sigma));
        NDArray logCdfPlus = Scalars.maximum(cdfPlus, 1e-12).log();
        NDArray logOneMinusCdfMin = Scalars.maximum(cdfMin.neg().add(1f), 1e-12).log();
        NDArray logDelta = Scalars.maximum(cdfPlus.sub(cdfMin), 1e-12).log();
        NDArray lp = NDArrays.where(x0.lt(-0.999f), logCdfPlus, NDArrays.where(x0.gt(0.999f), logOneMinusCdfMin, logDelta));
        return lp.reshape(x0.getShape().get(0), -1).sum(new int[] {1}).neg();
    }

    /** 0.5 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the approximation of the standard normal CDF Ho et al. use. */
    static NDArray approxCdf(NDArray x) {
        NDArray inner = Scalars.mul(x.add(Scalars.mul(x.mul(x).mul(x), 0.044715)), Math.sqrt(2 / Math.PI));
        return Scalars.mul(inner.tanh().add(1f), 0.5);
    }

    /** Images per network pass of a given number of rows' work. */
    int passImages() {
        return Math.max(1, PASS_PIXELS / (shape[1] * shape[2]));
    }

    @Override
    public double[] logProb(ImageSet images) {
        double[] bound = boundNats(images, boundSteps);
        for (int i = 0; i < bound.length; i++) {
            bound[i] = -bound[i];
        }
        return bound;
    }

    /**
     * The variational bound -log P(x) &lt;= L in nats per image, estimated with k timesteps per image (one per stratum,
     * weighted by its size) from the image's content seed.
     */
    double[] boundNats(ImageSet images, int k) {
        Shapes.check(this, images);
        int[] strata = schedule.strata(k);
        int d = dims();
        int n = images.size();
        double[] out = new double[n];
        float[] prior = priorNats(pixelValues(images), n);
        long[] seeds = Dequantize.contentSeeds(images, BOUND_SALT);
        int rowsPerPass = passImages();
        byte[] img = new byte[d];
        try (Progress pb = Progress.bar("ddpm bound, " + k + " timesteps", (long) n * k)) {
            // rows: (image, stratum) pairs in order; a pass takes rowsPerPass of them
            int total = n * k;
            for (int from = 0; from < total; from += rowsPerPass) {
                int rows = Math.min(rowsPerPass, total - from);
                float[] x = new float[rows * d];
                float[] e = new float[rows * d];
                int[] t = new int[rows];
                float[] weight = new float[rows];
                Draws draws = null;
                for (int j = 0; j < rows; j++) {
                    int row = from + j;
                    int i = row / k;
                    int s = row % k;
                    if (draws == null || s == 0) {
                        draws = new Draws(seeds[i], strata, d);
                        draws.skip(s); // a pass that starts inside an image's strata
                    }
                    t[j] = draws.next(e, j * d);
                    weight[j] = strata[s + 1] - strata[s];
                    images.copyImage(i, img, 0);
                    for (int q = 0; q < d; q++) {
                        x[j * d + q] = (img[q] & 0xff) / 127.5f - 1;
                    }
                }
                float[] terms;
                try (NDManager sub = Scopes.open(net.manager, net.parameters)) {
                    Shape bs = new Shape(rows, shape[0], shape[1], shape[2]);
                    NDArray x0 = sub.create(x, bs);
                    NDArray eps = sub.create(e, bs);
                    NDArray xt = noised(x0, eps, t);
                    terms = termNats(x0, xt, eps, epsilon(xt, t), t).toFloatArray();
                }
                for (int j = 0; j < rows; j++) {
                    out[(from + j) / k] += (double) weight[j] * terms[j];
                }
                pb.stepBy(rows);
            }
        }
        for (int i = 0; i < n; i++) {
            out[i] += prior[i];
        }
        return out;
    }

    /**
     * An image's draws for the bound: for each stratum in turn, a timestep uniform in it and the noise (d values), from a
     * generator seeded by the image's content.
     */
    static final class Draws {
        private final SplittableRandom r;
        private final int[] strata;
        private final int d;
        private int s;

        Draws(long seed, int[] strata, int d) {
            this.r = new SplittableRandom(seed);
            this.strata = strata;
            this.d = d;
        }

        /** The next stratum's timestep; its noise goes to e from offset. */
        int next(float[] e, int offset) {
            int width = strata[s + 1] - strata[s];
            int t = strata[s] + Math.min(width - 1, (int) (r.nextDouble() * width));
            for (int q = 0; q < d; q++) {
                e[offset + q] = (float) r.nextGaussian();
            }
            s++;
            return t;
        }

        void skip(int n) {
            float[] scratch = new float[d];
            for (int i = 0; i < n; i++) {
                next(scratch, 0);
            }
        }
    }

    /** Image i's draws for a bound of k timesteps (as {@link #boundNats} takes them). */
    Draws boundDraws(ImageSet images, int i, int k) {
        return new Draws(Dequantize.contentSeeds(images.subset(i, i + 1), BOUND_SALT)[0], schedule.strata(k), dims());
    }

    /**
     * DDIM with eta = 0 along timesteps path (path[0] first): each step predicts x_0 from x at the step's noisier end and
     * moves to the next timestep. Decoding runs from large to small timesteps with the network at the current one;
     * inverting (encoding) runs from small to large with the network at the next one. Each step frees its intermediates;
     * x is consumed and the result returned in x's manager.
     */
    NDArray ddim(NDArray x, int[] path, boolean invert, boolean clip) {
        NDManager home = x.getManager();
        for (int i = 0; i + 1 < path.length; i++) {
            int from = path[i];
            int to = path[i + 1];
            NDManager step = home.newSubManager();
            x.attach(step);
            int[] t = new int[(int) x.getShape().get(0)];
            Arrays.fill(t, invert ? to : from);
            NDArray eps = epsilon(x, t);
            double abFrom = schedule.alphaBar(from);
            double abTo = schedule.alphaBar(to);
            NDArray x0 = Scalars.div(x.sub(Scalars.mul(eps, Math.sqrt(1 - abFrom))), Math.sqrt(abFrom));
            if (clip) {
                x0 = x0.clip(-1, 1);
            }
            NDArray next = Scalars.mul(x0, Math.sqrt(abTo)).add(Scalars.mul(eps, Math.sqrt(1 - abTo)));
            next.attach(home);
            step.close();
            x = next;
        }
        return x;
    }

    /** The decoding path: T = tau_S, ..., tau_1, 0. */
    private int[] samplingPath() {
        int[] tau = schedule.ddimSteps(sampleSteps);
        int[] p = new int[tau.length + 1];
        for (int i = 0; i < tau.length; i++) {
            p[i] = tau[tau.length - 1 - i];
        }
        return p;
    }

    @Override
    public int latentDims() {
        return dims();
    }

    /** Standard-normal x_T, image i's from its own seed (seed + i). */
    @Override
    public float[] latents(int n, long seed) {
        int d = dims();
        float[] z = new float[n * d];
        for (int i = 0; i < n; i++) {
            SplittableRandom r = new SplittableRandom(seed + i);
            for (int q = 0; q < d; q++) {
                z[i * d + q] = (float) r.nextGaussian();
            }
        }
        return z;
    }

    /** The images DDIM decodes from x_T (predicted x_0 clipped to [-1, 1] at each step), rounded to 8 bits. */
    @Override
    public ImageSet decode(float[] latents) {
        float[] x = ddimDecode(latents, true);
        byte[] px = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            px[i] = toPixel(x[i]);
        }
        return ImageSet.of("ddpm samples", shape[0], shape[1], shape[2], px, null);
    }

    /**
     * DDIM from latent vectors x_T to images on the [-1, 1] scale, row-major; with clip, the predicted x_0 is clipped to
     * [-1, 1] at each step (what sampling does), without it the steps are the exact inverse of {@link #encode}'s.
     */
    float[] ddimDecode(float[] latents, boolean clip) {
        int n = LatentModel.count(this, latents);
        return run(latents, n, samplingPath(), false, clip, "ddim sampling, " + sampleSteps + " steps");
    }

    /**
     * The latent vectors x_T of images by running DDIM's steps backwards (Song et al. 2021): DDIM's steps without
     * clipping map them back to x up to the discretisation error of the steps (sampling clips, which an untrained model's
     * wild predictions of x_0 at large t do not survive). The cosine schedule's last step, which keeps 1/1000 of the signal,
     * multiplies that error by about 30.
     */
    public float[] encode(ImageSet images) {
        Shapes.check(this, images);
        float[] x = pixelValues(images);
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] / 127.5f - 1;
        }
        int[] down = samplingPath();
        int[] upPath = new int[down.length];
        for (int i = 0; i < down.length; i++) {
            upPath[i] = down[down.length - 1 - i];
        }
        return run(x, images.size(), upPath, true, false, "ddim encoding, " + sampleSteps + " steps");
    }

    /** DDIM along path on n images given row-major on the [-1, 1] scale, in passes; the results, row-major. */
    private float[] run(float[] x, int n, int[] path, boolean invert, boolean clip, String what) {
        int d = dims();
        float[] out = new float[n * d];
        int per = passImages();
        try (Progress pb = Progress.bar(what, n)) {
            for (int from = 0; from < n; from += per) {
                int b = Math.min(per, n - from);
                try (NDManager sub = Scopes.open(net.manager, net.parameters)) {
                    NDArray xb = sub.create(Arrays.copyOfRange(x, from * d, (from + b) * d), new Shape(b, shape[0], shape[1], shape[2]));
                    System.arraycopy(ddim(xb, path, invert, clip).toFloatArray(), 0, out, from * d, b * d);
                }
                pb.stepBy(b);
            }
        }
        return out;
    }

    /** {@link #decode} of {@link #latents}. */
    @Override
    public ImageSet sample(int n, long seed) {
        return decode(latents(n, seed));
    }

    /**
     * Per image and noise level t (the score-levels timesteps, log-spaced up to T/2), the root mean square of
     * eps_theta(sqrt(abar_t) x_0, t): the norm of the estimated score at the clean image, up to a factor per level
     * (Mahmood et al. 2021). One row per level; remembered for the last set.
     */
    public double[][] noiseNorms(ImageSet images) {
        return statistics.noiseNorms(images);
    }

    /**
     * Per image, for each reconstruction level t: the input noised to x_t (noise from its content), denoised back by
     * DDIM in reconstruction-steps steps; the mean squared error to the input and 1 - SSIM, on the [0, 1] scale
     * (Graham et al. 2023). Rows: MSE and DSSIM of the first level, then of the next; remembered for the last set.
     */
    public double[][] reconstructionDistances(ImageSet images) {
        return statistics.reconstructionDistances(images, null);
    }

    /**
     * {@link #reconstructionDistances(ImageSet)} and, after its rows, one per level: the Euclidean distance in features
     * between the input and its reconstruction rounded to 8 bits (Graham et al.'s feature distance).
     */
    public double[][] reconstructionDistances(ImageSet images, FeatureMap features) {
        return statistics.reconstructionDistances(images, features);
    }

    /** diffusion-reconstruction adds a feature distance per level when the options give a feature space. */
    @Override
    public boolean usesFeatures(String score) {
        return score.equals(DiffusionKind.RECONSTRUCTION);
    }

    /** The noise norms at each score level, named noise-norm-tT: cheap enough (one pass per level) for the combined score. */
    @Override
    public List<String> statistics() {
        return statistics.normNames();
    }

    /** The reconstruction distances, whose DDIM passes cost reconstruction-steps passes per level and image. */
    @Override
    public List<String> costlyStatistics() {
        return statistics.distanceNames();
    }

    /** The statistics by name: each noise norm and each reconstruction distance. */
    @Override
    public ScoreFunction ownScore(String name, ScoreOptions options) {
        List<String> norms = statistics();
        if (norms.contains(name)) {
            int row = norms.indexOf(name);
            return x -> noiseNorms(x)[row].clone();
        }
        List<String> distances = distanceNames(options);
        if (distances.contains(name)) {
            int row = distances.indexOf(name);
            return x -> reconstructionDistances(x, options.features())[row].clone();
        }
        return null;
    }

    /**
     * {@code multiscale-score}: the density of the noise norms (Mahmood et al. 2021); {@code diffusion-reconstruction}:
     * the standardised mean of the reconstruction distances (Graham et al. 2023).
     */
    @Override
    public DerivedScore derivedScore(String name, ScoreOptions options) {
        return switch (name) {
            case DiffusionKind.MULTISCALE -> new DerivedScore(name, statistics(), Combination.DENSITY);
            case DiffusionKind.RECONSTRUCTION -> new DerivedScore(name, distanceNames(options), Combination.STANDARDISED_MEAN);
            default -> null;
        };
    }

    /** The reconstruction distances' names in row order: MSE and DSSIM per level, then the feature distances if any. */
    private List<String> distanceNames(ScoreOptions options) {
        List<String> names = new java.util.ArrayList<>(statistics.distanceNames());
        if (options.features() != null) {
            names.addAll(statistics.featureNames());
        }
        return names;
    }

    @Override
    public String kind() {
        return "ddpm";
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeParameters(dir, net.parameters);
        ModelFiles.writeMeta(dir, kind(), shape, params);
    }

    void restore(Path dir) throws IOException {
        ModelFiles.readParameters(dir, net.parameters);
    }
}
