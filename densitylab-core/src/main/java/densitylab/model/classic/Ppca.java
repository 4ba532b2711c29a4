package densitylab.model.classic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.nn.Dequantize;
import densitylab.nn.ModelFiles;
import densitylab.model.Shapes;
import densitylab.nn.Units;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Probabilistic PCA (Tipping &amp; Bishop 1999) on dequantized pixels, fitted in closed form:
 * y ~ N(mu, W W^T + sigma^2 I) with W from the top q eigenvectors of the sample covariance and
 * sigma^2 the mean of the remaining eigenvalues. Its log-likelihood is analytic.
 */
public final class Ppca implements DensityModel {
    private final int[] shape;
    private final double[] mean;        // D
    private final double[] components;  // q x D, orthonormal rows (eigenvectors)
    private final double[] eigenvalues; // q, the variances along the components (> sigma2)
    private final double sigma2;

    Ppca(int[] shape, double[] mean, double[] components, double[] eigenvalues, double sigma2) {
        this.shape = shape.clone();
        this.mean = mean;
        this.components = components;
        this.eigenvalues = eigenvalues;
        this.sigma2 = sigma2;
    }

    /** The maximum-likelihood PPCA with q components of one seeded dequantization of the images. */
    public static Ppca fit(ImageSet train, int q, long seed) {
        int d = train.dims();
        int n = train.size();
        if (q < 0 || q >= d) {
            throw new IllegalArgumentException("ppca components must be in 0.." + (d - 1) + ", got " + q);
        }
        if (n < 2) {
            throw new IllegalArgumentException("ppca needs at least 2 images, got " + n);
        }
        float[] y = Dequantize.uniform(train, seed);
        double[] mean = Dequantize.columnMeans(y, n, d);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                y[i * d + k] -= (float) mean[k];
            }
        }
        double[] cov = covariance(y, n, d);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(new DMatrixRMaj(d, d, true, cov))) {
            throw new IllegalStateException("eigendecomposition of the covariance failed");
        }
        Integer[] order = new Integer[d];
        double[] ev = new double[d];
        for (int i = 0; i < d; i++) {
            order[i] = i;
            ev[i] = Math.max(eig.getEigenvalue(i).getReal(), 0);
        }
        Arrays.sort(order, (a, b) -> Double.compare(ev[b], ev[a]));
        double rest = 0;
        for (int i = q; i < d; i++) {
            rest += ev[order[i]];
        }
        double sigma2 = Math.max(DiagonalGaussian.MIN_VARIANCE, rest / (d - q));
        double[] comps = new double[q * d];
        double[] lambdas = new double[q];
        for (int j = 0; j < q; j++) {
            DMatrixRMaj v = eig.getEigenVector(order[j]);
            double norm = 0;
            for (int k = 0; k < d; k++) {
                norm += v.get(k) * v.get(k);
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < d; k++) {
                comps[j * d + k] = v.get(k) / norm;
            }
            lambdas[j] = Math.max(ev[order[j]], sigma2);
        }
        return new Ppca(train.shape(), mean, comps, lambdas, sigma2);
    }

    /** (1/n) Y^T Y for centred row-major Y (n x d), with libtorch's matrix product. */
    private static double[] covariance(float[] y, int n, int d) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(y, new Shape(n, d));
            NDArray c = x.transpose().dot(x).div(n);
            float[] f = c.toFloatArray();
            double[] out = new double[f.length];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    out[i * d + j] = 0.5 * (f[i * d + j] + f[j * d + i]); // exactly symmetric
                }
            }
            return out;
        }
    }

    /** log N(y; mu, C) for one point y on the [0,1) scale (length D), C = W W^T + sigma^2 I: the analytic marginal. */
    public double logDensity(float[] y) {
        return logDensity(y, 0);
    }

    /** The loadings W (D x q, row-major) of the generative model y = W z + mu + noise, z ~ N(0, I). */
    public double[] loadings() {
        int d = mean.length;
        int q = eigenvalues.length;
        double[] w = new double[d * q];
        for (int j = 0; j < q; j++) {
            double s = Math.sqrt(eigenvalues[j] - sigma2);
            for (int k = 0; k < d; k++) {
                w[k * q + j] = s * components[j * d + k];
            }
        }
        return w;
    }

    /** The isotropic noise variance sigma^2. */
    public double noiseVariance() {
        return sigma2;
    }

    /** Number of latent dimensions q. */
    public int latentDims() {
        return eigenvalues.length;
    }

    /** log N(y; mu, C) for one dequantized image y (length D), C = W W^T + sigma^2 I. */
    double logDensity(float[] y, int offset) {
        int d = mean.length;
        int q = eigenvalues.length;
        double norm2 = 0;
        double[] diff = new double[d];
        for (int k = 0; k < d; k++) {
            diff[k] = y[offset + k] - mean[k];
            norm2 += diff[k] * diff[k];
        }
        double quad = 0;
        double projected = 0;
        double logDet = (d - q) * Math.log(sigma2);
        for (int j = 0; j < q; j++) {
            double p = 0;
            for (int k = 0; k < d; k++) {
                p += components[j * d + k] * diff[k];
            }
            quad += p * p / eigenvalues[j];
            projected += p * p;
            logDet += Math.log(eigenvalues[j]);
        }
        quad += Math.max(0, norm2 - projected) / sigma2;
        return -0.5 * (d * Math.log(2 * Math.PI) + logDet + quad);
    }

    @Override
    public String kind() {
        return "ppca";
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** The full covariance W W^T + sigma^2 I (D x D, row-major); for tests on tiny images. */
    double[] covarianceMatrix() {
        int d = mean.length;
        double[] c = new double[d * d];
        for (int i = 0; i < d; i++) {
            c[i * d + i] = sigma2;
        }
        for (int j = 0; j < eigenvalues.length; j++) {
            double w = eigenvalues[j] - sigma2;
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    c[a * d + b] += w * components[j * d + a] * components[j * d + b];
                }
            }
        }
        return c;
    }

    /** The mean mu (length D). */
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] logProb(ImageSet images) {
        Shapes.check(this, images);
        int d = images.dims();
        float[] y = Dequantize.scoring(images);
        return IntStream.range(0, images.size()).parallel()
                .mapToDouble(i -> logDensity(y, i * d) - d * Units.LOG_256).toArray();
    }

    @Override
    public ImageSet sample(int n, long seed) {
        int d = mean.length;
        int q = eigenvalues.length;
        Random g = new Random(new SplittableRandom(seed).nextLong());
        byte[] px = new byte[n * d];
        double sigma = Math.sqrt(sigma2);
        double[] y = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                y[k] = mean[k] + sigma * g.nextGaussian();
            }
            for (int j = 0; j < q; j++) {
                double z = Math.sqrt(eigenvalues[j] - sigma2) * g.nextGaussian();
                for (int k = 0; k < d; k++) {
                    y[k] += z * components[j * d + k];
                }
            }
            for (int k = 0; k < d; k++) {
                px[i * d + k] = Dequantize.quantize(y[k]);
            }
        }
        return ImageSet.of("ppca samples", shape[0], shape[1], shape[2], px, null);
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeArrays(dir, Map.of("mean", mean, "components", components, "eigenvalues", eigenvalues,
                "sigma2", new double[] {sigma2}));
        ModelFiles.writeMeta(dir, kind(), shape, Map.of("components", eigenvalues.length));
    }

    static Ppca load(Path dir) throws IOException {
        var meta = ModelFiles.readMeta(dir);
        var a = ModelFiles.readArrays(dir);
        return new Ppca(ModelFiles.shape(meta), ModelFiles.require(a, "mean", dir), ModelFiles.require(a, "components", dir),
                ModelFiles.require(a, "eigenvalues", dir), ModelFiles.require(a, "sigma2", dir)[0]);
    }
}
