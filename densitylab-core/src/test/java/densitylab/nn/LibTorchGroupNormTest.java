package densitylab.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LibTorchGroupNormTest {
    /** Group norm then SiLU, in double precision from the definition: per sample and group, (x - mean) / sqrt(var + eps). */
    private static double[] reference(double[] x, int b, int c, int hw, int groups, double[] gamma, double[] beta, boolean silu) {
        double[] y = new double[x.length];
        int per = c / groups;
        for (int n = 0; n < b; n++) {
            for (int g = 0; g < groups; g++) {
                int from = (n * c + g * per) * hw;
                int count = per * hw;
                double mean = 0;
                for (int i = 0; i < count; i++) {
                    mean += x[from + i];
                }
                mean /= count;
                double var = 0;
                for (int i = 0; i < count; i++) {
                    var += (x[from + i] - mean) * (x[from + i] - mean);
                }
                var /= count; // biased, as group norm uses
                for (int i = 0; i < count; i++) {
                    int channel = g * per + i / hw;
                    double v = (x[from + i] - mean) / Math.sqrt(var + 1e-5) * gamma[channel] + beta[channel];
                    y[from + i] = silu ? v / (1 + Math.exp(-v)) : v;
                }
            }
        }
        return y;
    }

    /** A weighted sum of the outputs, whose gradient the test checks by central differences. */
    private static double objective(double[] x, int b, int c, int hw, int groups, double[] gamma, double[] beta, double[] up) {
        double[] y = reference(x, b, c, hw, groups, gamma, beta, true);
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += y[i] * up[i];
        }
        return s;
    }

    @ParameterizedTest(name = "{0} channels in {1} groups, silu {2}, channels-last {3}")
    @CsvSource({"16,2,true,false", "16,2,false,false", "12,3,true,false", "8,1,true,false", "6,6,false,false",
            "16,2,true,true", "12,3,false,true"})
    void equalsTheDefinitionInDoublePrecisionInEitherMemoryOrder(int c, int groups, boolean silu, boolean channelsLast) {
        try (NDManager m = NDManager.newBaseManager()) {
            int b = 3;
            int hw = 5 * 4;
            NDArray x = m.randomNormal(2, 3, new Shape(b, c, 5, 4), DataType.FLOAT32);
            NDArray gamma = m.randomNormal(new Shape(1, c, 1, 1));
            NDArray beta = m.randomNormal(new Shape(1, c, 1, 1));
            double[] expected = reference(toDouble(x), b, c, hw, groups, toDouble(gamma), toDouble(beta), silu);
            NDArray y = LibTorch.groupNorm(channelsLast ? MemoryLayout.channelsLast(x) : x, groups, gamma, beta, silu);
            assertThat(channelsLast ? MemoryOrder.isChannelsLast(y) : MemoryOrder.isContiguous(y)).as("keeps the memory order").isTrue();
            float[] actual = MemoryLayout.standard(y).toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertThat((double) actual[i]).as("element " + i).isCloseTo(expected[i], within(2e-5 * (1 + Math.abs(expected[i]))));
            }
        }
    }

    @Test
    void itsGradientsInTheInputScaleAndShiftMatchCentralDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            int b = 2;
            int c = 8;
            int groups = 2;
            int hw = 3 * 3;
            NDArray x = m.randomNormal(new Shape(b, c, 3, 3));
            NDArray gamma = m.randomNormal(new Shape(c));
            NDArray beta = m.randomNormal(new Shape(c));
            NDArray up = m.randomNormal(new Shape(b, c, 3, 3));
            for (NDArray leaf : new NDArray[] {x, gamma, beta}) {
                leaf.setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(LibTorch.groupNorm(x, groups, gamma, beta, true).mul(up).sum());
            }
            double[] xs = toDouble(x);
            double[] gs = toDouble(gamma);
            double[] bs = toDouble(beta);
            double[] ups = toDouble(up);
            double[][] leaves = {xs, gs, bs};
            float[][] grads = {x.getGradient().toFloatArray(), gamma.getGradient().toFloatArray(), beta.getGradient().toFloatArray()};
            double h = 1e-5;
            for (int l = 0; l < leaves.length; l++) {
                double[] v = leaves[l];
                for (int i = 0; i < v.length; i++) {
                    double keep = v[i];
                    v[i] = keep + h;
                    double plus = objective(xs, b, c, hw, groups, gs, bs, ups);
                    v[i] = keep - h;
                    double minus = objective(xs, b, c, hw, groups, gs, bs, ups);
                    v[i] = keep;
                    double numeric = (plus - minus) / (2 * h);
                    assertThat((double) grads[l][i]).as("leaf " + l + " element " + i).isCloseTo(numeric, within(1e-3 * (1 + Math.abs(numeric))));
                }
            }
        }
    }

    @Test
    void groupsThatDoNotDivideTheChannelsAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 6, 2, 2));
            assertThatThrownBy(() -> LibTorch.groupNorm(x, 4, m.ones(new Shape(6)), m.zeros(new Shape(6)), true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 groups do not divide 6 channels");
        }
    }

    private static double[] toDouble(NDArray a) {
        float[] f = a.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
