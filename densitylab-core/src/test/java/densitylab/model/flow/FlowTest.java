package densitylab.model.flow;

import densitylab.nn.ParamFactory;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.nn.Scopes;
import densitylab.nn.Units;
import densitylab.model.registry.ModelKinds;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Flows invert exactly and their log-determinants equal brute-force Jacobians. */
class FlowTest {
    private NDManager manager;
    private ParamFactory f;

    @TempDir
    Path tmp;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        f = new ParamFactory(manager, 42);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Gives every parameter random values, so that no layer is the identity. */
    static void perturb(List<NDArray> params, long seed, double std) {
        Random r = new Random(seed);
        for (NDArray p : params) {
            float[] v = new float[(int) p.getShape().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (std * r.nextGaussian());
            }
            p.set(v);
        }
    }

    private NDArray randomInput(long seed, long... shape) {
        Random r = new Random(seed);
        Shape s = new Shape(shape);
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return manager.create(v, s);
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        assertThat(x.length).isEqualTo(y.length);
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    /** log|det| of the Jacobian of fn at x (one example), built row by row with autograd and reduced by LU. */
    private double bruteForceLogDet(Function<NDArray, NDArray> fn, NDArray x) {
        int d = (int) x.getShape().size();
        DMatrixRMaj jac = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            try (NDManager sub = manager.newSubManager()) {
                NDArray xi = x.duplicate();
                xi.attach(sub);
                xi.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = fn.apply(xi).reshape(-1);
                    gc.backward(y.get(i));
                }
                float[] g = xi.getGradient().toFloatArray();
                for (int k = 0; k < d; k++) {
                    jac.set(i, k, g[k]);
                }
            }
        }
        return Math.log(Math.abs(CommonOps_DDRM.det(jac)));
    }

    /** Inverse(forward(x)) == x, and log-det equals the brute-force Jacobian's, for transform t on input x (batch 1). */
    private void checkTransform(String name, Transform t, NDArray x) {
        try (NDManager sub = Scopes.open(manager, t.parameters())) {
            NDArray xs = x.duplicate();
            xs.attach(sub);
            Transform.Result r = t.forward(xs);
            assertThat(maxAbsDiff(t.inverse(r.y()), xs)).as(name + " inverts").isLessThan(1e-4);
            double logDet = r.logDet().toFloatArray()[0];
            double brute = bruteForceLogDet(z -> t.forward(z).y(), x);
            assertThat(logDet).as(name + " log|det J|").isCloseTo(brute, within(1e-3 + 1e-4 * Math.abs(brute)));
        }
    }

    /** Image-shaped arrays of a manager whose first dimension is the batch size b (activations, not log-dets or parameters). */
    private static long activations(NDManager m, long b) {
        return m.getManagedArrays().stream().filter(a -> a.getShape().dimension() > 1 && a.getShape().get(0) == b).count();
    }

    @Test
    void compositeReleasesEachStepsIntermediatesButKeepsTheirGradients() {
        int[] s = {4, 4, 4};
        CompositeTransform c = new CompositeTransform(List.of(new ActNorm(f, 4), new InvConv1x1Lu(f, 4),
                new AffineCoupling(f, s, AffineCoupling.Mask.CHANNEL, AffineCoupling.Scale.SIGMOID, 0, 8),
                new AffineCoupling(f, s, AffineCoupling.Mask.CHECKERBOARD, AffineCoupling.Scale.SIGMOID, 1, 8)));
        perturb(c.parameters(), 3, 0.1);
        long b = 3; // no parameter has a first dimension of 3
        try (NDManager sub = Scopes.open(manager, manager.getManagedArrays())) { // parameters and constants, as FlowModel
            NDArray x = sub.randomNormal(new Shape(b, 4, 4, 4));
            NDArray expected = c.forward(x).logDet();
            c.parameters().forEach(p -> p.setRequiresGradient(true));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Transform.Result r = c.forward(x);
                // x and the two passes' outputs: every split, convolution and scale of the couplings is gone
                assertThat(activations(sub, b)).isEqualTo(3);
                // the same arithmetic: equal to a few float32 ulps of the log-dets' size (under oneDNN's AVX kernels
                // the recording pass may sum in another order: one run differed by 1.9e-6, an ulp at 16-32)
                double scale = Math.max(1, expected.abs().max().getFloat());
                assertThat(maxAbsDiff(r.logDet(), expected)).isLessThan(4e-7 * scale);
                gc.backward(r.y().square().sum().add(r.logDet().sum()));
            }
            // backward still reached the first layer through the released intermediates
            assertThat(c.parameters().get(0).getGradient().abs().sum().getFloat()).isGreaterThan(0f);
        }
    }

    @Test
    void everyLayerInvertsAndMatchesItsJacobian() {
        int[] s = {4, 2, 2};
        ActNorm an = new ActNorm(f, 4);
        an.initialize(randomInput(1, 8, 4, 2, 2).mul(3).add(1));
        checkTransform("actnorm", an, randomInput(2, 1, 4, 2, 2));

        InvConv1x1Lu conv = new InvConv1x1Lu(f, 4);
        perturb(conv.parameters(), 3, 0.3);
        checkTransform("invconv", conv, randomInput(4, 1, 4, 2, 2));

        for (AffineCoupling.Mask mask : AffineCoupling.Mask.values()) {
            for (AffineCoupling.Scale scale : AffineCoupling.Scale.values()) {
                for (int parity = 0; parity < 2; parity++) {
                    AffineCoupling c = new AffineCoupling(f, s, mask, scale, parity, 8);
                    perturb(c.parameters(), 5 + parity, 0.3);
                    checkTransform(mask + "/" + scale + "/" + parity, c, randomInput(6, 1, 4, 2, 2));
                }
            }
        }
        checkTransform("squeeze", new Squeeze(), randomInput(7, 1, 2, 4, 4));
        NDArray unit = randomInput(8, 1, 1, 2, 2).abs().mul(0.3).add(0.1);
        checkTransform("logit", new LogitTransform(0.05), unit);
    }

    @Test
    void couplingNetworksHandBackTheStandardMemoryOrder() {
        // element-wise ops on few channels are slow in channels-last order (MemoryLayout): the network runs in
        // it but must not pass it on to the coupling's scale and shift
        ConvNet net = new ConvNet(f, 2, 8, 4);
        try (NDManager sub = Scopes.open(manager, net.parameters())) {
            NDArray x = randomInput(14, 3, 2, 2, 2);
            x.attach(sub);
            assertThat(densitylab.nn.MemoryOrder.isContiguous(net.apply(x))).isTrue();
        }
    }

    @Test
    void invertibleConvolutionMixesChannelsWithinEachExampleOnly() {
        InvConv1x1Lu conv = new InvConv1x1Lu(f, 4);
        perturb(conv.parameters(), 15, 0.3);
        try (NDManager sub = Scopes.open(manager, manager.getManagedArrays())) {
            NDArray batch = randomInput(16, 3, 4, 2, 3);
            batch.attach(sub);
            NDArray together = conv.forward(batch).y();
            for (int i = 0; i < 3; i++) {
                NDArray alone = conv.forward(batch.get(i).expandDims(0)).y();
                assertThat(maxAbsDiff(together.get(i).expandDims(0), alone)).as("example " + i).isLessThan(1e-6);
            }
            assertThatThrownBy(() -> conv.forward(randomInput(17, 2, 2, 2, 4))).hasMessageContaining("for 4 channels");
        }
    }

    @Test
    void squeezePutsEachPixelOfA2x2BlockInItsOwnChannel() {
        // 2 channels of 2x4: channel c, row i, column w = 2 * block + j goes to channel 4c + 2i + j of block
        float[] v = new float[16];
        for (int k = 0; k < 16; k++) {
            v[k] = k;
        }
        NDArray y = new Squeeze().forward(manager.create(v, new Shape(1, 2, 2, 4))).y();
        assertThat(y.getShape()).isEqualTo(new Shape(1, 8, 1, 2));
        assertThat(densitylab.nn.MemoryOrder.isContiguous(y)).as("stored in the standard order (MemoryLayout)").isTrue();
        assertThat(y.get(0, 0).toFloatArray()).containsExactly(0, 2);  // c0 i0 j0 of blocks 0 and 1
        assertThat(y.get(0, 1).toFloatArray()).containsExactly(1, 3);  // c0 i0 j1
        assertThat(y.get(0, 2).toFloatArray()).containsExactly(4, 6);  // c0 i1 j0
        assertThat(y.get(0, 7).toFloatArray()).containsExactly(13, 15); // c1 i1 j1
    }

    @Test
    void wholeFlowsInvertAndMatchTheirJacobians() {
        int[] shape = {1, 4, 4};
        for (MultiScaleFlow flow : List.of(FlowKinds.glow(f, shape, 2, 2, 8), FlowKinds.realNvp(f, shape, 2, 1, 8))) {
            perturb(flow.parameters(), 9, 0.2);
            checkTransform("multi-scale flow", flow, randomInput(10, 1, 1, 4, 4));
            try (NDManager sub = Scopes.open(manager, flow.parameters())) {
                NDArray batch = randomInput(11, 5, 1, 4, 4);
                batch.attach(sub);
                assertThat(maxAbsDiff(flow.inverse(flow.forward(batch).y()), batch)).isLessThan(1e-4);
            }
        }
    }

    @Test
    void shapesThatDoNotFitAreNamed() {
        assertThatThrownBy(() -> FlowKinds.glow(f, new int[] {1, 28, 28}, 3, 1, 4))
                .hasMessageContaining("odd").hasMessageContaining("7");
        assertThatThrownBy(() -> new AffineCoupling(f, new int[] {1, 4, 4}, AffineCoupling.Mask.CHANNEL,
                AffineCoupling.Scale.SIGMOID, 0, 4)).hasMessageContaining("squeeze first");
    }

    @Test
    void untrainedGlowGivesTheAnalyticDensityOfAConstantImage() {
        // 1x2x2 -> squeeze -> 4x1x1; ActNorm and the LU convolution start as identity and a permutation, the
        // coupling's zero network scales two of the four values by sigmoid(2). For a constant image every
        // permutation gives the same z, so log p is known in closed form.
        FlowModel m = FlowKinds.build("glow", new int[] {1, 2, 2}, Map.of("levels", "1", "steps", "1", "hidden", "4"), 1);
        double c = 0.3;
        double alpha = 0.05;
        double sv = alpha + (1 - 2 * alpha) * c;
        double v = Math.log(sv / (1 - sv));
        double sig2 = 1 / (1 + Math.exp(-2));
        double logN = -0.5 * v * v * (2 + 2 * sig2 * sig2) - 2 * Math.log(2 * Math.PI);
        double expected = logN + 2 * Math.log(sig2) + 4 * (Math.log(1 - 2 * alpha) - Math.log(sv) - Math.log(1 - sv)) - 4 * Units.LOG_256;
        try (NDManager sub = Scopes.open(m.manager(), m.parameters())) {
            NDArray y = sub.full(new Shape(1, 1, 2, 2), (float) c);
            assertThat((double) m.logProbOfDequantized(y, false).getFloat()).isCloseTo(expected, within(1e-4));
        }
    }

    @Test
    void densityIntegratesToAtMostOneOverTheUnitCube() {
        // Monte Carlo estimate of the integral of p(y) over [0,1)^4 for a perturbed flow: a wrong log-det would miss 1
        FlowModel m = FlowKinds.build("realnvp", new int[] {1, 2, 2}, Map.of("levels", "1", "steps", "2", "hidden", "4"), 3);
        perturb(m.parameters(), 12, 0.1);
        int n = 200_000;
        Random r = new Random(5);
        float[] y = new float[n * 4];
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextFloat();
        }
        double sum = 0;
        double sumSq = 0;
        try (NDManager sub = Scopes.open(m.manager(), m.parameters())) {
            float[] lp = m.logProbOfDequantized(sub.create(y, new Shape(n, 1, 2, 2)), false).toFloatArray();
            for (float l : lp) {
                double p = Math.exp(l + 4 * Units.LOG_256);
                sum += p;
                sumSq += p * p;
            }
        }
        double mean = sum / n;
        double se = Math.sqrt((sumSq / n - mean * mean) / n);
        assertThat(mean).isLessThan(1 + 4 * se).isGreaterThan(0.8);
    }

    @Test
    void savedFlowsReproduceLogProbsAndSamples() throws Exception {
        for (String kind : new String[] {"glow", "realnvp"}) {
            FlowModel m = FlowKinds.build(kind, new int[] {1, 4, 4}, Map.of("preset", "tiny"), 7);
            perturb(m.parameters(), 13, 0.05);
            Random r = new Random(1);
            byte[] px = new byte[6 * 16];
            r.nextBytes(px);
            ImageSet x = ImageSet.of("x", 1, 4, 4, px, null);
            Path dir = tmp.resolve(kind);
            m.save(dir);
            DensityModel back = (DensityModel) ModelKinds.load(dir);
            assertThat(back.logProb(x)).isEqualTo(m.logProb(x));
            assertThat(back.sample(4, 2).sameContent(m.sample(4, 2))).isTrue();
            for (double b : m.bitsPerDim(x)) {
                assertThat(b).isFinite().isGreaterThan(0);
            }
        }
    }

    @Test
    void trainingLowersBitsPerDim() throws Exception {
        Random r = new Random(3);
        byte[] px = new byte[256 * 16];
        for (int i = 0; i < 256; i++) {
            int level = r.nextInt(4) * 60;
            for (int k = 0; k < 16; k++) {
                px[i * 16 + k] = (byte) (level + (k % 4) * 10 + r.nextInt(8));
            }
        }
        ImageSet x = ImageSet.of("toy", 1, 4, 4, px, null);
        FlowModel m = FlowKinds.build("glow", new int[] {1, 4, 4}, Map.of("preset", "tiny"), 1);
        double before = Units.mean(m.bitsPerDim(x));
        new densitylab.train.Trainer(new densitylab.train.TrainSettings(1, 30, 0, 32, 5e-3, 10, 5, null, 3600, false, Map.of()))
                .train(m, x, null);
        double after = Units.mean(m.bitsPerDim(x));
        assertThat(after).isLessThan(before - 1.0);
    }

    /** Arrays left in the model's manager after training {@code epochs} epochs of 4 steps each on a toy set. */
    private static int arraysAfterTraining(String kind, int epochs) throws Exception {
        Random r = new Random(5);
        byte[] px = new byte[64 * 16];
        r.nextBytes(px);
        ImageSet x = ImageSet.of("toy", 1, 4, 4, px, null);
        FlowModel m = FlowKinds.build(kind, new int[] {1, 4, 4}, Map.of("preset", "tiny"), 1);
        try (var manager = m.manager()) {
            new densitylab.train.Trainer(new densitylab.train.TrainSettings(1, epochs, 0, 16, 1e-3, 0, 0, null, 3600, false, Map.of()))
                    .train(m, x, null);
            return manager.getManagedArrays().size();
        }
    }

    @Test
    void trainingLeavesNoArraysBehindInTheModel() throws Exception {
        for (String kind : List.of("glow", "realnvp")) {
            // constants such as the 1x1 convolution's permutation are first operands too: a step that left their
            // products in the model's manager would grow it by a few arrays per step
            assertThat(arraysAfterTraining(kind, 5)).as(kind).isEqualTo(arraysAfterTraining(kind, 1));
        }
    }

    @Test
    void levelStatisticsSplitTheLatentsStandardNormalCodeLengthExactly() {
        FlowModel m = FlowKinds.build("glow", new int[] {1, 8, 8}, Map.of("levels", "3", "steps", "1", "hidden", "8"), 5);
        byte[] px = new byte[6 * 64];
        new Random(2).nextBytes(px);
        ImageSet x = ImageSet.of("r", 1, 8, 8, px, null);
        double[][] levels = m.levelBitsPerDim(x);
        assertThat(m.statistics()).containsExactly("level-1", "level-2", "level-3");
        long[] sizes = m.flow().partSizes();
        assertThat(java.util.Arrays.stream(sizes).sum()).isEqualTo(64);
        assertThat(m.ownScore("level-2", null).score(x)).containsExactly(levels[1]);
        assertThat(m.ownScore("level-4", null)).isNull();
        try (NDManager sub = NDManager.newBaseManager()) {
            float[] y = densitylab.nn.Dequantize.scoring(x);
            NDArray z = m.flow().forward(m.logit().forward(sub.create(y, new Shape(6, 1, 8, 8))).y()).y();
            float[] sq = z.square().sum(new int[] {1}).toFloatArray();
            for (int i = 0; i < 6; i++) {
                double bits = 0;
                for (int l = 0; l < sizes.length; l++) {
                    bits += levels[l][i] * sizes[l];
                }
                double total = (0.5 * sq[i] + 0.5 * 64 * Math.log(2 * Math.PI)) / Math.log(2); // -log2 N(z) of all latents
                assertThat(bits).isCloseTo(total, within(1e-4 * Math.abs(total)));
            }
        }
    }
}
