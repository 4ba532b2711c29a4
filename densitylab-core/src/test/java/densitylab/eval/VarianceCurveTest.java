package densitylab.eval;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class VarianceCurveTest {
    @Test
    void theQuadraticFitRecoversALineInCSquaredAndMeasuresHowFarACurveIsFromIt() {
        double[] c = {0.1, 0.3, 0.5, 0.7, 1.0};
        double[] line = new double[c.length];
        double[] bent = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            line[i] = 2.0 + 1.5 * c[i] * c[i];
            bent[i] = c[i] < 0.6 ? 5 : 1; // a step: no line in c^2 comes near it
        }
        VarianceCurve v = new VarianceCurve(c, Map.of("line", line, "bent", bent));
        VarianceCurve.Fit f = v.quadraticFit("line");
        assertThat(f.a()).isCloseTo(2.0, within(1e-12));
        assertThat(f.b()).isCloseTo(1.5, within(1e-12));
        assertThat(f.maxResidual()).isCloseTo(0.0, within(1e-12));
        assertThat(f.holds()).isTrue();
        assertThat(v.quadraticFit("bent").holds()).isFalse();
    }
}
