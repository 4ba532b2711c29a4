package densitylab.audit;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PrecisionRecallTest {
    static Features gaussian(int n, int d, double centre, double spread, long seed) {
        Random g = new Random(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (centre + spread * g.nextGaussian());
        }
        return new Features("s", Features.Metric.L2, n, d, v);
    }

    @Test
    void aSetAgainstItselfHasPrecisionAndRecallOne() {
        Features a = gaussian(400, 6, 0, 1, 1);
        PrecisionRecall pr = PrecisionRecall.of(a, a, 3);
        assertThat(pr.precision()).isEqualTo(1.0);
        assertThat(pr.recall()).isEqualTo(1.0);
    }

    @Test
    void twoDrawsOfOneDistributionScoreHighAndDisjointSetsScoreZero() {
        PrecisionRecall same = PrecisionRecall.of(gaussian(1000, 4, 0, 1, 2), gaussian(1000, 4, 0, 1, 3), 3);
        assertThat(same.precision()).isGreaterThan(0.85);
        assertThat(same.recall()).isGreaterThan(0.85);
        PrecisionRecall far = PrecisionRecall.of(gaussian(300, 4, 0, 1, 4), gaussian(300, 4, 100, 1, 5), 3);
        assertThat(far.precision()).isZero();
        assertThat(far.recall()).isZero();
    }

    @Test
    void aCollapsedGeneratorIsPreciseButRecallsLittle() {
        Features real = gaussian(1000, 4, 0, 1, 6);
        Features collapsed = gaussian(1000, 4, 0, 0.05, 7); // every sample near the mode
        PrecisionRecall pr = PrecisionRecall.of(real, collapsed, 3);
        assertThat(pr.precision()).isGreaterThan(0.95);
        assertThat(pr.recall()).isLessThan(0.2);
    }
}
