package densitylab.model.gan;

import densitylab.data.ImageSet;
import densitylab.model.TrainedModel;
import densitylab.model.registry.ModelKinds;
import densitylab.nn.Noise;
import densitylab.nn.Scopes;
import densitylab.score.Scores;
import densitylab.train.Player;
import densitylab.train.TrainSettings;
import densitylab.train.TrainableModel;
import densitylab.train.Trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class GanTest {
    @TempDir
    Path tmp;

    private static final int[] SHAPE = {1, 8, 8};

    /** 8x8 images from a mixture of two Gaussians in pixel space: bright left half or bright right half, noise 12. */
    static ImageSet twoModes(int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 64];
        for (int i = 0; i < n; i++) {
            boolean left = r.nextBoolean();
            for (int k = 0; k < 64; k++) {
                boolean bright = (k % 8 < 4) == left;
                px[i * 64 + k] = (byte) Math.max(0, Math.min(255, (int) Math.round((bright ? 190 : 60) + 12 * r.nextGaussian())));
            }
        }
        return ImageSet.of("two modes", 1, 8, 8, px, null);
    }

    /** Distance between two sets' first and second moments: |mean image difference| + |per-pixel std difference|, per pixel. */
    static double momentDistance(ImageSet a, ImageSet b) {
        double[] ma = new double[64], mb = new double[64], sa = new double[64], sb = new double[64];
        for (int i = 0; i < a.size(); i++) {
            for (int k = 0; k < 64; k++) {
                double v = a.pixel(i, 0, k / 8, k % 8);
                ma[k] += v / a.size();
                sa[k] += v * v / a.size();
            }
        }
        for (int i = 0; i < b.size(); i++) {
            for (int k = 0; k < 64; k++) {
                double v = b.pixel(i, 0, k / 8, k % 8);
                mb[k] += v / b.size();
                sb[k] += v * v / b.size();
            }
        }
        double d = 0;
        for (int k = 0; k < 64; k++) {
            double stdA = Math.sqrt(Math.max(0, sa[k] - ma[k] * ma[k]));
            double stdB = Math.sqrt(Math.max(0, sb[k] - mb[k] * mb[k]));
            d += Math.abs(ma[k] - mb[k]) + Math.abs(stdA - stdB);
        }
        return d / 64;
    }

    private static Dcgan dcgan(Map<String, String> p, long seed) {
        return (Dcgan) GanKinds.build("dcgan", SHAPE, p, seed);
    }

    private static double meanLogit(Dcgan m, ImageSet x) {
        try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays())) {
            return m.logits(x.toNDArray(sub)).mean().getFloat();
        }
    }

    @Test
    void dcganLossesMoveTheSamplesTowardTheDataAndTheDiscriminatorSeparatesThem() throws Exception {
        ImageSet data = twoModes(2048, 1);
        Dcgan m = dcgan(Map.of("preset", "tiny"), 3);
        m.fixStandingStatistics(data, 5);
        double before = momentDistance(m.sample(512, 9), data);
        // 8 epochs of 64 steps; in a sweep (lr 2e-4, 5e-4, 1e-3; seeds 3-5) 5e-4 ended at 0.15-0.29 of the start
        TrainSettings s = new TrainSettings(3, 8, 0, 32, 5e-4, 20, 0, null, 3600, false, Map.of(), 2);
        Trainer.Result r = new Trainer(s).train(m, data, null);
        m.fixStandingStatistics(data, 5);
        ImageSet samples = m.sample(512, 9);
        double after = momentDistance(samples, data);
        assertThat(r.steps()).isEqualTo(8 * 64);
        assertThat(r.epochLosses()).containsOnlyKeys("discriminator", "generator");
        assertThat(r.lossIsBitsPerDim()).as("a GAN's losses are not bits/dim").isFalse();
        assertThat(after).as("moment distance before %.1f, after %.1f", before, after).isLessThan(0.5 * before);
        assertThat(meanLogit(m, data)).isGreaterThan(meanLogit(m, samples));
    }

    @Test
    void gradientPenaltyEqualsItsClosedFormOnALinearCritic() {
        // zero stages: the critic is D(v) = w . v + b, whose input gradient is w everywhere
        try (NDManager nm = NDManager.newBaseManager()) {
            BatchNorms norms = new BatchNorms(nm);
            DownNet critic = new DownNet(new densitylab.nn.ParamFactory(nm, 7), norms, SHAPE, 0, 4, 1, false);
            NDArray w = critic.parameters().get(0);
            NDArray v = nm.randomUniform(-1, 1, new Shape(5, 1, 8, 8));
            NDArray g = critic.inputGradient(v).reshape(5, -1);
            float[] want = w.toFloatArray();
            for (int i = 0; i < 5; i++) {
                assertThat(g.get(i).toFloatArray()).containsExactly(want);
            }
            double norm = Math.sqrt(w.square().sum().getFloat());
            NDArray penalty = g.square().sum(new int[] {1}).add(1e-12f).sqrt().sub(1f).square().mean();
            assertThat(penalty.getFloat()).isCloseTo((float) ((norm - 1) * (norm - 1)), within(1e-5f));
        }
    }

    @ParameterizedTest(name = "spectral={0}")
    @ValueSource(booleans = {false, true})
    void theWrittenOutInputGradientEqualsAutogradsAndThePenaltysWeightGradientMatchesFiniteDifferences(boolean spectral)
            throws Exception {
        Dcgan m = dcgan(Map.of("preset", "tiny", "gp", "10", "spectral", Boolean.toString(spectral)), 2);
        try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays())) {
            // a seeded input: the engine's global generator made v depend on which tests ran before in the JVM, and an
            // input whose penalty has a LeakyReLU kink within the finite difference's step failed the comparison below
            float[] seeded = new float[3 * 64];
            Random r = new Random(11);
            for (int i = 0; i < seeded.length; i++) {
                seeded[i] = 2 * r.nextFloat() - 1;
            }
            NDArray v = sub.create(seeded, new Shape(3, 1, 8, 8));
            // the gradient autograd gives
            NDArray x = v.duplicate();
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(m.logits(densitylab.nn.Scalars.mul(x.add(1f), 127.5)).sum());
            }
            float[] autograd = x.getGradient().toFloatArray(); // x plays v: logits read (x + 1) 127.5 / 127.5 - 1
            m.players().forEach(p -> p.parameters().forEach(a -> a.getGradient().subi(a.getGradient())));
            float[] written = m.inputGradient(v).toFloatArray();
            for (int k = 0; k < written.length; k++) {
                assertThat(written[k]).as("element %d", k).isCloseTo(autograd[k], within(1e-5f + 1e-4f * Math.abs(autograd[k])));
            }
            if (spectral) {
                return; // u and v are constants to autograd (as in PyTorch's spectral_norm), not to finite differences
            }
            // d penalty / d w by autograd through the written-out gradient, against central differences
            NDArray w0 = m.players().get(0).parameters().get(0);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(m.penalty(v));
            }
            float[] grad = w0.getGradient().toFloatArray();
            float[] values = w0.toFloatArray();
            double h = 1e-2;
            for (int k : new int[] {0, 5, 17, values.length - 1}) {
                float[] plus = values.clone();
                plus[k] += (float) h;
                w0.set(plus);
                double up = m.penalty(v).getFloat();
                float[] minus = values.clone();
                minus[k] -= (float) h;
                w0.set(minus);
                double down = m.penalty(v).getFloat();
                w0.set(values);
                double fd = (up - down) / (2 * h);
                assertThat(grad[k]).as("d penalty / d w[%d]", k).isCloseTo((float) fd, within((float) (2e-3 + 2e-2 * Math.abs(fd))));
            }
        }
    }

    /**
     * What the issue asked to verify, and why the penalty does not use it: libtorch's backward with create_graph,
     * reached through DJL's JNI binding, does give differentiable gradients (d/dx of d(x^3)/dx = 6x), but it
     * accumulates into every leaf's gradient: the second backward adds 6x to the 3x^2 already there. In a loss that
     * would add the critic's own gradient into its weights (from two workers at once), so {@link DownNet#inputGradient}
     * writes the critic's input gradient out instead.
     */
    @Test
    void libtorchsCreateGraphBackwardIsDifferentiableButAccumulatesIntoEveryLeaf() {
        try (NDManager nm = NDManager.newBaseManager()) {
            NDArray x = nm.create(new float[] {1f, 2f, -3f});
            x.setRequiresGradient(true);
            boolean was = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(true);
            try {
                NDArray y = x.mul(x).mul(x).sum();
                ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) y,
                        (ai.djl.pytorch.engine.PtNDArray) y.onesLike(), true, true);
                NDArray first = x.getGradient();
                assertThat(first.toFloatArray()).containsExactly(3f, 12f, 27f);
                NDArray second = first.sum();
                ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) second,
                        (ai.djl.pytorch.engine.PtNDArray) second.onesLike(), false, false);
                // 3x^2 + 6x: the second-order term added onto the first-order gradient
                assertThat(x.getGradient().toFloatArray()).containsExactly(9f, 24f, 9f);
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(was);
            }
        }
    }

    @Test
    void spectralNormalisationLeavesEveryLayerWithLargestSingularValueOne() {
        Dcgan m = dcgan(Map.of("preset", "tiny", "spectral", "true"), 4);
        for (int k = 0; k < 30; k++) {
            m.afterStep(m.players().get(0), null);
        }
        try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays())) {
            // the critic of a single image direction: |D(v + t e) - D(v)| / t <= prod of the layers' norms = 1 (LeakyReLU is 1-Lipschitz)
            NDArray v = sub.randomUniform(-1, 1, new Shape(64, 1, 8, 8));
            float[] g = m.inputGradient(v).reshape(64, -1).square().sum(new int[] {1}).sqrt().toFloatArray();
            for (float norm : g) {
                assertThat(norm).isLessThanOrEqualTo(1.0001f);
            }
        }
    }

    @Test
    void ganomalyWithTheIdentityGeneratorReconstructsExactlyAndScoresTheEncodersDistance() {
        Ganomaly m = ((Ganomaly) GanKinds.build("ganomaly", SHAPE, Map.of("preset", "tiny"), 5)).withIdentityGenerator();
        ImageSet x = twoModes(40, 2);
        m.fixStandingStatistics(x, 0);
        double[] rec = m.reconstructionError(x);
        double[] score = m.latentDistance(x);
        try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays())) {
            NDList codes = m.encoders(x.toNDArray(sub));
            float[] want = codes.get(0).sub(codes.get(1)).square().mean(new int[] {1}).toFloatArray();
            for (int i = 0; i < x.size(); i++) {
                assertThat(rec[i]).isEqualTo(0.0);
                assertThat(score[i]).isCloseTo(want[i], within(1e-6 + 1e-5 * want[i]));
                assertThat(score[i]).isGreaterThan(0.0);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dcgan", "ganomaly"})
    void saveAndLoadRestoreIdenticalSamplesAndScores(String kind) throws Exception {
        ImageSet data = twoModes(64, 3);
        TrainSettings s = new TrainSettings(2, 1, 0, 16, 1e-3, 0, 0, null, 3600, false, Map.of("preset", "tiny"), 2);
        TrainedModel t = ModelKinds.get(kind).train(data, null, s);
        GanModel m = (GanModel) t.model();
        m.save(tmp.resolve(kind));
        GanModel back = (GanModel) ModelKinds.load(tmp.resolve(kind));
        assertThat(back.sample(12, 4).pixels()).isEqualTo(m.sample(12, 4).pixels());
        for (String score : Scores.defaultsFor(m)) {
            assertThat(Scores.create(score, back).score(data)).as(score).containsExactly(Scores.create(score, m).score(data));
        }
        assertThat(m.sample(5, 4).pixels()).as("samples do not depend on the batch").isEqualTo(m.sample(12, 4).subset(0, 5).pixels());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dcgan", "ganomaly"})
    void resumingContinuesBitForBit(String kind) throws Exception {
        ImageSet data = twoModes(96, 4);
        Map<String, String> p = Map.of("preset", "tiny");
        TrainSettings whole = new TrainSettings(5, 2, 0, 16, 1e-3, 3, 1, tmp.resolve(kind + "-whole"), 3600, false, p, 2);
        TrainableModel a = GanKinds.build(kind, SHAPE, p, 5);
        Trainer.Result ra = new Trainer(whole).train(a, data, null);
        TrainSettings first = new TrainSettings(5, 1, 0, 16, 1e-3, 3, 1, tmp.resolve(kind + "-split"), 3600, false, p, 2);
        new Trainer(first).train(GanKinds.build(kind, SHAPE, p, 5), data, null);
        TrainableModel b = GanKinds.build(kind, SHAPE, p, 5);
        Trainer.Result rb = new Trainer(first.withEpochs(2).forRun(5, 0, first.checkpointDir(), true)).train(b, data, null);
        assertThat(rb.epochLosses()).isEqualTo(ra.epochLosses());
        for (int i = 0; i < a.players().size(); i++) {
            Player pa = a.players().get(i);
            Player pb = b.players().get(i);
            for (int k = 0; k < pa.parameters().size(); k++) {
                assertThat(pb.parameters().get(k).toFloatArray()).as("%s parameter %d", pa.name(), k)
                        .containsExactly(pa.parameters().get(k).toFloatArray());
            }
        }
    }

    @Test
    void badShapesAndParametersFailWithClearMessages() {
        assertThatThrownBy(() -> GanKinds.build("dcgan", new int[] {1, 10, 10}, Map.of(), 1))
                .hasMessageContaining("divisible by 4");
        assertThatThrownBy(() -> GanKinds.build("dcgan", SHAPE, Map.of("spectral", "yes"), 1)).hasMessageContaining("true or false");
        assertThatThrownBy(() -> GanKinds.build("dcgan", SHAPE, Map.of("gp", "-1"), 1)).hasMessageContaining("gp");
        Dcgan m = dcgan(Map.of("preset", "tiny"), 1);
        assertThatThrownBy(() -> m.discriminatorScore(ImageSet.of("rgb", 3, 8, 8, new byte[192], null))).hasMessageContaining("3x8x8");
        assertThatThrownBy(() -> Scores.create("likelihood", m)).hasMessageContaining("has none");
        assertThatThrownBy(() -> Scores.create("ganomaly", m)).hasMessageContaining("GANomaly");
        assertThatThrownBy(() -> Scores.create("discriminator", densitylab.model.ar.ArKinds.build("pixelcnn", SHAPE, Map.of("preset", "tiny"), 1)))
                .hasMessageContaining("GAN");
    }

    @Test
    void noiseIsDrawnFromTheGivenNoiseOnly() {
        Dcgan m = dcgan(Map.of("preset", "tiny"), 6);
        ImageSet x = twoModes(8, 5);
        try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays())) {
            NDArray b = x.toNDArray(sub);
            for (Player p : m.players()) {
                float l1 = p.loss(b, new Noise(3)).getFloat();
                float l2 = p.loss(b, new Noise(3)).getFloat();
                float l3 = p.loss(b, new Noise(4)).getFloat();
                assertThat(l2).as(p.name()).isEqualTo(l1);
                assertThat(l3).as(p.name()).isNotEqualTo(l1);
            }
        }
    }
}
