package densitylab.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;
import densitylab.model.registry.ModelKinds;
import densitylab.nn.Noise;
import densitylab.nn.Scopes;
import densitylab.nn.Units;
import densitylab.score.FittedScore;
import densitylab.score.OodScore;
import densitylab.score.Scores;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static densitylab.data.TestImages.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DdpmTest {
    @TempDir
    Path tmp;

    /** A tiny DDPM whose parameters are all random (an untrained network predicts zero noise: too easy a case). */
    private static Ddpm perturbed(int[] shape, Map<String, String> extra, double std, long seed) {
        Map<String, String> p = new HashMap<>(Map.of("preset", "tiny", "timesteps", "10", "bound-steps", "10", "sample-steps", "10",
                "score-levels", "3", "reconstruction-steps", "2"));
        p.putAll(extra);
        Ddpm m = DiffusionKind.build(shape, p, seed);
        Random r = new Random(seed + 1);
        for (NDArray a : m.parameters()) {
            float[] v = a.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (std * r.nextGaussian());
            }
            a.set(v);
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cosine", "linear"})
    void theClosedFormOfTheForwardProcessIsTheOneStepKernelIterated(String name) {
        NoiseSchedule s = NoiseSchedule.of(name, 200);
        // q(x_t | x_0) by iterating q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t): mean factor and variance
        double mean = 1;
        double var = 0;
        for (int t = 1; t <= 200; t++) {
            mean *= Math.sqrt(1 - s.beta(t));
            var = (1 - s.beta(t)) * var + s.beta(t);
            assertThat(mean * mean).as("t=%d", t).isCloseTo(s.alphaBar(t), within(1e-12));
            assertThat(var).as("t=%d", t).isCloseTo(1 - s.alphaBar(t), within(1e-12));
        }
        // and the model's sampler of x_t agrees with drawing the chain step by step (20,000 draws, 5 standard errors)
        Ddpm m = DiffusionKind.build(new int[] {1, 4, 4}, Map.of("preset", "tiny", "timesteps", "200", "schedule", name), 1);
        int n = 20_000;
        int t = 60;
        double x0 = 0.3;
        Random r = new Random(7);
        double[] chain = new double[n];
        for (int i = 0; i < n; i++) {
            double x = x0;
            for (int k = 1; k <= t; k++) {
                x = Math.sqrt(1 - s.beta(k)) * x + Math.sqrt(s.beta(k)) * r.nextGaussian();
            }
            chain[i] = x;
        }
        float[] direct;
        try (NDManager sub = m.manager().newSubManager()) {
            NDArray x = sub.full(new Shape(n, 1, 1, 1), (float) x0);
            int[] ts = new int[n];
            Arrays.fill(ts, t);
            direct = m.noised(x, new Noise(8).normal(sub, x.getShape()), ts).toFloatArray();
        }
        double[] a = moments(chain);
        double[] b = moments(direct);
        double sd = Math.sqrt(1 - s.alphaBar(t));
        assertThat(a[0]).isCloseTo(Math.sqrt(s.alphaBar(t)) * x0, within(5 * sd / Math.sqrt(n)));
        assertThat(b[0]).isCloseTo(Math.sqrt(s.alphaBar(t)) * x0, within(5 * sd / Math.sqrt(n)));
        assertThat(a[1]).isCloseTo(sd * sd, within(5 * sd * sd * Math.sqrt(2.0 / n)));
        assertThat(b[1]).isCloseTo(sd * sd, within(5 * sd * sd * Math.sqrt(2.0 / n)));
        m.close();
    }

    private static double[] moments(double[] v) {
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (v.length - 1);
        return new double[] {mean, var};
    }

    private static double[] moments(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return moments(d);
    }

    @Test
    void strataPartitionTheTimestepsWithTheSmallOnesAlone() {
        NoiseSchedule s = NoiseSchedule.of("cosine", 1000);
        for (int k : new int[] {1, 8, 16, 500, 1000}) {
            int[] b = s.strata(k);
            assertThat(b).hasSize(k + 1);
            assertThat(b[0]).isEqualTo(1);
            assertThat(b[k]).isEqualTo(1001);
            for (int i = 0; i < k; i++) {
                assertThat(b[i + 1]).isGreaterThan(b[i]);
            }
            if (k >= 8) {
                assertThat(b[1]).as("the decoder's term t = 1 is a stratum of its own").isEqualTo(2);
            }
        }
    }

    /** Ho et al.'s decoder is a distribution over the 256 values of a pixel, also when it is sharp or off the grid. */
    @Test
    void theDecoderMassesOfThe256ValuesSumToOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x = new float[256];
            for (int v = 0; v < 256; v++) {
                x[v] = v / 127.5f - 1;
            }
            NDArray x0 = m.create(x, new Shape(256, 1, 1, 1));
            for (double mu : new double[] {-1.2, -0.5, 0.0037, 0.9}) {
                for (double sigma : new double[] {0.002, 0.01, 0.3}) {
                    float[] nll = Ddpm.decoderNll(x0, m.full(x0.getShape(), (float) mu), sigma).toFloatArray();
                    double sum = 0;
                    for (float f : nll) {
                        sum += Math.exp(-f);
                    }
                    assertThat(sum).as("mu=%s sigma=%s", mu, sigma).isCloseTo(1.0, within(1e-4));
                }
            }
        }
    }

    /**
     * With as many timesteps as T, the bound is the exact sum of its terms: here recomputed by brute force from the
     * network's noise predictions, with the posterior from Bayes' rule, the Gaussian KL, the decoder's CDF and the prior
     * written out independently, for an untrained (randomised) network on tiny images.
     */
    @Test
    void theBoundIsTheSumOfItsTermsComputedByBruteForce() {
        int[] shape = {1, 4, 4};
        Ddpm m = perturbed(shape, Map.of(), 0.2, 3);
        ImageSet images = random(3, 1, 4, 4, 4);
        int steps = 10;
        NoiseSchedule s = m.schedule();
        double[] bound = m.boundNats(images, steps);
        int d = 16;
        for (int i = 0; i < images.size(); i++) {
            double[] x0 = new double[d];
            byte[] px = images.image(i);
            for (int q = 0; q < d; q++) {
                x0[q] = (px[q] & 0xff) / 127.5 - 1;
            }
            Ddpm.Draws draws = m.boundDraws(images, i, steps);
            double total = 0;
            for (int q = 0; q < d; q++) { // L_T
                double mT = Math.sqrt(s.alphaBar(steps)) * x0[q];
                double vT = 1 - s.alphaBar(steps);
                total += 0.5 * (vT + mT * mT - 1 - Math.log(vT));
            }
            for (int k = 0; k < steps; k++) {
                float[] eps = new float[d];
                int t = draws.next(eps, 0);
                assertThat(t).isEqualTo(k + 1);
                double ab = s.alphaBar(t);
                double[] xt = new double[d];
                float[] xtf = new float[d];
                for (int q = 0; q < d; q++) {
                    xt[q] = Math.sqrt(ab) * x0[q] + Math.sqrt(1 - ab) * eps[q];
                    xtf[q] = (float) xt[q];
                }
                float[] pred;
                try (NDManager sub = Scopes.open(m.manager(), m.parameters())) {
                    pred = m.epsilon(sub.create(xtf, new Shape(1, 1, 4, 4)), new int[] {t}).toFloatArray();
                }
                double beta = 1 - ab / s.alphaBar(t - 1);
                for (int q = 0; q < d; q++) {
                    double muTheta = (xt[q] - beta / Math.sqrt(1 - ab) * pred[q]) / Math.sqrt(1 - beta);
                    if (t == 1) { // the decoder: the mass of x0's bin under N(muTheta, posterior variance of t = 2)
                        double sigma = Math.sqrt((1 - s.alphaBar(1)) / (1 - s.alphaBar(2)) * (1 - s.alphaBar(2) / s.alphaBar(1)));
                        double hi = x0[q] > 0.999 ? 1 : tanhCdf((x0[q] + 1 / 255.0 - muTheta) / sigma);
                        double lo = x0[q] < -0.999 ? 0 : tanhCdf((x0[q] - 1 / 255.0 - muTheta) / sigma);
                        total -= Math.log(Math.max(hi - lo, 1e-12));
                    } else { // KL(q(x_{t-1} | x_t, x_0) || N(muTheta, beta_t)), q from Bayes' rule
                        double abPrev = s.alphaBar(t - 1);
                        double precision = 1 / (1 - abPrev) + (1 - beta) / beta;
                        double postVar = 1 / precision;
                        double postMean = postVar * (Math.sqrt(abPrev) * x0[q] / (1 - abPrev) + Math.sqrt(1 - beta) * xt[q] / beta);
                        total += 0.5 * (Math.log(beta / postVar) + (postVar + (postMean - muTheta) * (postMean - muTheta)) / beta - 1);
                    }
                }
            }
            assertThat(bound[i]).as("image %d", i).isCloseTo(total, within(1e-3 * Math.abs(total)));
        }
        m.close();
    }

    private static double tanhCdf(double x) {
        return 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** Training on the bound itself: its loss, averaged over draws of t and noise, is the bits/dim the model reports. */
    @Test
    void theBoundObjectivesLossIsTheReportedBitsPerDimOnAverage() {
        Ddpm m = perturbed(new int[] {1, 4, 4}, Map.of("objective", "vlb", "timesteps", "4", "bound-steps", "4", "sample-steps", "4"), 0.2, 5);
        ImageSet images = random(256, 1, 4, 4, 6);
        double bpd = Units.mean(m.bitsPerDim(images));
        int draws = 200;
        double[] losses = new double[draws];
        for (int k = 0; k < draws; k++) {
            try (NDManager sub = Scopes.open(m.manager(), m.parameters())) {
                losses[k] = m.loss(images.toNDArray(sub), new Noise(100 + k)).getFloat();
            }
        }
        double[] lm = moments(losses);
        double[] per = m.bitsPerDim(images);
        double se = Math.sqrt(lm[1] / draws + moments(per)[1] / per.length);
        assertThat(lm[0]).isCloseTo(bpd, within(4 * se));
        assertThat(se).as("the comparison is sharp enough to mean something").isLessThan(0.05 * bpd);
        m.close();
    }

    /**
     * DDIM with eta = 0 is a deterministic map from x_T, and encoding runs its steps backwards. Decoding undoes encoding
     * exactly when the predicted noise is the same at both ends of each step: here a network whose output is a constant
     * (its last convolution's weights are zero at the start and its bias is set), so every coefficient of both
     * directions is checked; with a network whose prediction changes across a step the error is that change times
     * 1/sqrt(abar_t) (DDIM inversion is exact only in the limit of small steps and a smooth score).
     */
    @Test
    void ddimIsDeterministicAndEncodingInvertsDecoding() {
        Ddpm random = perturbed(new int[] {1, 8, 8}, Map.of("timesteps", "100", "sample-steps", "20"), 0.05, 9);
        ImageSet a = random.sample(3, 11);
        assertThat(random.sample(3, 11).pixels()).containsExactly(a.pixels());
        assertThat(random.decode(random.latents(3, 11)).pixels()).containsExactly(a.pixels());
        assertThat(random.sample(3, 12).pixels()).isNotEqualTo(a.pixels());
        random.close();
        for (String schedule : new String[] {"linear", "cosine"}) {
            Ddpm m = DiffusionKind.build(new int[] {1, 8, 8}, Map.of("preset", "tiny", "timesteps", "100", "sample-steps", "25",
                    "schedule", schedule), 9);
            NDArray outBias = m.parameters().get(m.parameters().size() - 1);
            outBias.set(new float[] {0.7f});
            ImageSet images = random(4, 1, 8, 8, 12);
            float[] z = m.encode(images);
            float[] back = m.ddimDecode(z, false);
            byte[] px = images.pixels();
            double worst = 0;
            for (int i = 0; i < px.length; i++) {
                worst = Math.max(worst, Math.abs(((px[i] & 0xff) / 127.5 - 1) - back[i]));
            }
            assertThat(worst).as("%s: largest error on the [-1, 1] scale", schedule).isLessThan(1e-3);
            assertThat(z[0]).as("x_T is not the image").isNotCloseTo((px[0] & 0xff) / 127.5f - 1, within(0.05f));
            // and the public path, with sampling's clipping and rounding to 8 bits, gives the pixels back
            byte[] decoded = m.decode(z).pixels();
            for (int i = 0; i < px.length; i++) {
                assertThat(decoded[i] & 0xff).as("%s: pixel %d", schedule, i).isCloseTo(px[i] & 0xff, within(1));
            }
            m.close();
        }
    }

    /**
     * With a feature space, diffusion-reconstruction adds per level the Euclidean distance between the features of the
     * input and of its reconstruction rounded to 8 bits, and leaves the pixel distances as they were. The space here is
     * the pixels themselves on [0, 1], which records what it is shown: the distance is computed from exactly those
     * images, and it is at most the root of d times the MSE (clipping to [0, 1] only moves a reconstruction closer to
     * the input) plus half a grey level per pixel of rounding.
     */
    @Test
    void theReconstructionScoreAddsAFeatureDistancePerLevelWhenGivenAFeatureSpace() {
        Ddpm m = perturbed(new int[] {1, 4, 4}, Map.of(), 0.1, 21);
        ImageSet images = random(12, 1, 4, 4, 22);
        int d = 16;
        java.util.List<ImageSet> shown = new java.util.ArrayList<>();
        densitylab.model.FeatureMap pixels = new densitylab.model.FeatureMap() {
            @Override
            public String name() {
                return "pixels";
            }

            @Override
            public float[] features(ImageSet x) {
                shown.add(x);
                byte[] px = x.pixels();
                float[] f = new float[px.length];
                for (int i = 0; i < px.length; i++) {
                    f[i] = (px[i] & 0xff) / 255f;
                }
                return f;
            }

            @Override
            public int dims() {
                return d;
            }
        };
        double[][] plain = m.reconstructionDistances(images);
        double[][] with = m.reconstructionDistances(images, pixels);
        int levels = plain.length / 2;
        assertThat(with.length).isEqualTo(3 * levels);
        for (int row = 0; row < 2 * levels; row++) {
            assertThat(with[row]).as("pixel distance row %d", row).containsExactly(plain[row]);
        }
        assertThat(shown).hasSize(1 + levels); // the inputs once, the reconstructions of each level (one batch each)
        assertThat(shown.get(0).pixels()).isEqualTo(images.pixels());
        for (int lv = 0; lv < levels; lv++) {
            byte[] rec = shown.get(1 + lv).pixels();
            for (int i = 0; i < images.size(); i++) {
                double ss = 0;
                for (int q = 0; q < d; q++) {
                    double diff = (rec[i * d + q] & 0xff) / 255.0 - (images.pixels()[i * d + q] & 0xff) / 255.0;
                    ss += diff * diff;
                }
                double feature = with[2 * levels + lv][i];
                assertThat(feature).as("level %d image %d", lv, i).isCloseTo(Math.sqrt(ss), within(1e-5));
                assertThat(feature).isLessThanOrEqualTo(Math.sqrt(d * with[2 * lv][i]) + 0.5 / 255 * Math.sqrt(d) + 1e-5);
            }
        }
        densitylab.model.ScoreOptions o = densitylab.model.ScoreOptions.defaults();
        assertThat(((densitylab.score.StandardisedMean) Scores.create(DiffusionKind.RECONSTRUCTION, m, o)).statisticNames())
                .hasSize(2 * levels).noneMatch(n -> n.contains("feature"));
        assertThat(((densitylab.score.StandardisedMean) Scores.create(DiffusionKind.RECONSTRUCTION, m, o.withFeatures(pixels)))
                .statisticNames()).hasSize(3 * levels).filteredOn(n -> n.startsWith("reconstruction-feature-t")).hasSize(levels);
        m.close();
    }

    @Test
    void scoresDoNotDependOnTheBatchAndTheDerivedScoresFitAndRestore() {
        Ddpm m = perturbed(new int[] {1, 4, 4}, Map.of(), 0.1, 13);
        ImageSet images = random(40, 1, 4, 4, 14);
        ImageSet part = images.subset(7, 12);
        double[] all = m.logProb(images);
        double[] some = m.logProb(part);
        double[][] norms = m.noiseNorms(images);
        double[][] partNorms = m.noiseNorms(part);
        for (int i = 0; i < part.size(); i++) {
            // the same draws give the same terms up to float rounding: libtorch's convolutions pick their algorithm by
            // batch size (the network's outputs differ by ~1e-6 between batches of 400 and 50); other draws would move
            // the bound by percents
            assertThat(some[i]).isCloseTo(all[7 + i], within(1e-6 * Math.abs(all[7 + i])));
            for (int j = 0; j < norms.length; j++) {
                assertThat(partNorms[j][i]).isCloseTo(norms[j][7 + i], within(1e-5));
            }
        }
        for (String name : new String[] {DiffusionKind.MULTISCALE, DiffusionKind.RECONSTRUCTION}) {
            assertThat(Scores.learnsFromImages(name)).isTrue();
            FittedScore s = (FittedScore) Scores.create(name, m).fit(images);
            double[] v = s.score(part);
            FittedScore restored = (FittedScore) Scores.create(name, m);
            restored.restoreState(s.fittedState());
            double[] again = restored.score(part);
            for (int i = 0; i < v.length; i++) {
                assertThat(again[i]).isCloseTo(v[i], within(1e-9 * Math.max(1, Math.abs(v[i]))));
            }
        }
        // the reconstruction score is the mean of standardised distances: on the fit images it averages to 0
        OodScore rec = Scores.create(DiffusionKind.RECONSTRUCTION, m).fit(images);
        assertThat(Units.mean(rec.score(images))).isCloseTo(0, within(1e-9));
        m.close();
    }

    @Test
    void savedModelGivesTheSameBoundsAndSamples() throws Exception {
        Ddpm m = perturbed(new int[] {1, 4, 4}, Map.of(), 0.1, 15);
        ImageSet images = random(6, 1, 4, 4, 16);
        ModelKinds.save(m, tmp.resolve("m"));
        try (Ddpm loaded = (Ddpm) ModelKinds.load(tmp.resolve("m"))) {
            assertThat(loaded.logProb(images)).containsExactly(m.logProb(images));
            assertThat(loaded.sample(4, 3).pixels()).containsExactly(m.sample(4, 3).pixels());
        }
        m.close();
    }

    @Test
    void trainingLowersTheBoundAndResumesBitForBit() throws Exception {
        ImageSet data = random(48, 1, 4, 4, 17);
        byte[] px = data.pixels();
        for (int i = 0; i < px.length; i++) { // learnable structure: pixels near one of two levels
            px[i] = (byte) ((px[i] & 1) == 0 ? 60 + (px[i] & 7) : 190 + (px[i] & 7));
        }
        ImageSet images = ImageSet.of("two levels", 1, 4, 4, px, null);
        Map<String, String> p = Map.of("preset", "tiny", "timesteps", "50", "bound-steps", "50");
        Ddpm straight = DiffusionKind.build(new int[] {1, 4, 4}, p, 18);
        double before = Units.mean(straight.bitsPerDim(images));
        new Trainer(settings(6, tmp.resolve("a"), false)).train(straight, images, null);
        assertThat(Units.mean(straight.bitsPerDim(images))).isLessThan(before);
        Ddpm first = DiffusionKind.build(new int[] {1, 4, 4}, p, 18);
        new Trainer(settings(4, tmp.resolve("b"), false)).train(first, images, null);
        first.close();
        Ddpm resumed = DiffusionKind.build(new int[] {1, 4, 4}, p, 18);
        new Trainer(settings(6, tmp.resolve("b"), true)).train(resumed, images, null);
        for (int i = 0; i < straight.parameters().size(); i++) {
            assertThat(resumed.parameters().get(i).toFloatArray()).as("parameter %d", i)
                    .containsExactly(straight.parameters().get(i).toFloatArray());
        }
        straight.close();
        resumed.close();
    }

    private static TrainSettings settings(int epochs, Path ck, boolean resume) {
        return new TrainSettings(16, epochs, 0, 10, 3e-3, 0, 0, ck, 3600, resume, Map.of());
    }

    @Test
    void badParametersAreRefusedByName() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> DiffusionKind.build(new int[] {1, 28, 28},
                Map.of("levels", "1,2,2,2"), 1))).hasMessageContaining("divisible by 8");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> DiffusionKind.build(new int[] {1, 8, 8},
                Map.of("schedule", "sigmoid"), 1))).hasMessageContaining("known: linear, cosine");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> DiffusionKind.build(new int[] {1, 8, 8},
                Map.of("bound-steps", "0"), 1))).hasMessageContaining("between 1 and 1000");
    }
}
