package densitylab.eval;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The batch typicality test under a Gaussian model, whose per-input bits/dim we can draw exactly. */
class BatchTypicalityTest {
    private static final int D = 16;

    /** Bits/dim of n inputs x ~ N(shift, 1)^D under the model N(0, 1)^D. */
    private static double[] bpd(int n, double shift, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double nats = 0;
            for (int d = 0; d < D; d++) {
                double x = shift + r.nextGaussian();
                nats += 0.5 * x * x + 0.5 * Math.log(2 * Math.PI);
            }
            out[i] = nats / (D * Math.log(2));
        }
        return out;
    }

    @Test
    void flagsTheModelsOwnBatchesAtTheFalseAlarmRateAndShiftedOnesMoreOftenAsMGrows() {
        int[] ms = {1, 2, 5, 10, 25};
        int batches = 4000;
        BatchTypicality.Result r = BatchTypicality.run(bpd(40_000, 0, 1), Map.of("shifted", bpd(20_000, 0.6, 2)), ms, 0.01,
                batches, 3);
        // binomial sd of a rate of 0.01 over 4000 batches is 0.0016; the thresholds' own estimate adds about as much
        for (double fa : r.falseAlarms()) {
            assertThat(fa).isBetween(0.0025, 0.0175);
        }
        double[] det = r.detection().get("shifted");
        for (int i = 1; i < ms.length; i++) {
            assertThat(det[i]).as("M = " + ms[i]).isGreaterThan(det[i - 1]);
        }
        assertThat(det[0]).isLessThan(0.2);
        assertThat(det[ms.length - 1]).isGreaterThan(0.9);
        assertThat(r.detectionAt("shifted", 25)).isEqualTo(det[ms.length - 1]);
        assertThat(r.entropy()).isCloseTo((0.5 + 0.5 * Math.log(2 * Math.PI)) / Math.log(2), org.assertj.core.api.Assertions.within(0.01));
    }

    @Test
    void isDeterministicInItsSeedAndRefusesTooFewScores() {
        double[] in = bpd(500, 0, 1);
        Map<String, double[]> out = Map.of("o", bpd(500, 1, 2));
        assertThat(BatchTypicality.run(in, out, 7).detection().get("o")).isEqualTo(BatchTypicality.run(in, out, 7).detection().get("o"));
        assertThatThrownBy(() -> BatchTypicality.run(new double[3], out, 7)).hasMessageContaining("at least 4");
    }
}
