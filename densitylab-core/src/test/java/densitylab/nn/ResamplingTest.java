package densitylab.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ResamplingTest {
    /**
     * The phase-by-phase convolution satisfies the adjoint identity of a linear map in x, and equals convolving the zero-interleaved array and cropping, in value and in the
     * gradients of the input and the kernel, for the kernels and paddings the models use (PixelCNN++'s shifted 2x3 and
     * 2x2 transposed layers, the GAN critic's 4x4 transposed stride-2 convolution) and odd and even crops.
     */
    @ParameterizedTest(name = "kernel {0}x{1}, padding {2},{3}, output {4}x{5}")
    @CsvSource({"2,3,1,1,10,8", "2,2,1,1,10,8", "2,3,1,1,9,7", "2,2,1,1,7,5", "4,4,2,2,9,7", "3,3,0,2,8,9", "2,3,1,1,3,2"})
    void convolvingPhaseByPhaseEqualsConvolvingTheInterleavedArray(int kh, int kw, int ph, int pw, int outH, int outW) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 5, 4));
            NDArray w = m.randomNormal(new Shape(4, 3, kh, kw));
            NDArray b = m.randomNormal(new Shape(4));
            NDArray up = m.randomNormal(new Shape(2, 4, outH, outW)); // a random upstream gradient
            NDArray x2 = x.duplicate();
            NDArray w2 = w.duplicate();
            for (NDArray leaf : new NDArray[] {x, w, x2, w2}) {
                leaf.setRequiresGradient(true);
            }
            float[] fast;
            float[] reference;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = Resampling.convOverInterleaved(x, w, b, ph, pw, outH, outW);
                assertThat(y.getShape()).isEqualTo(new Shape(2, 4, outH, outW));
                fast = y.toFloatArray();
                gc.backward(y.mul(up).sum());
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // channels-last: oneDNN's AVX-512 backward-data kernel gives wrong input gradients for standard-order
                // convolutions on this project's CPUs (see ConvVae); this reference showed it (NaN gradients) until it
                // converted its input as every model does
                NDArray y = Conv2d.conv2d(MemoryLayout.channelsLast(Resampling.interleaveZeros(x2)), w2, b, new Shape(1, 1), new Shape(ph, pw)).singletonOrThrow()
                        .get(":, :, 0:" + outH + ", 0:" + outW);
                reference = y.toFloatArray();
                gc.backward(y.mul(up).sum());
            }
            float[][] grads = {x.getGradient().toFloatArray(), w.getGradient().toFloatArray(), x2.getGradient().toFloatArray(),
                    w2.getGradient().toFloatArray()};
            // both are linear in x: <f(x') - f(0), up> = <x', df/dx . up> for any x'
            NDArray probe = m.randomNormal(x.getShape());
            NDArray zero = m.zeros(x.getShape());
            double lhsFast = Resampling.convOverInterleaved(probe, w, b, ph, pw, outH, outW)
                    .sub(Resampling.convOverInterleaved(zero, w, b, ph, pw, outH, outW)).mul(up).sum().getFloat();
            double rhsFast = probe.mul(x.getGradient()).sum().getFloat();
            assertThat(rhsFast).as("adjoint identity of the input gradient").isCloseTo(lhsFast, within(1e-4 * Math.abs(lhsFast) + 1e-4));
            assertClose(fast, reference, "output");
            assertClose(grads[0], grads[2], "input gradient");
            assertClose(grads[1], grads[3], "kernel gradient");
        }
    }

    private static void assertClose(float[] a, float[] b, String what) {
        assertThat(a).as(what).hasSameSizeAs(b);
        double scale = 0;
        for (float v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(scale).as(what + " is not all zeros").isPositive();
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).as("%s [%d]", what, i).isCloseTo(b[i], within(1e-5 * scale + 1e-6));
        }
    }
}
