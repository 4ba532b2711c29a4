package densitylab.train;

import densitylab.model.PixelCategorical;
import densitylab.nn.Noise;
import densitylab.nn.Scalars;
import densitylab.nn.Units;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import densitylab.data.ImageSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TrainerTest {
    @TempDir
    Path tmp;

    /** Pixels drawn from a few values with position-dependent probabilities: low entropy, known histogram. */
    static ImageSet data(int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 16];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 16; k++) {
                px[i * 16 + k] = (byte) (r.nextDouble() < 0.2 + 0.04 * k ? 7 * k : 200 + r.nextInt(3));
            }
        }
        return ImageSet.of("toy", 1, 4, 4, px, null);
    }

    /** Empirical per-pixel entropy in bits per dimension: the lowest training bits/dim any independent-pixel model can reach. */
    static double empiricalEntropy(ImageSet x) {
        double h = 0;
        for (int k = 0; k < 16; k++) {
            int[] counts = new int[256];
            for (int i = 0; i < x.size(); i++) {
                counts[x.pixel(i, 0, k / 4, k % 4)]++;
            }
            for (int c : counts) {
                if (c > 0) {
                    double p = c / (double) x.size();
                    h -= p * Math.log(p) / Math.log(2);
                }
            }
        }
        return h / 16;
    }

    private static TrainSettings settings(int epochs, Path ck) {
        return new TrainSettings(3, epochs, 0, 50, 0.1, 0, 0, ck, 3600, false, Map.of());
    }

    @Test
    void untrainedModelIsUniformAtEightBitsPerDim() {
        PixelCategorical m = new PixelCategorical(new int[] {1, 4, 4});
        for (double b : m.bitsPerDim(data(10, 1))) {
            assertThat(b).isCloseTo(8.0, within(1e-5));
        }
    }

    @Test
    void trainingApproachesTheEmpiricalEntropyFromAbove() throws Exception {
        ImageSet x = data(400, 2);
        PixelCategorical m = new PixelCategorical(new int[] {1, 4, 4});
        Trainer.Result r = new Trainer(settings(40, null)).train(m, x, x);
        double h = empiricalEntropy(x);
        double bpd = Units.mean(m.bitsPerDim(x));
        assertThat(bpd).isGreaterThanOrEqualTo(h - 1e-4).isLessThan(h + 0.15);
        assertThat(r.testBpd()).hasSize(40);
        assertThat(r.testBpd().get(39)).isLessThan(r.testBpd().get(0));
        assertThat(r.steps()).isEqualTo(40 * 8);
    }

    @Test
    void resumeContinuesExactlyWhereTheCheckpointLeftOff() throws Exception {
        ImageSet x = data(230, 3);
        PixelCategorical straight = new PixelCategorical(new int[] {1, 4, 4});
        new Trainer(settings(3, tmp.resolve("a"))).train(straight, x, null);

        PixelCategorical first = new PixelCategorical(new int[] {1, 4, 4});
        new Trainer(settings(2, tmp.resolve("b"))).train(first, x, null);
        first.manager().close();
        PixelCategorical resumed = new PixelCategorical(new int[] {1, 4, 4});
        TrainSettings again = new TrainSettings(3, 3, 0, 50, 0.1, 0, 0, tmp.resolve("b"), 3600, true, Map.of());
        Trainer.Result r = new Trainer(again).train(resumed, x, null);
        assertThat(r.steps()).isEqualTo(3 * 5);
        float[] a = straight.parameters().get(0).toFloatArray();
        float[] b = resumed.parameters().get(0).toFloatArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(b[i]).isCloseTo(a[i], within(1e-5f));
        }
    }

    @Test
    void resumeWithoutCheckpointSaysSo() {
        PixelCategorical m = new PixelCategorical(new int[] {1, 4, 4});
        TrainSettings s = new TrainSettings(3, 1, 0, 50, 0.1, 0, 0, tmp.resolve("none"), 3600, true, Map.of());
        assertThatThrownBy(() -> new Trainer(s).train(m, data(20, 1), null)).hasMessageContaining("no checkpoint");
    }

    /**
     * Delegates to a PixelCategorical but reports a NaN loss from a given step on. With two workers each step
     * calls the loss twice, at the same time: calls 2k-1 and 2k belong to step k.
     */
    static final class Diverging extends DelegatingModel {
        final int nanFrom;
        final int workers;
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

        Diverging(int nanFrom, int workers) {
            super(4);
            this.nanFrom = nanFrom;
            this.workers = workers;
        }

        /** Steps (1-based) whose loss stays finite but whose gradient is NaN. */
        java.util.function.IntPredicate nanGradient = c -> false;

        @Override
        public NDArray loss(NDArray batch, Noise noise) {
            NDArray l = inner.loss(batch, noise);
            int step = (calls.incrementAndGet() - 1) / workers + 1;
            if (nanGradient.test(step)) {
                NDArray p = parameters().get(0);
                return l.add(Scalars.mul(p.sub(p).sqrt().sum(), 0)); // adds 0; d/dp sqrt(p - p) * 0 = inf * 0 = NaN
            }
            return step >= nanFrom ? l.mul(Float.NaN) : l;
        }

    }

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {1, 2})
    void nanLossStopsWithAClearMessageAndKeepsTheLastGoodCheckpoint(int workers) throws Exception {
        Path ck = tmp.resolve("ck");
        Diverging m = new Diverging(4, workers);
        TrainSettings s = new TrainSettings(3, 5, 0, 50, 0.1, 0, 0, ck, 0, false, Map.of(), workers);
        assertThatThrownBy(() -> new Trainer(s).train(m, data(200, 4), null))
                .isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("loss became NaN at epoch 1, batch 3 (step 3)")
                .hasMessageContaining("last good checkpoint is " + ck.resolve("step-3"))
                .hasMessageContaining("gradient clipping")
                .isInstanceOfSatisfying(TrainingDivergedException.class, e -> assertThat(e.settings()).contains("resume", "clip"));
        assertThat(Checkpoints.latest(ck)).isEqualTo(ck.resolve("step-3"));
        try (NDManager mgr = NDManager.newBaseManager()) {
            Checkpoints.Loaded l = Checkpoints.load(Checkpoints.latest(ck), mgr);
            for (float v : l.arrays().get(0).toFloatArray()) {
                assertThat(v).isFinite();
            }
            assertThat(l.state().get("step").asInt()).isEqualTo(3);
        }
        try (var files = Files.list(ck)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("step-4").noneMatch(n -> n.endsWith(".part"));
        }
    }

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {1, 2})
    void aStepWithANonFiniteGradientIsSkippedAndTrainingGoesOn(int workers) throws Exception {
        Diverging m = new Diverging(Integer.MAX_VALUE, workers);
        m.nanGradient = c -> c == 2 || c == 3;
        TrainSettings s = new TrainSettings(3, 2, 0, 50, 0.1, 0, 0, null, 3600, false, Map.of(), workers);
        Trainer.Result r = new Trainer(s).train(m, data(200, 4), null);
        assertThat(r.steps()).isEqualTo(8 - 2); // 2 epochs of 4 batches, 2 updates skipped
        for (float v : m.parameters().get(0).toFloatArray()) {
            assertThat(v).isFinite();
        }
        assertThat(r.trainBpd()).allMatch(Double::isFinite);
    }

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {1, 2})
    void gradientsThatStayNonFiniteStopTrainingWithTheParametersIntact(int workers) throws Exception {
        Path ck = tmp.resolve("ckg");
        Diverging m = new Diverging(Integer.MAX_VALUE, workers);
        m.nanGradient = c -> c >= 4;
        TrainSettings s = new TrainSettings(3, 10, 0, 50, 0.1, 0, 0, ck, 0, false, Map.of(), workers);
        assertThatThrownBy(() -> new Trainer(s).train(m, data(200, 4), null))
                .isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("not finite " + Trainer.MAX_BAD_GRADIENTS + " steps in a row")
                .hasMessageContaining("after step 3")
                .hasMessageContaining("in parameter arrays #0 (16, 256) max |g| NaN")
                .hasMessageContaining("last good checkpoint is " + ck.resolve("step-3"));
        for (float v : m.parameters().get(0).toFloatArray()) {
            assertThat(v).isFinite();
        }
    }

    @Test
    void timeBudgetStopsTraining() throws Exception {
        PixelCategorical m = new PixelCategorical(new int[] {1, 4, 4});
        TrainSettings s = new TrainSettings(3, 1000, 1e-6, 50, 0.1, 0, 0, null, 3600, false, Map.of());
        Trainer.Result r = new Trainer(s).train(m, data(200, 5), null);
        assertThat(r.steps()).isEqualTo(1);
        assertThat(r.stoppedBecause()).contains("time budget");
    }

    @Test
    void warmupAndClippingBoundTheFirstStep() throws Exception {
        // with clip c and warm-up w, the first Adam step moves each parameter by at most lr/w
        PixelCategorical m = new PixelCategorical(new int[] {1, 4, 4});
        TrainSettings s = new TrainSettings(3, 1, 0, 200, 0.1, 10, 0.5, null, 3600, false, Map.of());
        new Trainer(s).train(m, data(200, 6), null);
        for (float v : m.parameters().get(0).toFloatArray()) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo(0.01f + 1e-6f);
        }
    }

    @Test
    void playersThatShareAParameterArrayAreRefused() {
        DelegatingModel m = new DelegatingModel(4) {
        };
        DelegatingModel sameArrays = new DelegatingModel(4) {
            @Override
            public String name() {
                return "copy";
            }

            @Override
            public java.util.List<NDArray> parameters() {
                return m.parameters();
            }
        };
        TrainableModel twoPlayers = new TrainableModel() {
            @Override
            public NDManager manager() {
                return m.manager();
            }

            @Override
            public java.util.List<Player> players() {
                return java.util.List.of(m, sameArrays);
            }
        };
        assertThatThrownBy(() -> new Trainer(settings(1, null)).train(twoPlayers, data(10, 1), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shares a parameter array");
    }
}
