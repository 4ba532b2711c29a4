package densitylab.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.MemoryOrder;
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
}
