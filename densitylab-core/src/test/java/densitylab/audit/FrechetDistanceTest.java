package densitylab.audit;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FrechetDistanceTest {
    /** The square root of a 2x2 SPD matrix in closed form: (M + sqrt(det) I) / sqrt(tr + 2 sqrt(det)). */
    static double[][] sqrt2x2(double[][] m) {
        double s = Math.sqrt(m[0][0] * m[1][1] - m[0][1] * m[1][0]);
        double t = Math.sqrt(m[0][0] + m[1][1] + 2 * s);
        return new double[][] {{(m[0][0] + s) / t, m[0][1] / t}, {m[1][0] / t, (m[1][1] + s) / t}};
    }

    static double[][] mul(double[][] a, double[][] b) {
        return new double[][] {
            {a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]},
            {a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]}};
    }

    @Test
    void equalsTheClosedFormForTwoGaussiansWhoseCovariancesDoNotCommute() {
        double[] mu1 = {1, -2};
        double[] mu2 = {0.5, 3};
        double[][] s1 = {{2, 0.8}, {0.8, 1}};
        double[][] s2 = {{0.5, -0.3}, {-0.3, 3}};
        // tr sqrt(S1^1/2 S2 S1^1/2) by the 2x2 closed form, independently of the code's eigendecomposition
        double[][] r1 = sqrt2x2(s1);
        double[][] inner = mul(mul(r1, s2), r1);
        double[][] root = sqrt2x2(inner);
        double expected = Math.pow(mu1[0] - mu2[0], 2) + Math.pow(mu1[1] - mu2[1], 2)
                + s1[0][0] + s1[1][1] + s2[0][0] + s2[1][1] - 2 * (root[0][0] + root[1][1]);
        assertThat(FrechetDistance.between(mu1, s1, mu2, s2)).isCloseTo(expected, within(1e-12));
    }

    @Test
    void diagonalGaussiansGiveTheSumOfSquaredDifferencesOfMeansAndStandardDeviations() {
        int d = 40;
        double[] mu1 = new double[d];
        double[] mu2 = new double[d];
        double[][] s1 = new double[d][d];
        double[][] s2 = new double[d][d];
        double expected = 0;
        Random g = new Random(1);
        for (int i = 0; i < d; i++) {
            mu1[i] = g.nextGaussian();
            mu2[i] = g.nextGaussian();
            s1[i][i] = 0.1 + g.nextDouble();
            s2[i][i] = 0.1 + g.nextDouble();
            expected += Math.pow(mu1[i] - mu2[i], 2) + Math.pow(Math.sqrt(s1[i][i]) - Math.sqrt(s2[i][i]), 2);
        }
        assertThat(FrechetDistance.between(mu1, s1, mu2, s2)).isCloseTo(expected, within(1e-9));
    }

    @Test
    void theEigendecompositionReconstructsARandomSymmetricMatrix() {
        int d = 30;
        Random g = new Random(2);
        double[][] a = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                a[i][j] = a[j][i] = g.nextGaussian();
            }
        }
        FrechetDistance.Eigen e = FrechetDistance.symmetricEigen(a);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double v = 0;
                for (int k = 0; k < d; k++) {
                    v += e.vectors()[i][k] * e.values()[k] * e.vectors()[j][k];
                }
                assertThat(v).isCloseTo(a[i][j], within(1e-10));
            }
        }
    }

    @Test
    void featuresUseTheirMeanAndUnbiasedCovarianceAndASetIsAtDistanceZeroFromItself() {
        Features a = NeighboursTest.random("s", Features.Metric.L2, 300, 5, false, 3);
        Features b = NeighboursTest.random("s", Features.Metric.L2, 200, 5, false, 4);
        assertThat(FrechetDistance.of(a, a)).isCloseTo(0, within(1e-9));
        double[] m = FrechetDistance.mean(a);
        double[][] c = FrechetDistance.covariance(a, m);
        double c01 = 0;
        for (int i = 0; i < 300; i++) {
            c01 += (a.values()[i * 5] - m[0]) * (a.values()[i * 5 + 1] - m[1]);
        }
        assertThat(c[0][1]).isCloseTo(c01 / 299, within(1e-12));
        double[] mb = FrechetDistance.mean(b);
        assertThat(FrechetDistance.of(a, b)).isCloseTo(FrechetDistance.between(m, c, mb, FrechetDistance.covariance(b, mb)), within(1e-12));
    }
}
