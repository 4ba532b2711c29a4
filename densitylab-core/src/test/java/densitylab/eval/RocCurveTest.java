package densitylab.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Checks {@link Metrics#rocCurve}: endpoints, monotonicity, point count and area = {@link Metrics#auroc}. */
class RocCurveTest {

    private static double trapezoid(RocCurve c) {
        double[] x = c.fpr();
        double[] y = c.tpr();
        double area = 0.0;
        for (int i = 1; i < x.length; i++) {
            area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
        }
        return area;
    }

    private static void assertWellFormed(RocCurve c) {
        double[] x = c.fpr();
        double[] y = c.tpr();
        assertThat(x[0]).isZero();
        assertThat(y[0]).isZero();
        assertThat(x[x.length - 1]).isEqualTo(1.0);
        assertThat(y[y.length - 1]).isEqualTo(1.0);
        for (int i = 1; i < x.length; i++) {
            assertThat(x[i]).as("fpr[%d]", i).isGreaterThanOrEqualTo(x[i - 1]);
            assertThat(y[i]).as("tpr[%d]", i).isGreaterThanOrEqualTo(y[i - 1]);
        }
    }

    private static double[] gaussian(Random r, int n, double mean) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = mean + r.nextGaussian();
        }
        return v;
    }

    private static double[] integers(Random r, int n, int levels) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(levels);
        }
        return v;
    }

    @RepeatedTest(20)
    void areaEqualsAurocOnContinuousScores(RepetitionInfo rep) {
        Random r = new Random(rep.getCurrentRepetition());
        double[] in = gaussian(r, 1 + r.nextInt(300), 0.0);
        double[] out = gaussian(r, 1 + r.nextInt(300), r.nextDouble() * 2 - 0.5);
        RocCurve c = Metrics.rocCurve(in, out);
        assertWellFormed(c);
        assertThat(c.size()).isEqualTo(in.length + out.length + 1); // continuous: all scores distinct
        assertThat(trapezoid(c)).isCloseTo(Metrics.auroc(in, out), within(1e-12));
    }

    @RepeatedTest(20)
    void areaEqualsAurocWithTies(RepetitionInfo rep) {
        Random r = new Random(1000 + rep.getCurrentRepetition());
        int levels = 1 + r.nextInt(6);
        double[] in = integers(r, 1 + r.nextInt(200), levels);
        double[] out = integers(r, 1 + r.nextInt(200), levels + 1);
        RocCurve c = Metrics.rocCurve(in, out);
        assertWellFormed(c);
        long distinct = java.util.stream.DoubleStream.concat(
                java.util.Arrays.stream(in), java.util.Arrays.stream(out)).distinct().count();
        assertThat(c.size()).isEqualTo(distinct + 1);
        assertThat(trapezoid(c)).isCloseTo(Metrics.auroc(in, out), within(1e-12));
    }

    @Test
    void allTiedGivesTheDiagonal() {
        RocCurve c = Metrics.rocCurve(new double[] {2, 2, 2}, new double[] {2, 2});
        assertThat(c.fpr()).containsExactly(0.0, 1.0);
        assertThat(c.tpr()).containsExactly(0.0, 1.0);
        assertThat(trapezoid(c)).isEqualTo(0.5);
    }

    @Test
    void perfectSeparationAndInfinities() {
        double[] in = {Double.NEGATIVE_INFINITY, 0.0, 1.0};
        double[] out = {5.0, Double.POSITIVE_INFINITY};
        RocCurve c = Metrics.rocCurve(in, out);
        assertWellFormed(c);
        assertThat(c.tpr()).containsExactly(0.0, 0.5, 1.0, 1.0, 1.0, 1.0);
        assertThat(c.fpr()).containsExactly(0.0, 0.0, 0.0, 1.0 / 3, 2.0 / 3, 1.0);
        assertThat(trapezoid(c)).isEqualTo(1.0);
    }

    @Test
    void reversedScoresGiveAreaZeroAndInputsAreNotModified() {
        double[] in = {3.0, 1.0, 2.0};
        double[] out = {-1.0, 0.0};
        RocCurve c = Metrics.rocCurve(in, out);
        assertThat(trapezoid(c)).isZero();
        assertThat(in).containsExactly(3.0, 1.0, 2.0);
        assertThat(out).containsExactly(-1.0, 0.0);
    }

    @Test
    void rejectsWhatMetricsRejectsAndKeepsItsArrays() {
        assertThatThrownBy(() -> Metrics.rocCurve(new double[0], new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Metrics.rocCurve(new double[] {Double.NaN}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class);
        RocCurve c = Metrics.rocCurve(new double[] {0}, new double[] {1});
        c.fpr()[1] = 42;
        assertThat(c.fpr()[1]).isEqualTo(0.0);
    }
}
