package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.eval.Metrics;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The density over statistic vectors and the combined score built on it. */
class CombinedScoreTest {
    /** n points of a 2-D mixture: weight 0.3 at (-3, 0) with unit covariance, 0.7 at (2, 1) with correlation 0.8. */
    private static double[][] mixture(int n, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            double a = r.nextGaussian();
            double b = r.nextGaussian();
            x[i] = r.nextDouble() < 0.3 ? new double[] {-3 + a, b} : new double[] {2 + a, 1 + 0.8 * a + 0.6 * b};
        }
        return x;
    }

    @Test
    void bicFindsTheTwoComponentsAndTheFittedDensityIntegratesToOne() {
        StatisticsDensity d = StatisticsDensity.fit(mixture(4000, 1), 6, 7);
        assertThat(d.components()).isEqualTo(2);
        // integrate exp(log density) over a fine grid of the statistics' own units
        double step = 0.05;
        double sum = 0;
        double[][] grid = new double[1][];
        for (double a = -12; a <= 12; a += step) {
            for (double b = -10; b <= 12; b += step) {
                grid[0] = new double[] {a, b};
                sum += Math.exp(d.logDensity(grid)[0]) * step * step;
            }
        }
        assertThat(sum).isCloseTo(1.0, within(2e-3));
    }

    private static double std(double[][] x, int j) {
        double m = 0;
        for (double[] r : x) {
            m += r[j] / x.length;
        }
        double v = 0;
        for (double[] r : x) {
            v += (r[j] - m) * (r[j] - m) / x.length;
        }
        return Math.sqrt(v);
    }

    @Test
    void oneGaussianComponentIsTheClosedFormNormalDensity() {
        Random r = new Random(3);
        double[][] x = new double[3000][];
        for (int i = 0; i < x.length; i++) {
            double a = r.nextGaussian();
            x[i] = new double[] {a, 0.5 * a + r.nextGaussian(), r.nextGaussian()};
        }
        StatisticsDensity d = StatisticsDensity.fit(x, 1, 1);
        double[] probe = {0.3, -0.2, 1.1};
        double[] ld = d.logDensity(new double[][] {probe, probe});
        assertThat(ld[0]).isEqualTo(ld[1]);
        // a point at the sample mean is the mode: denser than any point a standard deviation away
        double[] mean = new double[3];
        for (double[] row : x) {
            for (int j = 0; j < 3; j++) {
                mean[j] += row[j] / x.length;
            }
        }
        double atMean = d.logDensity(new double[][] {mean})[0];
        for (int j = 0; j < 3; j++) {
            double[] off = mean.clone();
            off[j] += std(x, j);
            assertThat(d.logDensity(new double[][] {off})[0]).isLessThan(atMean);
        }
        // log N(mean; mean, Sigma) is -(d log 2pi + log det Sigma)/2, det Sigma = det R * prod var, R the correlations
        double rho = correlation(x, 0, 1);
        double logDet = Math.log(1 - rho * rho) + 2 * Math.log(std(x, 0) * std(x, 1) * std(x, 2)); // the third is independent
        assertThat(atMean).isCloseTo(-0.5 * (3 * Math.log(2 * Math.PI) + logDet), within(0.02));
    }

    private static double correlation(double[][] x, int a, int b) {
        double ma = 0, mb = 0;
        for (double[] r : x) {
            ma += r[a] / x.length;
            mb += r[b] / x.length;
        }
        double sab = 0;
        for (double[] r : x) {
            sab += (r[a] - ma) * (r[b] - mb) / x.length;
        }
        return sab / (std(x, a) * std(x, b));
    }

    @Test
    void theCombinationSeesWhatNoSingleStatisticSees() {
        // in-distribution: pixel 0 and pixel 1 move together; OOD: the same marginals, independent
        ImageSet in = pairs(3000, true, 1);
        ImageSet fit = pairs(3000, true, 2);
        ImageSet out = pairs(3000, false, 3);
        OodScore first = OodScore.of("first", x -> column(x, 0));
        OodScore second = OodScore.of("second", x -> column(x, 1));
        CombinedScore c = new CombinedScore(List.of(first, second), 0).fit(fit);
        assertThat(c.statisticNames()).containsExactly("first", "second");
        double combined = Metrics.auroc(c.score(in), c.score(out));
        assertThat(combined).isGreaterThan(0.85);
        for (OodScore s : List.of(first, second)) { // either tail of either marginal alone is chance
            double a = Metrics.auroc(s.score(in), s.score(out));
            assertThat(Math.max(a, 1 - a)).isLessThan(0.55);
        }
        assertThatThrownBy(() -> new CombinedScore(List.of(first), 0).score(in)).isInstanceOf(NotFittedException.class);
        assertThatThrownBy(() -> StatisticsDensity.fit(new double[3][2], 2, 0)).hasMessageContaining("at least 6");
    }

    private static ImageSet pairs(int n, boolean together, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 2];
        for (int i = 0; i < n; i++) {
            int a = (int) Math.round(128 + 30 * r.nextGaussian());
            int b = together ? (int) Math.round(a + 5 * r.nextGaussian()) : (int) Math.round(128 + 30.4 * r.nextGaussian());
            px[2 * i] = (byte) Math.max(0, Math.min(255, a));
            px[2 * i + 1] = (byte) Math.max(0, Math.min(255, b));
        }
        return ImageSet.of("pairs", 1, 1, 2, px, null);
    }

    private static double[] column(ImageSet x, int k) {
        double[] out = new double[x.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = x.pixel(i, 0, 0, k);
        }
        return out;
    }
}
