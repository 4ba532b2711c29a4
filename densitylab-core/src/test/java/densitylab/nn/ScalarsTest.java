package densitylab.nn;

import densitylab.model.PixelCategorical;
import densitylab.model.ar.ArKinds;
import densitylab.model.gan.GanKinds;
import densitylab.train.Player;
import densitylab.train.TrainableModel;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import densitylab.data.ImageSet;
import densitylab.model.flow.FlowKinds;
import densitylab.model.vae.VaeKind;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Gradients must not depend on when the garbage collector runs. DJL's number operands live in Java direct
 * buffers that the collector frees while autograd may still need them (see {@link Scalars}); these tests
 * free every unreachable direct buffer between the forward and the backward pass and fill the freed memory
 * with a poison value before backward reads it.
 */
class ScalarsTest {
    private static final float POISON = 1e30f;
    private static final int REPEATS = 64;

    /**
     * Frees the memory of every unreachable direct buffer (full collections until the JVM's count of direct
     * buffers stops falling, i.e. their cleaners have run) and reallocates small direct buffers filled with
     * {@link #POISON}, which glibc serves from the chunks just freed. Returns them: they must stay reachable
     * until the backward pass has read the memory.
     */
    static List<ByteBuffer> poisonFreedJavaMemory() throws InterruptedException {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        long before = Long.MAX_VALUE;
        int steady = 0;
        for (int i = 0; i < 200 && steady < 3; i++) {
            System.gc();
            Thread.sleep(5);
            long now = direct.getCount();
            steady = now < before ? 0 : steady + 1;
            before = Math.min(before, now);
        }
        List<ByteBuffer> held = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 * (1 + i % 4)).order(ByteOrder.nativeOrder());
            while (b.remaining() >= 4) {
                b.putFloat(POISON);
            }
            held.add(b);
        }
        return held;
    }

    /**
     * The gradient of REPEATS * sum(f(p)) at p, computed as a sum of REPEATS terms, with the freed Java memory
     * poisoned between forward and backward. The repeats make sure some freed memory goes where the poison
     * reaches it: the collector's thread keeps the first few chunks it frees in a cache of its own.
     */
    private static float[] gradientWithPoisonedMemory(float[] p0, Function<NDArray, NDArray> f) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(p0);
            p.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(p).sum();
                for (int i = 1; i < REPEATS; i++) {
                    y = y.add(f.apply(p).sum());
                }
                List<ByteBuffer> held = poisonFreedJavaMemory();
                gc.backward(y);
                Reference.reachabilityFence(held);
            }
            return p.getGradient().toFloatArray();
        }
    }

    @Test
    void scalarOperandsKeepTheirValueUntilBackward() throws Exception {
        float[] p = {-1f, 0.5f, 2f, 3f};
        float r = REPEATS;
        assertThat(gradientWithPoisonedMemory(p, x -> Scalars.mul(x, 3.0))).containsExactly(3 * r, 3 * r, 3 * r, 3 * r);
        assertThat(gradientWithPoisonedMemory(p, x -> Scalars.div(x, 4.0))).containsExactly(r / 4, r / 4, r / 4, r / 4);
        assertThat(gradientWithPoisonedMemory(p, x -> Scalars.maximum(x, 1.0))).containsExactly(0f, 0f, r, r);
    }

    @Test
    void scalarResultsMatchDjlsOwnOps() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {-1f, 0.5f, 2f, 3f});
            assertThat(Scalars.mul(x, 3.0).toFloatArray()).containsExactly(x.mul(3f).toFloatArray());
            assertThat(Scalars.div(x, 4.0).toFloatArray()).containsExactly(x.div(4f).toFloatArray());
            assertThat(Scalars.maximum(x, 1.0).toFloatArray()).containsExactly(x.maximum(1f).toFloatArray());
            assertThat(Scalars.mul(x, 3.0).getShape()).isEqualTo(x.getShape());
        }
    }

    /**
     * Proves that {@link #poisonFreedJavaMemory()} reaches the memory in question: with DJL's own number
     * operand the gradient of 3x is wrong, freed memory read as numbers. If this starts failing after a DJL
     * upgrade, DJL may keep the number alive itself (then {@link Scalars} may no longer be needed); it could
     * also mean that glibc served the poison from other memory than the freed buffers.
     */
    @Test
    void djlsOwnNumberOperandIsReadAfterItWasFreed() throws Exception {
        float[] g = gradientWithPoisonedMemory(new float[] {1f, 2f}, x -> x.mul(3f));
        for (float v : g) {
            assertThat(v).as("gradient of %d * 3x", REPEATS).isNotCloseTo(3f * REPEATS, within(1f));
        }
    }

    private static ImageSet images(int n, int side, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * side * side];
        r.nextBytes(px);
        return ImageSet.of("random", 1, side, side, px, null);
    }

    /** The gradients of a model's parameters, and of a canary 3x (summed REPEATS times) computed beside its loss. */
    private record Gradients(List<float[]> params, float[] canary) {
    }

    /**
     * The gradients of every parameter for one loss, optionally with the freed Java memory poisoned before
     * backward. The canary uses DJL's own number operand, so with poisoning its gradient shows whether the
     * poison reached the freed memory in this very call.
     */
    private static Gradients gradients(TrainableModel model, Player player, ImageSet batch, boolean poison) throws Exception {
        List<float[]> out = new ArrayList<>();
        try (NDManager sub = model.manager().newSubManager()) {
            NDArray x = batch.toNDArray(sub);
            NDArray canary = sub.create(new float[] {1f, 2f});
            canary.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = player.loss(x, new Noise(11)); // the same dequantisation noise and reparameterisation samples
                for (int i = 0; i < REPEATS; i++) {
                    loss = loss.add(canary.mul(3f).sum());
                }
                List<ByteBuffer> held = poison ? poisonFreedJavaMemory() : List.of();
                gc.backward(loss);
                Reference.reachabilityFence(held);
            }
            for (Player q : model.players()) { // every player's: a loss's gradient may reach other players' parameters
                for (NDArray p : q.parameters()) {
                    out.add(p.getGradient().toFloatArray());
                    p.getGradient().subi(p.getGradient());
                }
            }
            return new Gradients(out, canary.getGradient().toFloatArray());
        }
    }

    @Test
    void everyTrainableModelsGradientIsTheSameWhenTheCollectorRunsBeforeBackward() throws Exception {
        ImageSet batch = images(8, 8, 3);
        Map<String, TrainableModel> models = new LinkedHashMap<>();
        models.put("glow", FlowKinds.build("glow", new int[] {1, 8, 8}, Map.of("levels", "2", "steps", "2", "hidden", "8"), 1));
        models.put("realnvp", FlowKinds.build("realnvp", new int[] {1, 8, 8}, Map.of("levels", "2", "steps", "2", "hidden", "8"), 1));
        models.put("vae categorical", VaeKind.build(new int[] {1, 8, 8}, Map.of("latent", "4", "width", "8"), 1));
        models.put("vae logistic", VaeKind.build(new int[] {1, 8, 8}, Map.of("latent", "4", "width", "8", "decoder", "logistic"), 1));
        models.put("vae forward-kl", VaeKind.build(new int[] {1, 8, 8}, Map.of("latent", "4", "width", "8", "decoder", "bernoulli",
                "objective", "forward-kl", "samples", "3"), 1));
        models.put("pixel-categorical", new PixelCategorical(new int[] {1, 8, 8}));
        models.put("pixelcnn", ArKinds.build("pixelcnn", new int[] {1, 8, 8}, Map.of("preset", "tiny"), 1));
        models.put("pixelcnnpp, dropout", ArKinds.build("pixelcnnpp", new int[] {1, 8, 8}, Map.of("preset", "tiny", "dropout", "0.3"), 1));
        models.put("dcgan", GanKinds.build("dcgan", new int[] {1, 8, 8}, Map.of("preset", "tiny"), 1));
        models.put("dcgan, wgan-gp, spectral", GanKinds.build("dcgan", new int[] {1, 8, 8}, Map.of("preset", "tiny", "gp", "10", "spectral", "true"), 1));
        models.put("ganomaly", GanKinds.build("ganomaly", new int[] {1, 8, 8}, Map.of("preset", "tiny"), 1));
        for (Map.Entry<String, TrainableModel> e : models.entrySet()) {
            try (NDManager owner = e.getValue().manager()) {
                TrainableModel model = e.getValue();
                try (NDManager init = owner.newSubManager()) {
                    model.initialize(batch.toNDArray(init), new Noise(12));
                }
                for (Player player : model.players()) {
                    String what = e.getKey() + (model.players().size() == 1 ? "" : ", " + player.name());
                    Gradients clean = gradients(model, player, batch, false);
                    Gradients poisoned = gradients(model, player, batch, true);
                    assertThat(clean.canary()).containsExactly(3f * REPEATS, 3f * REPEATS);
                    assertThat(poisoned.canary()[0]).as("%s: the poison reached the freed memory", what)
                            .isNotCloseTo(3f * REPEATS, within(1f));
                    for (int i = 0; i < clean.params().size(); i++) {
                        float[] want = clean.params().get(i);
                        float[] got = poisoned.params().get(i);
                        for (int k = 0; k < want.length; k++) {
                            // the same up to the last bits: two threads may sum in another order
                            assertThat(got[k]).as("%s, parameter %d, element %d", what, i, k)
                                    .isCloseTo(want[k], within(1e-7f + 1e-4f * Math.abs(want[k])));
                        }
                    }
                }
            }
        }
    }
}
