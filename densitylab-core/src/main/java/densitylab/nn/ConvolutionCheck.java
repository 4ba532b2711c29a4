package densitylab.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks that libtorch's float32 convolutions compute right outputs and gradients on this CPU, against a float64
 * reference that libtorch computes without oneDNN.
 *
 * <p>On the project's AMD EPYC (Zen 4: AVX-512 with bf16) libtorch 2.5.1's oneDNN 3.5 was wrong, deterministically,
 * for small channel counts with its AVX-512 and AVX2 kernels, and right capped at AVX ({@code ONEDNN_MAX_CPU_ISA=AVX});
 * the libtorch 1.13.1 that densitylab runs is right there at every instruction set. The launcher probes each machine
 * for the fastest instruction set whose convolutions are right; docs/model-code.md has the scan per ISA.
 *
 * <p>The variable must be set before libtorch loads, so a Java service that embeds densitylab sets it in its
 * environment and can call {@link #requireCorrect} at start-up; the Trainer and the command line call it.
 */
public final class ConvolutionCheck {
    private static final float TOLERANCE = 1e-4f; // of the reference's largest magnitude
    private static volatile Optional<String> cached;

    private ConvolutionCheck() {
    }

    /**
     * The first wrong result on this CPU among the cases known to go wrong (a 1-channel input gradient in the
     * standard order, a channels-last 2-to-48-channel output), described for a person, or empty when both are
     * right. Computed once per process (a few milliseconds).
     */
    public static Optional<String> problem() {
        Optional<String> p = cached;
        if (p == null) {
            LibTorch.honourLogLevel(); // before libtorch's first operation, whose warnings it decides
            synchronized (ConvolutionCheck.class) {
                if (cached == null) {
                    List<String> wrong = new ArrayList<>();
                    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                        wrong.addAll(check(m, 2, 1, 1, 8, 3, 1, 1, false, 1L));
                        wrong.addAll(check(m, 8, 2, 48, 8, 3, 1, 1, true, 2L));
                    }
                    cached = wrong.stream().findFirst();
                }
                p = cached;
            }
        }
        return p;
    }

    /**
     * Throws unless {@link #problem} is empty, with a message that says what was wrong and how to fix it. The
     * environment variable {@code DENSITYLAB_CONVOLUTION_CHECK=off} skips the check (to measure the wrong kernels'
     * speed, say).
     *
     * @throws IllegalStateException when libtorch's convolutions compute wrong results on this CPU
     */
    public static void requireCorrect() {
        if ("off".equals(System.getenv("DENSITYLAB_CONVOLUTION_CHECK"))) {
            return;
        }
        problem().ifPresent(p -> {
            throw new IllegalStateException("libtorch's oneDNN convolutions compute wrong results on this CPU with "
                    + "ONEDNN_MAX_CPU_ISA=" + System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "(unset: all)")
                    + " (" + p + "), so training and scores would be wrong; set ONEDNN_MAX_CPU_ISA=AVX in the "
                    + "environment before the JVM starts (the densitylab launcher does), see docs/model-code.md "
                    + "(DENSITYLAB_CONVOLUTION_CHECK=off runs anyway)");
        });
    }

    /**
     * Every wrong case of batch-8 convolutions from each of {@code ins} to each of {@code outs} channels on square
     * images of each of {@code sizes}, with each {kernel, stride, padding} of {@code kernels}: the output, the
     * input gradient (with and without the weight gradient) and the weight gradient, in the standard order and
     * channels-last, three identical calls each. One line per wrong result; empty when all are right.
     */
    public static List<String> scan(int[] ins, int[] outs, int[] sizes, int[][] kernels) {
        List<String> wrong = new ArrayList<>();
        long seed = 1;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int in : ins) {
                for (int out : outs) {
                    for (int size : sizes) {
                        for (int[] k : kernels) {
                            for (boolean channelsLast : new boolean[] {false, true}) {
                                wrong.addAll(check(m, 8, in, out, size, k[0], k[1], k[2], channelsLast, seed++));
                            }
                        }
                    }
                }
            }
        }
        return wrong;
    }

    private static List<String> check(NDManager parent, int batch, int in, int out, int size, int kernel, int stride,
                                      int padding, boolean channelsLast, long seed) {
        List<String> wrong = new ArrayList<>();
        String name = String.format(Locale.ROOT, "%s %d-to-%d-channel %dx%d convolution of %dx%d images, stride %d",
                channelsLast ? "channels-last" : "standard-order", in, out, kernel, kernel, size, size, stride);
        try (NDManager m = parent.newSubManager()) {
            NDArray x = pseudoRandom(m, new Shape(batch, in, size, size), seed, 1f);
            NDArray w = pseudoRandom(m, new Shape(out, in, kernel, kernel), seed + 0.5, 0.1f);
            Shape s = new Shape(stride, stride);
            Shape p = new Shape(padding, padding);
            long outSize = (size + 2L * padding - kernel) / stride + 1;
            NDArray gout = pseudoRandom(m, new Shape(batch, out, outSize, outSize), seed + 0.25, 1f);
            NDArray[] want = run(x.toType(DataType.FLOAT64, true), w.toType(DataType.FLOAT64, true),
                    gout.toType(DataType.FLOAT64, true), s, p, false, true);
            String[] what = {"output", "input gradient", "weight gradient"};
            for (int call = 0; call < 3; call++) {
                NDArray[] both = run(x.duplicate(), w.duplicate(), gout, s, p, channelsLast, true);
                NDArray inputOnly = run(x.duplicate(), w.duplicate(), gout, s, p, channelsLast, false)[1];
                NDArray[] got = {both[0], both[1], both[2], inputOnly};
                for (int q = 0; q < got.length; q++) {
                    NDArray ref = want[q == 3 ? 1 : q].toType(DataType.FLOAT32, true);
                    float scale = Math.max(ref.abs().max().getFloat(), 1e-6f);
                    float err = got[q].sub(ref).abs().max().getFloat();
                    if (!(err <= TOLERANCE * scale)) { // NaN is wrong too
                        wrong.add(String.format(Locale.ROOT, "%s of a %s off by %.3g of %.3g, call %d", q == 3
                                ? "input gradient (weights fixed)" : what[q], name, err, scale, call + 1));
                    }
                }
            }
        }
        return wrong;
    }

    /**
     * Irregular values in [-scale, scale] without libtorch's random generator, whose global state a check must not
     * move (training draws from it).
     */
    private static NDArray pseudoRandom(NDManager m, Shape shape, double phase, float scale) {
        return m.arange(0f, (float) shape.size(), 1f).mul(0.7548776662).add(phase).sin().mul(43758.5453f)
                .sin().mul(scale).reshape(shape);
    }

    /** Output, input gradient and weight gradient (null unless weightGradient) of sum(conv(x, w) * gout). */
    private static NDArray[] run(NDArray x, NDArray w, NDArray gout, Shape stride, Shape padding, boolean channelsLast,
                                 boolean weightGradient) {
        x.setRequiresGradient(true);
        w.setRequiresGradient(weightGradient);
        NDArray y;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            y = Conv2d.conv2d(channelsLast ? MemoryLayout.channelsLast(x) : x, w, null, stride, padding)
                    .singletonOrThrow();
            gc.backward(y.mul(gout.toType(y.getDataType(), false)).sum());
        }
        return new NDArray[] {y.stopGradient().toType(DataType.FLOAT32, true), x.getGradient().toType(DataType.FLOAT32, true),
                weightGradient ? w.getGradient().toType(DataType.FLOAT32, true) : null};
    }
}
