package densitylab.train;

import densitylab.model.PixelCategorical;
import densitylab.model.ar.ArKinds;
import densitylab.nn.LibTorch;
import densitylab.nn.Noise;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import densitylab.data.ImageSet;
import densitylab.model.flow.FlowKinds;
import densitylab.model.vae.VaeKind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BatchGradientsTest {
    private static final long SEED0 = 101;
    private static final long SEED1 = 202;

    private static ImageSet images(int n, int side, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * side * side];
        r.nextBytes(px);
        return ImageSet.of("random", 1, side, side, px, null);
    }

    private static Map<String, Supplier<SingleLossModel>> models() {
        Map<String, Supplier<SingleLossModel>> m = new LinkedHashMap<>();
        Map<String, String> flow = Map.of("levels", "2", "steps", "2", "hidden", "8");
        m.put("glow", () -> FlowKinds.build("glow", new int[] {1, 8, 8}, flow, 1));
        m.put("realnvp", () -> FlowKinds.build("realnvp", new int[] {1, 8, 8}, flow, 1));
        m.put("vae", () -> VaeKind.build(new int[] {1, 8, 8}, Map.of("latent", "4", "width", "8"), 1));
        m.put("vae forward-kl", () -> VaeKind.build(new int[] {1, 8, 8}, Map.of("latent", "4", "width", "8",
                "objective", "forward-kl", "samples", "3"), 1));
        m.put("pixel-categorical", () -> new PixelCategorical(new int[] {1, 8, 8}));
        m.put("pixelcnn", () -> ArKinds.build("pixelcnn", new int[] {1, 8, 8}, Map.of("preset", "tiny"), 1));
        m.put("pixelcnnpp", () -> ArKinds.build("pixelcnnpp", new int[] {1, 8, 8}, Map.of("preset", "tiny"), 1));
        return m;
    }

    /** Initialises the model on the batch and returns its parameters' gradients after compute (zeroed before). */
    private static Result twoWorkers(SingleLossModel model, ImageSet batch) {
        try (BatchGradients g = BatchGradients.create(2); NDManager scope = Scopes.open(model.manager(), model.scopeArrays())) {
            assertThat(g.workers()).isEqualTo(2);
            model.initialize(batch.toNDArray(scope), new Noise(7));
            zero(model);
            double loss = g.compute(model, scope, batch, part -> part == 0 ? SEED0 : SEED1);
            return new Result(loss, gradients(model));
        }
    }

    /** The same on the calling thread: the size-weighted mean of the two halves' losses, one backward pass. */
    private static Result oneThread(SingleLossModel model, ImageSet batch) {
        List<ImageSet> halves = batch.batches((batch.size() + 1) / 2);
        try (NDManager scope = Scopes.open(model.manager(), model.scopeArrays())) {
            model.initialize(batch.toNDArray(scope), new Noise(7));
            zero(model);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray a = Scalars.mul(model.loss(halves.get(0).toNDArray(scope), new Noise(SEED0)), halves.get(0).size() / (double) batch.size());
                NDArray b = Scalars.mul(model.loss(halves.get(1).toNDArray(scope), new Noise(SEED1)), halves.get(1).size() / (double) batch.size());
                NDArray total = a.add(b);
                double loss = total.getFloat();
                gc.backward(total);
                return new Result(loss, gradients(model));
            }
        }
    }

    private record Result(double loss, List<float[]> gradients) {
    }

    private static void zero(SingleLossModel model) {
        for (NDArray p : model.parameters()) {
            p.getGradient().subi(p.getGradient());
        }
    }

    private static List<float[]> gradients(SingleLossModel model) {
        List<float[]> out = new ArrayList<>();
        for (NDArray p : model.parameters()) {
            out.add(p.getGradient().toFloatArray());
        }
        return out;
    }

    @Test
    void twoWorkersGiveTheGradientOfTheWholeBatch() {
        ImageSet batch = images(9, 8, 1); // odd: halves of 5 and 4, weighted 5/9 and 4/9
        for (var e : models().entrySet()) {
            Result parallel;
            Result serial;
            SingleLossModel a = e.getValue().get(); // a fresh model each time: the same seed, so the same parameters
            try (NDManager owner = a.manager()) {
                parallel = twoWorkers(a, batch);
            }
            SingleLossModel b = e.getValue().get();
            try (NDManager owner = b.manager()) {
                serial = oneThread(b, batch);
            }
            assertThat(parallel.loss()).as(e.getKey()).isCloseTo(serial.loss(), within(1e-4 * Math.abs(serial.loss())));
            double maxAbs = serial.gradients().stream().flatMap(g -> {
                List<Float> l = new ArrayList<>();
                for (float v : g) {
                    l.add(Math.abs(v));
                }
                return l.stream();
            }).mapToDouble(Float::doubleValue).max().orElse(0);
            assertThat(maxAbs).as(e.getKey() + ": the gradient is not trivially zero").isGreaterThan(1e-6);
            for (int i = 0; i < serial.gradients().size(); i++) {
                float[] s = serial.gradients().get(i);
                float[] p = parallel.gradients().get(i);
                for (int k = 0; k < s.length; k++) {
                    assertThat((double) p[k]).as("%s parameter %d element %d", e.getKey(), i, k)
                            .isCloseTo(s[k], within(1e-4 * maxAbs));
                }
            }
        }
    }

    /** Limits each loss call to a few images and records their sizes. */
    private static final class Limited extends DelegatingModel {
        final int limit;
        final List<Long> passSizes = java.util.Collections.synchronizedList(new ArrayList<>());

        Limited(int limit) {
            super(8);
            this.limit = limit;
        }

        @Override
        public NDArray loss(NDArray batch, Noise noise) {
            passSizes.add(batch.getShape().get(0));
            return inner.loss(batch, noise);
        }

        @Override
        public int maxImagesPerLoss() {
            return limit;
        }
    }

    @Test
    void passesOfAFewImagesAccumulateTheWholeBatchsGradient() {
        ImageSet batch = images(9, 8, 3);
        for (int workers : new int[] {1, 2}) {
            Map<Integer, Result> byLimit = new LinkedHashMap<>();
            for (int limit : new int[] {0, 2}) {
                Limited m = new Limited(limit);
                try (NDManager owner = m.manager(); BatchGradients g = BatchGradients.create(workers);
                     NDManager scope = Scopes.open(m.manager(), m.scopeArrays())) {
                    zero(m);
                    byLimit.put(limit, new Result(g.compute(m, scope, batch, part -> part == 0 ? SEED0 : SEED1), gradients(m)));
                }
                assertThat(m.passSizes.stream().mapToLong(Long::longValue).sum()).as("every image seen once").isEqualTo(9);
                if (limit > 0) {
                    assertThat(m.passSizes).as("%d worker(s)", workers).hasSize(5).allMatch(n -> n <= limit);
                } else {
                    assertThat(m.passSizes).hasSize(workers);
                }
            }
            Result whole = byLimit.get(0);
            Result passes = byLimit.get(2);
            assertThat(passes.loss()).isCloseTo(whole.loss(), within(1e-5 * Math.abs(whole.loss())));
            for (int i = 0; i < whole.gradients().size(); i++) {
                float[] w = whole.gradients().get(i);
                float[] p = passes.gradients().get(i);
                double scale = 0;
                for (float v : w) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertThat(scale).as("the gradient is not trivially zero").isGreaterThan(1e-6);
                for (int k = 0; k < w.length; k++) {
                    assertThat((double) p[k]).as("%d worker(s), parameter %d element %d", workers, i, k).isCloseTo(w[k], within(1e-5 * scale));
                }
            }
        }
    }

    @Test
    void twoWorkersRepeatBitForBit() {
        ImageSet batch = images(16, 8, 2);
        for (var e : models().entrySet()) {
            List<Result> runs = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                SingleLossModel m = e.getValue().get();
                try (NDManager owner = m.manager()) {
                    runs.add(twoWorkers(m, batch));
                }
            }
            for (Result r : runs.subList(1, runs.size())) {
                assertThat(r.loss()).as(e.getKey()).isEqualTo(runs.get(0).loss());
                for (int i = 0; i < r.gradients().size(); i++) {
                    assertThat(r.gradients().get(i)).as("%s parameter %d", e.getKey(), i).containsExactly(runs.get(0).gradients().get(i));
                }
            }
        }
    }

    @Test
    void theCallingThreadGetsItsIntraOpThreadsBack() {
        Engine.getInstance();
        int before = LibTorch.intraOpThreads();
        try (BatchGradients g = BatchGradients.create(2)) {
            assertThat(LibTorch.intraOpThreads()).isEqualTo(Math.max(1, before / 2));
            assertThat(g.withAllThreads(LibTorch::intraOpThreads)).isEqualTo(before);
            assertThat(LibTorch.intraOpThreads()).isEqualTo(Math.max(1, before / 2));
        }
        assertThat(LibTorch.intraOpThreads()).isEqualTo(before);
    }
}
