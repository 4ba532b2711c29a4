package densitylab.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleBiFunction;
import org.junit.jupiter.api.Test;

class BootstrapTest {

    private static double[] gaussian(Random rng, int n, double mean) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = mean + rng.nextGaussian();
        }
        return a;
    }

    private final Random rng = new Random(11);
    private final double[] in = gaussian(rng, 200, 0.0);
    private final double[] out = gaussian(rng, 150, 1.5);

    @Test
    void intervalContainsThePointEstimate() {
        List<ToDoubleBiFunction<double[], double[]>> metrics =
                List.of(Metrics::auroc, Metrics::auprIn, Metrics::auprOut, Metrics::fpr95, Metrics::detectionError);
        for (ToDoubleBiFunction<double[], double[]> m : metrics) {
            Interval ci = Bootstrap.interval(in, out, m, 1000, 0.95, 123L);
            double point = m.applyAsDouble(in, out);
            assertThat(ci.level()).isEqualTo(0.95);
            assertThat(ci.contains(point)).as("%s contains %s", ci, point).isTrue();
            assertThat(ci.width()).isPositive();
        }
    }

    @Test
    void sameSeedGivesIdenticalIntervalAndOtherSeedDiffers() {
        Interval a = Bootstrap.interval(in, out, Metrics::auroc, 500, 0.9, 42L);
        Interval b = Bootstrap.interval(in, out, Metrics::auroc, 500, 0.9, 42L);
        Interval c = Bootstrap.interval(in, out, Metrics::auroc, 500, 0.9, 43L);
        assertThat(b).isEqualTo(a);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void narrowsWhenTheSetsGetTenTimesLarger() {
        Random big = new Random(12);
        double[] in10 = gaussian(big, 2000, 0.0);
        double[] out10 = gaussian(big, 1500, 1.5);
        Interval small = Bootstrap.interval(in, out, Metrics::auroc, 500, 0.95, 5L);
        Interval large = Bootstrap.interval(in10, out10, Metrics::auroc, 500, 0.95, 5L);
        // Width scales like 1/sqrt(n): expect about 0.32x; demand clearly narrower.
        assertThat(large.width()).isLessThan(0.6 * small.width());
    }

    @Test
    void higherLevelGivesWiderInterval() {
        Interval i80 = Bootstrap.interval(in, out, Metrics::auroc, 800, 0.80, 9L);
        Interval i99 = Bootstrap.interval(in, out, Metrics::auroc, 800, 0.99, 9L);
        assertThat(i99.low()).isLessThanOrEqualTo(i80.low());
        assertThat(i99.high()).isGreaterThanOrEqualTo(i80.high());
    }

    @Test
    void inputsAreNotModified() {
        double[] inCopy = in.clone();
        double[] outCopy = out.clone();
        Bootstrap.interval(in, out, Metrics::auroc, 50, 0.95, 1L);
        assertThat(in).containsExactly(inCopy);
        assertThat(out).containsExactly(outCopy);
    }

    @Test
    void quantileInterpolatesLinearly() {
        double[] sorted = {0.0, 1.0, 2.0, 3.0, 4.0};
        assertThat(Bootstrap.quantile(sorted, 0.0)).isEqualTo(0.0);
        assertThat(Bootstrap.quantile(sorted, 1.0)).isEqualTo(4.0);
        assertThat(Bootstrap.quantile(sorted, 0.025)).isEqualTo(0.1);
        assertThat(Bootstrap.quantile(new double[] {7.0}, 0.975)).isEqualTo(7.0);
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> Bootstrap.interval(in, out, Metrics::auroc, 0, 0.95, 1L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("replicates");
        assertThatThrownBy(() -> Bootstrap.interval(in, out, Metrics::auroc, 10, 1.0, 1L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("level");
        assertThatThrownBy(() -> Bootstrap.interval(new double[0], out, Metrics::auroc, 10, 0.95, 1L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("in scores");
        assertThatThrownBy(() -> Bootstrap.interval(in, new double[] {Double.NaN}, Metrics::auroc, 10, 0.95, 1L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
    }
}
