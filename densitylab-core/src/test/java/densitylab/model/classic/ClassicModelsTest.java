package densitylab.model.classic;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.nn.Dequantize;
import densitylab.model.GenerativeModel;
import densitylab.nn.Units;
import densitylab.model.registry.ModelKinds;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ClassicModelsTest {
    @TempDir
    Path tmp;

    /** Correlated images: a few smooth prototypes plus noise, so PCA and mixtures have structure to find. */
    static ImageSet structured(int n, int c, int h, int w, long seed) {
        Random r = new Random(seed);
        int d = c * h * w;
        double[][] protos = new double[3][d];
        for (double[] p : protos) {
            double a = r.nextDouble() * 6;
            for (int k = 0; k < d; k++) {
                p[k] = 128 + 90 * Math.sin(a + k * 0.7);
            }
        }
        byte[] px = new byte[n * d];
        for (int i = 0; i < n; i++) {
            double[] p = protos[r.nextInt(3)];
            double amp = 0.5 + r.nextDouble();
            for (int k = 0; k < d; k++) {
                px[i * d + k] = (byte) Math.max(0, Math.min(255, Math.round(128 + amp * (p[k] - 128) + 12 * r.nextGaussian())));
            }
        }
        return ImageSet.of("structured", c, h, w, px, null);
    }

    @Test
    void gaussianAttainsTheMaximumLikelihoodValueOnItsTrainingNoise() {
        ImageSet x = structured(300, 1, 3, 4, 1);
        // fitted to the noise the scores use (each image's drawn from a seed of its pixels)
        float[] y = Dequantize.scoring(x);
        DiagonalGaussian g = DiagonalGaussian.fit(y, x.size(), x.shape());
        double[] lp = g.logProb(x);
        // at the MLE: mean log N = -D/2 (1 + log 2 pi) - 1/2 sum log var; computed here from the data itself
        int d = x.dims();
        double expected = -d * Units.LOG_256 - 0.5 * d * (1 + Math.log(2 * Math.PI));
        for (int k = 0; k < d; k++) {
            double m = 0;
            double s = 0;
            for (int i = 0; i < x.size(); i++) {
                m += y[i * d + k];
            }
            m /= x.size();
            for (int i = 0; i < x.size(); i++) {
                s += (y[i * d + k] - m) * (y[i * d + k] - m);
            }
            expected -= 0.5 * Math.log(s / x.size());
        }
        assertThat(Units.mean(lp)).isCloseTo(expected, within(1e-6 * Math.abs(expected)));
    }

    @Test
    void ppcaLogDensityEqualsABruteForceMultivariateNormal() {
        ImageSet x = structured(200, 1, 2, 3, 2);
        Ppca p = Ppca.fit(x, 2, 7);
        int d = x.dims();
        DMatrixRMaj c = new DMatrixRMaj(d, d, true, p.covarianceMatrix());
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(d, true);
        DMatrixRMaj cc = c.copy();
        assertThat(chol.decompose(cc)).isTrue();
        double logDet = 0;
        DMatrixRMaj l = chol.getT(null);
        for (int i = 0; i < d; i++) {
            logDet += 2 * Math.log(l.get(i, i));
        }
        DMatrixRMaj inv = new DMatrixRMaj(d, d);
        CommonOps_DDRM.invert(c, inv);
        float[] y = Dequantize.scoring(x);
        double[] mean = p.mean();
        double[] lp = p.logProb(x);
        for (int i = 0; i < 20; i++) {
            double quad = 0;
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    quad += (y[i * d + a] - mean[a]) * inv.get(a, b) * (y[i * d + b] - mean[b]);
                }
            }
            double brute = -0.5 * (d * Math.log(2 * Math.PI) + logDet + quad) - d * Units.LOG_256;
            assertThat(lp[i]).isCloseTo(brute, within(1e-6 * Math.abs(brute)));
        }
    }

    @Test
    void ppcaBeatsTheDiagonalGaussianOnCorrelatedData() {
        ImageSet train = structured(500, 1, 4, 4, 3);
        ImageSet test = structured(300, 1, 4, 4, 4);
        double ppca = Units.mean(Ppca.fit(train, 3, 1).bitsPerDim(test));
        double diag = Units.mean(DiagonalGaussian.fit(train, 1).bitsPerDim(test));
        assertThat(ppca).isLessThan(diag - 0.1);
    }

    @Test
    void emNeverDecreasesTheLikelihood() {
        ImageSet x = structured(400, 1, 4, 4, 5);
        GaussianMixture.Fit fit = GaussianMixture.fit(x, 3, 15, 9);
        double[] t = fit.trace();
        assertThat(t.length).isGreaterThan(2);
        for (int i = 1; i < t.length; i++) {
            assertThat(t[i]).as("EM step %d", i).isGreaterThanOrEqualTo(t[i - 1] - 1e-9 * Math.abs(t[i - 1]));
        }
        // three prototypes: three components fit far better than one
        double one = Units.mean(GaussianMixture.fit(x, 1, 15, 9).model().bitsPerDim(x));
        assertThat(Units.mean(fit.model().bitsPerDim(x))).isLessThan(one - 0.1);
    }

    @Test
    void oneComponentMixtureIsTheDiagonalGaussian() {
        ImageSet x = structured(150, 1, 3, 3, 6);
        double[] gmm = GaussianMixture.fit(x, 1, 5, 4).model().logProb(x);
        double[] diag = DiagonalGaussian.fit(x, 4).logProb(x);
        for (int i = 0; i < x.size(); i++) {
            assertThat(gmm[i]).isCloseTo(diag[i], within(1e-6 * Math.abs(diag[i])));
        }
    }

    @Test
    void saveAndLoadReproduceLogProbsAndSamplesExactly() throws Exception {
        ImageSet x = structured(120, 1, 3, 3, 8);
        GenerativeModel[] models = {DiagonalGaussian.fit(x, 1), Ppca.fit(x, 2, 1), GaussianMixture.fit(x, 2, 5, 1).model()};
        for (GenerativeModel m : models) {
            Path dir = tmp.resolve(m.kind());
            m.save(dir);
            DensityModel back = (DensityModel) ModelKinds.load(dir);
            assertThat(back.kind()).isEqualTo(m.kind());
            assertThat(back.logProb(x)).isEqualTo(((DensityModel) m).logProb(x));
            assertThat(back.sample(5, 3).sameContent(m.sample(5, 3))).isTrue();
        }
    }

    @Test
    void samplesFollowTheModel() {
        ImageSet x = structured(400, 1, 3, 3, 9);
        DiagonalGaussian g = DiagonalGaussian.fit(x, 1);
        ImageSet s = g.sample(2000, 5);
        assertThat(s.shape()).containsExactly(1, 3, 3);
        double[] sm = densitylab.data.ImageStats.of(s).mean();
        double[] xm = densitylab.data.ImageStats.of(x).mean();
        assertThat(sm[0]).isCloseTo(xm[0], within(3.0));
        assertThat(s.sameContent(g.sample(2000, 6))).isFalse();
    }

    @Test
    void wrongShapeNamesBothShapes() {
        DiagonalGaussian g = DiagonalGaussian.fit(structured(10, 1, 3, 3, 1), 1);
        assertThatThrownBy(() -> g.logProb(structured(2, 3, 3, 3, 1)))
                .hasMessageContaining("1x3x3").hasMessageContaining("3x3x3").hasMessageContaining("resize")
                .isInstanceOfSatisfying(densitylab.io.SettingException.class, e -> assertThat(e.settings()).containsExactly("resize"));
    }
}
