package densitylab.model.vae;

import densitylab.model.ScoreOptions;
import densitylab.nn.LogMath;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import densitylab.data.ImageSet;
import densitylab.train.TrainSettings;
import densitylab.nn.Noise;
import densitylab.nn.Scopes;
import densitylab.train.Trainer;
import densitylab.nn.Units;
import densitylab.model.classic.Ppca;
import densitylab.model.registry.ModelKinds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class VaeTest {
    @TempDir
    Path tmp;

    static ImageSet toy(int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 64];
        for (int i = 0; i < n; i++) {
            int level = 40 + r.nextInt(3) * 70;
            for (int k = 0; k < 64; k++) {
                px[i * 64 + k] = (byte) Math.min(255, (k / 8 + k % 8 < 7 ? level : 255 - level) + r.nextInt(20));
            }
        }
        return ImageSet.of("toy", 1, 8, 8, px, null);
    }

    @Test
    void everyDecoderIsADistributionOverThe256Values() {
        try (NDManager m = NDManager.newBaseManager()) {
            Random r = new Random(1);
            for (PixelDecoder dec : List.of(new Categorical256(), new DiscretizedLogistic(1), new DiscretizedLogistic(4), new Bernoulli())) {
                for (int trial = 0; trial < 3; trial++) {
                    int oc = dec.outputChannels(1);
                    float[] p = new float[oc];
                    for (int i = 0; i < oc; i++) {
                        p[i] = (float) (r.nextGaussian() * (dec instanceof DiscretizedLogistic ? 1.5 : 2));
                    }
                    NDArray params = m.create(p, new Shape(1, oc, 1, 1)).broadcast(256, oc, 1, 1);
                    float[] xs = new float[256];
                    for (int v = 0; v < 256; v++) {
                        xs[v] = v;
                    }
                    float[] ll = dec.logLikelihood(params, m.create(xs, new Shape(256, 1, 1, 1))).toFloatArray();
                    double total = 0;
                    if (dec instanceof Bernoulli) {
                        total = Math.exp(ll[0]) + Math.exp(ll[255]); // two outcomes: off (0..127) and on (128..255)
                    } else {
                        for (float l : ll) {
                            total += Math.exp(l);
                        }
                    }
                    assertThat(total).as(dec.name() + " " + oc).isCloseTo(1.0, within(1e-4));
                }
            }
        }
    }

    @Test
    void iwaeInChunksEqualsTheUnchunkedEstimate() {
        // a categorical decoder on 28x28 holds 256 x 784 floats a decode, so a chunk holds 20 decodes: K = 50 on 3 images
        // runs in chunks of 6 samples, and the concatenated weights must give the one-pass estimate
        ConvVae v = VaeKind.build(new int[] {1, 28, 28}, Map.of("latent", "4", "width", "4", "decoder", "categorical"), 3);
        assertThat(v.decodesPerChunk()).isEqualTo(20);
        byte[] px = new byte[3 * 784];
        new Random(4).nextBytes(px);
        ImageSet x = ImageSet.of("x", 1, 28, 28, px, null);
        try (NDManager sub = Scopes.open(v.manager(), v.parameters())) {
            NDArray in = x.toNDArray(sub);
            NDArray eps = v.scoringNoise(sub, x, 50);
            float[] chunked = v.iwae(in, eps).toFloatArray();
            float[] whole = LogMath.logSumExp(v.samples(in, eps, false).logWeights(), 1).sub((float) Math.log(50)).toFloatArray();
            for (int i = 0; i < 3; i++) {
                assertThat((double) chunked[i]).isCloseTo(whole[i], within(1e-3));
            }
        }
        // each image draws its own noise from its pixels, whatever set, batch or position it is in
        try (NDManager m = NDManager.newBaseManager()) {
            assertThat(v.scoringNoise(m, x, 2).get(2).toFloatArray()).isEqualTo(v.scoringNoise(m, x.subset(2, 3), 2).get(0).toFloatArray());
            assertThat(v.scoringNoise(m, x, 2).get(1).toFloatArray()).isNotEqualTo(v.scoringNoise(m, x, 2).get(2).toFloatArray());
            ImageSet twice = ImageSet.concat("twice", java.util.List.of(x.subset(1, 2), x.subset(1, 2)));
            assertThat(v.scoringNoise(m, twice, 2).get(0).toFloatArray()).isEqualTo(v.scoringNoise(m, twice, 2).get(1).toFloatArray());
        }
    }

    private static ConvVae trainedToy(String objective) throws Exception {
        ConvVae v = VaeKind.build(new int[] {1, 8, 8}, Map.of("latent", "4", "width", "8", "decoder", "logistic",
                "objective", objective, "samples", "4"), 1);
        new Trainer(new TrainSettings(1, 15, 0, 32, 3e-3, 0, 10, null, 3600, false, Map.of())).train(v, toy(256, 2), null);
        return v;
    }

    @Test
    void iwaeIsAtLeastTheElboAndGrowsWithK() throws Exception {
        ConvVae v = trainedToy("elbo");
        ImageSet x = toy(64, 3);
        double elbo = Units.mean(v.elbo(x));
        double k1 = Units.mean(v.iwae(x, 1));
        double k10 = Units.mean(v.iwae(x, 10));
        double k100 = Units.mean(v.iwae(x, 100));
        assertThat(k100).isGreaterThanOrEqualTo(k10).isGreaterThan(elbo);
        assertThat(k10).isGreaterThanOrEqualTo(k1);
        assertThat(v.logProb(x)).isEqualTo(v.iwae(x, 100));
    }

    @Test
    void bothObjectivesLowerBitsPerDim() throws Exception {
        ImageSet x = toy(128, 4);
        for (String objective : new String[] {"elbo", "forward-kl"}) {
            ConvVae untrained = VaeKind.build(new int[] {1, 8, 8}, Map.of("latent", "4", "width", "8", "decoder", "logistic",
                    "objective", objective), 1);
            double before = Units.mean(Units.bitsPerDim(untrained.iwae(x, 10), 64));
            double after = Units.mean(Units.bitsPerDim(trainedToy(objective).iwae(x, 10), 64));
            assertThat(after).as(objective).isLessThan(before - 0.5);
        }
    }

    @Test
    void iwaeConvergesToTheAnalyticMarginalOfALinearGaussianModel() {
        // PPCA is a linear-Gaussian latent-variable model: p(z) = N(0, I), p(y|z) = N(W z + mu, s2 I), log p(y) analytic.
        Random r = new Random(5);
        byte[] px = new byte[300 * 6];
        for (int i = 0; i < 300; i++) {
            double a = r.nextGaussian();
            double b = r.nextGaussian();
            for (int k = 0; k < 6; k++) {
                px[i * 6 + k] = (byte) Math.max(0, Math.min(255, Math.round(128 + 40 * a * Math.sin(k) + 30 * b * Math.cos(2 * k) + 5 * r.nextGaussian())));
            }
        }
        ImageSet data = ImageSet.of("lin", 1, 2, 3, px, null);
        Ppca ppca = Ppca.fit(data, 2, 1);
        int d = 6;
        int q = ppca.latentDims();
        double[] w = ppca.loadings();
        double[] mu = ppca.mean();
        double s2 = ppca.noiseVariance();
        float[] y = {0.55f, 0.4f, 0.6f, 0.45f, 0.5f, 0.62f};
        double exact = ppca.logDensity(y);
        double prevErr = Double.POSITIVE_INFINITY;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int k : new int[] {1, 30, 3000, 100000}) {
                // proposal: a deliberately imperfect q(z) = N(0.1, 1.3^2 I); weights log p(y|z) + log p(z) - log q(z)
                float[] zs = new float[k * q];
                Random g = new Random(7);
                for (int i = 0; i < zs.length; i++) {
                    zs[i] = (float) (0.1 + 1.3 * g.nextGaussian());
                }
                NDArray z = m.create(zs, new Shape(1, k, q));
                double[] lw = new double[k];
                for (int i = 0; i < k; i++) {
                    double ll = -0.5 * d * Math.log(2 * Math.PI * s2);
                    for (int a = 0; a < d; a++) {
                        double mean = mu[a];
                        for (int j = 0; j < q; j++) {
                            mean += w[a * q + j] * zs[i * q + j];
                        }
                        ll -= (y[a] - mean) * (y[a] - mean) / (2 * s2);
                    }
                    lw[i] = ll;
                }
                NDArray logLik = m.create(lw).reshape(1, k).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                NDArray logPrior = ConvVae.logStdNormal(z);
                NDArray logQ = ConvVae.logNormal(z, m.full(new Shape(1, 1, q), 0.1f), m.full(new Shape(1, 1, q), (float) Math.log(1.69)));
                double est = LogMath.logSumExp(logLik.add(logPrior).sub(logQ), 1).sub((float) Math.log(k)).getFloat();
                double err = Math.abs(est - exact);
                if (k >= 3000) {
                    assertThat(err).as("K=%d", k).isLessThan(Math.max(0.05, prevErr));
                }
                prevErr = Math.min(prevErr, err);
            }
        }
        assertThat(prevErr).isLessThan(0.05);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(LikelihoodRegret.Variant.class)
    void likelihoodRegretIsNonNegativeAndZeroWithoutSteps(LikelihoodRegret.Variant variant) throws Exception {
        ConvVae v = trainedToy("elbo");
        ImageSet x = toy(variant == LikelihoodRegret.Variant.ENCODER ? 6 : 20, 6);
        double[] elboBefore = v.elbo(x);
        List<float[]> paramsBefore = v.parameters().stream().map(NDArray::toFloatArray).toList();
        for (double r : new LikelihoodRegret(v, 0, 1e-2, variant).regret(x)) {
            assertThat(r).isZero();
        }
        assertThat(new LikelihoodRegret(v, 0, 1e-2, variant, 8).regret(x)).as("K-sample comparison").containsOnly(0.0);
        double[] regret = new LikelihoodRegret(v, 10, variant == LikelihoodRegret.Variant.ENCODER ? 1e-3 : 5e-2, variant).regret(x);
        for (double r : regret) {
            assertThat(r).isGreaterThanOrEqualTo(0.0);
        }
        assertThat(Units.mean(regret)).isGreaterThan(0);
        // the model is left as it was: the same parameters, the same ELBO after scoring, and it still trains
        for (int i = 0; i < paramsBefore.size(); i++) {
            assertThat(v.parameters().get(i).toFloatArray()).as("parameter %d", i).containsExactly(paramsBefore.get(i));
        }
        assertThat(v.elbo(x)).isEqualTo(elboBefore);
        assertTrainable(v, x);
    }

    @Test
    void eachRegretVariantTakesItsOwnStepsAndLearningRate() throws Exception {
        ConvVae v = trainedToy("elbo");
        ImageSet x = toy(4, 7);
        // posterior variant 0 steps, encoder variant 10: only the encoder variant moves
        densitylab.model.ScoreOptions o = new densitylab.model.ScoreOptions(10, 0, 1e-2, 10, 1e-3);
        assertThat(densitylab.score.Scores.create("likelihood-regret", v, o).score(x)).containsOnly(0.0);
        assertThat(Units.mean(densitylab.score.Scores.create("likelihood-regret-encoder", v, o).score(x))).isGreaterThan(0);
        densitylab.model.ScoreOptions none = new densitylab.model.ScoreOptions(10, 10, 5e-2, 0, 1e-3);
        assertThat(densitylab.score.Scores.create("likelihood-regret-encoder", v, none).score(x)).containsOnly(0.0);
        assertThat(densitylab.model.ScoreOptions.defaults().encoderSteps()).isEqualTo(10);
    }

    @Test
    void theCombinedScoresStatisticsAreTheVaesOwnValuesAndTheFullOneAddsRegret() throws Exception {
        ConvVae v = trainedToy("elbo");
        ImageSet x = toy(24, 9);
        densitylab.score.CombinedScore fast = (densitylab.score.CombinedScore) densitylab.score.Scores.create("combined", v);
        densitylab.score.CombinedScore full = (densitylab.score.CombinedScore) densitylab.score.Scores.create("combined-full", v);
        assertThat(fast.statisticNames()).containsExactly("complexity-png-best", "rate", "distortion", "reconstruction",
                "latent-1", "latent-2", "latent-3", "latent-4");
        assertThat(full.statisticNames()).containsExactlyElementsOf(
                java.util.stream.Stream.concat(fast.statisticNames().stream(), java.util.stream.Stream.of("likelihood-regret-encoder")).toList());
        double[][] m = full.matrix(x);
        // latent-J is coordinate J of the encoder's posterior mean; the other columns are the VAE's scores of those names
        try (NDManager nd = NDManager.newBaseManager()) {
            float[] mu = v.encode(x.toNDArray(nd), v.encoderParameters()).get(0).toFloatArray();
            for (int i = 0; i < x.size(); i++) {
                for (int j = 0; j < 4; j++) {
                    assertThat(m[i][4 + j]).isCloseTo(mu[i * 4 + j], within(1e-5));
                }
            }
        }
        double[] regret = densitylab.score.Scores.create("likelihood-regret-encoder", v).score(x);
        double[] rate = v.rate(x);
        double[] reconstruction = v.reconstructionError(x);
        for (int i = 0; i < x.size(); i++) {
            assertThat(m[i][8]).isEqualTo(regret[i]);
            assertThat(m[i][1]).isEqualTo(rate[i]);
            assertThat(m[i][3]).isCloseTo(reconstruction[i], within(1e-6));
        }
        // and an image's statistics do not depend on the set it is scored in
        double[][] part = fast.matrix(x.subset(5, 9));
        double[][] whole = fast.matrix(x);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < part[i].length; j++) {
                assertThat(part[i][j]).isCloseTo(whole[5 + i][j], within(1e-5 * (1 + Math.abs(whole[5 + i][j]))));
            }
        }
    }

    /**
     * On a linear-Gaussian VAE whose encoder outputs the exact posterior, and whose linear encoder can move its output
     * anywhere for one input (through its biases), optimising the posterior directly and optimising the encoder's
     * weights reach the same optimum of the same objective: the two regrets agree.
     */
    @Test
    void bothRegretVariantsAgreeWhenTheEncoderCanReachTheOptimum() {
        try (LinearGaussianVae lg = new LinearGaussianVae()) {
            byte[] px = new byte[6 * 6];
            Random r = new Random(10);
            for (int i = 0; i < px.length; i++) {
                px[i] = (byte) (100 + r.nextInt(60));
            }
            ImageSet x = ImageSet.of("lin", 1, 2, 3, px, null);
            double[] posterior = new LikelihoodRegret(lg, 400, 2e-2, LikelihoodRegret.Variant.POSTERIOR).regret(x);
            double[] encoder = new LikelihoodRegret(lg, 400, 2e-2, LikelihoodRegret.Variant.ENCODER).regret(x);
            for (int i = 0; i < 6; i++) {
                assertThat(posterior[i]).as("image %d: fixed noise leaves something to gain", i).isGreaterThan(1e-4);
                assertThat(encoder[i]).as("image %d", i).isCloseTo(posterior[i], within(0.02 * posterior[i] + 1e-4));
            }
        }
    }

    /**
     * With the exact posterior as proposal every importance weight equals p(x), so the K-sample bound is log p(x) for
     * any noise, and under any other proposal its expectation is lower. Optimising the one-sample ELBO on one fixed draw
     * does gain, by fitting that draw: on this model, whose encoder is exact, all of the one-sample regret is that
     * fit, and the K-sample comparison of the same steps credits almost none of it. With the encoder's mean shifted
     * off the posterior there is something real to gain: the K-sample regret is then clearly positive.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(LikelihoodRegret.Variant.class)
    void importanceWeightedRegretCreditsNoFitToTheNoiseOnlyRealGains(LikelihoodRegret.Variant variant) {
        int n = variant == LikelihoodRegret.Variant.ENCODER ? 24 : 96;
        byte[] px = new byte[n * 6];
        Random r = new Random(11);
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (100 + r.nextInt(60));
        }
        ImageSet x = ImageSet.of("lin", 1, 2, 3, px, null);
        try (LinearGaussianVae exact = new LinearGaussianVae(); LinearGaussianVae shifted = new LinearGaussianVae(1.0)) {
            double[] oneSample = new LikelihoodRegret(exact, 100, 2e-2, variant).regret(x);
            double[] weighted = new LikelihoodRegret(exact, 100, 2e-2, variant, 256).regret(x);
            for (int i = 0; i < n; i++) {
                assertThat(oneSample[i]).as("image %d: one-sample regret", i).isGreaterThan(1e-4);
            }
            assertThat(java.util.Arrays.stream(weighted).filter(w -> w != 0).count()).as("the steps moved the posterior").isEqualTo(n);
            double fit = Units.mean(oneSample);
            assertThat(Math.abs(Units.mean(weighted))).as("mean 256-sample regret against the one-sample's %s", fit).isLessThan(0.05 * fit);
            double real = Units.mean(new LikelihoodRegret(shifted, 100, 2e-2, variant, 256).regret(x));
            assertThat(real).as("256-sample regret of an encoder 5 posterior deviations off").isGreaterThan(fit);
        }
    }

    @Test
    void likelihoodRegretLeavesTheModelTrainableWhenItFails() throws Exception {
        ConvVae v = trainedToy("elbo");
        ImageSet wrongSize = ImageSet.of("big", 1, 16, 16, new byte[2 * 256], null);
        assertThatThrownBy(() -> new LikelihoodRegret(v, 3, 1e-2).regret(wrongSize)).isInstanceOf(RuntimeException.class);
        assertTrainable(v, toy(8, 7));
    }

    @Test
    void likelihoodRegretLeavesTheParametersGradientsAlone() throws Exception {
        ConvVae v = trainedToy("elbo");
        double[] before = gradientSums(v, toy(8, 7));
        assertThat(java.util.Arrays.stream(before).filter(g -> g > 0).count()).isPositive(); // zeroing would show
        new LikelihoodRegret(v, 3, 1e-2).regret(toy(10, 8));
        assertThat(gradientAbsSums(v)).containsExactly(before);
    }

    /** Backward through the loss reaches most parameters: none was left without requires_grad. */
    private static void assertTrainable(ConvVae v, ImageSet x) {
        double[] sums = gradientSums(v, x);
        // a ReLU may leave a bias without gradient on a tiny batch, but not most of the network
        assertThat(java.util.Arrays.stream(sums).filter(g -> g > 0).count()).isGreaterThan(sums.length * 3L / 4);
    }

    /** Zeroes the gradients, backpropagates the loss of x and returns each parameter's summed |gradient|. */
    private static double[] gradientSums(ConvVae v, ImageSet x) {
        try (NDManager sub = Scopes.open(v.manager(), v.parameters())) {
            for (NDArray p : v.parameters()) {
                NDArray g = p.getGradient();
                g.subi(g);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(v.loss(x.toNDArray(sub), new Noise(5)));
            }
        }
        return gradientAbsSums(v);
    }

    private static double[] gradientAbsSums(ConvVae v) {
        try (NDManager sub = Scopes.open(v.manager(), v.parameters())) {
            return v.parameters().stream().mapToDouble(p -> p.getGradient().abs().sum().getFloat()).toArray();
        }
    }

    @Test
    void savedVaeReproducesScores() throws Exception {
        ConvVae v = trainedToy("forward-kl");
        v.save(tmp.resolve("v"));
        ConvVae back = (ConvVae) ModelKinds.load(tmp.resolve("v"));
        ImageSet x = toy(10, 8);
        assertThat(back.iwae(x, 5)).isEqualTo(v.iwae(x, 5));
        assertThat(back.reconstructionError(x)).isEqualTo(v.reconstructionError(x));
        assertThat(back.sample(3, 1).sameContent(v.sample(3, 1))).isTrue();
    }
}
