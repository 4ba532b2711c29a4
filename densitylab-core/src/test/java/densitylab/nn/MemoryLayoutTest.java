package densitylab.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryLayoutTest {
    @Test
    void channelsLastKeepsShapeValuesAndGradients() {
        relayoutKeepsShapeValuesAndGradients(3, MemoryLayout::channelsLast, MemoryOrder::isChannelsLast);
    }

    @Test
    void standardUndoesChannelsLastKeepingValuesAndGradients() {
        relayoutKeepsShapeValuesAndGradients(5, x -> MemoryLayout.standard(MemoryLayout.channelsLast(x)), MemoryOrder::isContiguous);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.randomNormal(new Shape(2, 3, 4, 5));
            assertThat(MemoryOrder.isContiguous(MemoryLayout.standard(x))).as("already standard: stays so").isTrue();
        }
    }

    /** relayout(x) has x's shape and values, is in the order inLayout tells (x is not), and passes gradients on. */
    private static void relayoutKeepsShapeValuesAndGradients(int seed, UnaryOperator<NDArray> relayout, Predicate<NDArray> inLayout) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            m.getEngine().setRandomSeed(seed);
            NDArray x = m.randomNormal(new Shape(2, 3, 4, 5)); // every dimension different, so a mixed-up axis shows
            NDArray w = m.randomNormal(new Shape(2, 3, 4, 5));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray moved = MemoryLayout.channelsLast(x);
                assertThat(inLayout.test(moved)).as("x and channelsLast(x) differ in layout").isNotEqualTo(inLayout.test(x));
                NDArray y = relayout.apply(x);
                assertThat(inLayout.test(y)).isTrue();
                assertThat(y.getShape()).isEqualTo(x.getShape());
                assertThat(y.toFloatArray()).containsExactly(x.toFloatArray());
                gc.backward(y.mul(w).sum());
            }
            assertThat(x.getGradient().toFloatArray()).containsExactly(w.toFloatArray());
        }
    }

    @Test
    void convolutionsGiveTheSameResultInEitherLayout() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            m.getEngine().setRandomSeed(4);
            NDArray x = m.randomNormal(new Shape(3, 2, 6, 7));
            NDArray w = m.randomNormal(new Shape(5, 2, 3, 3));
            NDArray b = m.randomNormal(new Shape(5));
            Shape one = new Shape(1, 1);
            NDArray plain = Conv2d.conv2d(x, w, b, one, one).singletonOrThrow();
            NDArray last = Conv2d.conv2d(MemoryLayout.channelsLast(x), w, b, one, one).singletonOrThrow();
            assertThat(last.getShape()).isEqualTo(new Shape(3, 5, 6, 7));
            assertThat(MemoryOrder.isChannelsLast(last)).as("the convolution keeps the layout").isTrue();
            assertThat(MemoryOrder.isChannelsLast(Activation.relu(last))).as("so do element-wise ops").isTrue();
            assertThat(last.sub(plain).abs().max().getFloat()).isLessThan(1e-5f);
            // an element-wise op mixing the two layouts lines the elements up by index, not by memory
            assertThat(last.sub(plain.mul(2)).add(plain).abs().max().getFloat()).isLessThan(1e-5f);
        }
    }

    @Test
    void rejectsAnythingButABatchOfImages() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThatThrownBy(() -> MemoryLayout.channelsLast(m.zeros(new Shape(2, 3, 4))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(2, 3, 4)");
        }
    }

    /**
     * The layout rule's evidence, kept as a test: channels-last convolutions' input gradients equal a float64 reference
     * (which libtorch computes without oneDNN) on every call, for few-channel shapes the GANs use (3x3 to 1-8 output
     * channels; 4x4 stride-2 from 1 channel at 28x28). In the standard order libtorch 2.5.1 got the 3x3 ones wrong on
     * this project's AMD EPYC (errors of order 1, NaN; docs/model-code.md). Not listed: 4x4 stride-2 from 1 or 2
     * channels at 8x8, which channels-last also got wrong once, on its first call in the full test suite.
     */
    @Test
    void channelsLastConvolutionInputGradientsMatchAFloat64Reference() {
        int[][] shapes = { // batch, in, out, size, kernel, stride
                {32, 64, 1, 28, 3, 1}, {8, 16, 2, 8, 3, 1}, {8, 16, 3, 8, 3, 1}, {8, 16, 8, 8, 3, 1},
                {32, 1, 32, 28, 4, 2}};
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            m.getEngine().setRandomSeed(1);
            for (int[] c : shapes) {
                NDArray x0 = m.randomNormal(new Shape(c[0], c[1], c[3], c[3]));
                NDArray w = Scalars.mul(m.randomNormal(new Shape(c[2], c[1], c[4], c[4])), 0.1);
                Shape stride = new Shape(c[5], c[5]);
                Shape pad = new Shape(1, 1);
                NDArray xd = x0.toType(ai.djl.ndarray.types.DataType.FLOAT64, true);
                xd.setRequiresGradient(true);
                NDArray gout = null;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = Conv2d.conv2d(xd, w.toType(ai.djl.ndarray.types.DataType.FLOAT64, true), null, stride, pad).singletonOrThrow();
                    gout = m.randomNormal(y.getShape()).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                    gc.backward(y.mul(gout).sum());
                }
                NDArray want = xd.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, true);
                float scale = want.abs().max().getFloat();
                for (int call = 0; call < 3; call++) {
                    NDArray x = x0.duplicate();
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = Conv2d.conv2d(MemoryLayout.channelsLast(x), w, null, stride, pad).singletonOrThrow();
                        gc.backward(y.mul(gout.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)).sum());
                    }
                    float err = x.getGradient().sub(want).abs().max().getFloat();
                    assertThat(err).as("conv %s, call %d", java.util.Arrays.toString(c), call).isLessThan(1e-5f * scale);
                }
            }
        }
    }
}
