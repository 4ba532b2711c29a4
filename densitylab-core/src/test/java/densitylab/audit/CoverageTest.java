package densitylab.audit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CoverageTest {
    @Test
    void countsClassesWithAtLeastHalfTheirTrainingShareAndTheSmoothedKl() {
        int[] train = {0, 0, 1, 1, 2, 2, 3, 3};
        int[] samples = {0, 0, 0, 1, 1, 1, 2, 0}; // class 2 at 1/8 (half of 1/4: covered), class 3 dropped
        Coverage c = Coverage.of(train, samples, 4);
        assertThat(c.covered()).isEqualTo(3);
        assertThat(c.sampleShare()).containsExactly(0.5, 0.375, 0.125, 0.0);
        double[] smoothed = {4.5 / 10, 3.5 / 10, 1.5 / 10, 0.5 / 10};
        double kl = 0;
        for (double s : smoothed) {
            kl += 0.25 * Math.log(0.25 / s);
        }
        assertThat(c.kl()).isCloseTo(kl, within(1e-12));
        assertThat(Coverage.of(train, new int[] {2, 2, 2}, 4).covered()).isEqualTo(1);
    }
}
