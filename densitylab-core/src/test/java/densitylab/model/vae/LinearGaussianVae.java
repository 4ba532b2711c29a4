package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import densitylab.nn.Scalars;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A test-only linear-Gaussian VAE on 6-pixel images (y = x / 255): p(z) = N(0, I) with 2 latents,
 * p(y|z) = N(W z + b, s2 I) with orthogonal columns of W, so the exact posterior is Gaussian with a diagonal
 * covariance Sigma = (I + W'W / s2)^-1 and mean Sigma W'(y - b) / s2; the linear encoder mu = A y + c,
 * logvar = D y + d is set to it exactly (A = Sigma W' / s2, c = -A b, D = 0, d = log diag Sigma), or with its mean
 * shifted by a constant.
 */
final class LinearGaussianVae implements AmortizedVae, AutoCloseable {
    private static final int DIMS = 6;
    private static final int LATENT = 2;
    private static final double S2 = 0.01;
    private final NDManager manager = NDManager.newBaseManager();
    private final NDArray w;
    private final NDArray b;
    private final List<NDArray> encoder;

    LinearGaussianVae() {
        this(0);
    }

    /** The same model with the encoder's mean shifted by meanShift in every latent: its posterior is then not exact. */
    LinearGaussianVae(double meanShift) {
        float[] w1 = {0.3f, 0.1f, -0.2f, 0.0f, 0.25f, 0.1f};
        float[] w2 = new float[DIMS];
        float[] raw = {0.1f, -0.2f, 0.05f, 0.3f, 0.0f, 0.2f};
        double dot = 0;
        double n1 = 0;
        for (int i = 0; i < DIMS; i++) {
            dot += raw[i] * w1[i];
            n1 += w1[i] * w1[i];
        }
        for (int i = 0; i < DIMS; i++) {
            w2[i] = (float) (raw[i] - dot / n1 * w1[i]); // Gram-Schmidt: orthogonal to w1
        }
        float[] wv = new float[DIMS * LATENT]; // Linear weight (out = DIMS, in = LATENT)
        float[] av = new float[LATENT * DIMS];
        float[] bv = {0.5f, 0.45f, 0.55f, 0.5f, 0.48f, 0.52f};
        float[] cv = new float[LATENT];
        float[] dv = new float[LATENT];
        float[][] cols = {w1, w2};
        for (int k = 0; k < LATENT; k++) {
            double norm2 = 0;
            for (int i = 0; i < DIMS; i++) {
                wv[i * LATENT + k] = cols[k][i];
                norm2 += cols[k][i] * cols[k][i];
            }
            double sigma = 1 / (1 + norm2 / S2);
            dv[k] = (float) Math.log(sigma);
            double cb = 0;
            for (int i = 0; i < DIMS; i++) {
                av[k * DIMS + i] = (float) (sigma * cols[k][i] / S2);
                cb += av[k * DIMS + i] * bv[i];
            }
            cv[k] = (float) (meanShift - cb);
        }
        w = manager.create(wv, new Shape(DIMS, LATENT));
        b = manager.create(bv);
        encoder = List.of(manager.create(av, new Shape(LATENT, DIMS)), manager.create(cv),
                manager.zeros(new Shape(LATENT, DIMS)), manager.create(dv));
        parameters().forEach(p -> p.setRequiresGradient(true));
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public List<NDArray> parameters() {
        return List.of(w, b, encoder.get(0), encoder.get(1), encoder.get(2), encoder.get(3));
    }

    @Override
    public List<NDArray> encoderParameters() {
        return encoder;
    }

    private static NDArray scaled(NDArray x) {
        return Scalars.div(x.reshape(x.getShape().get(0), DIMS), 255);
    }

    @Override
    public NDList encode(NDArray x, List<NDArray> e) {
        NDArray y = scaled(x);
        return new NDList(Linear.linear(y, e.get(0), e.get(1)).singletonOrThrow(), Linear.linear(y, e.get(2), e.get(3)).singletonOrThrow());
    }

    @Override
    public NDArray elbo(NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        long n = x.getShape().get(0);
        NDArray y = scaled(x);
        NDArray z = eps.reshape(n, LATENT).mul(Scalars.mul(logvar, 0.5).exp()).add(mu);
        NDArray mean = Linear.linear(z, w, b).singletonOrThrow();
        NDArray rec = Scalars.mul(y.sub(mean).square().sum(new int[] {1}), -0.5 / S2).sub((float) (0.5 * DIMS * Math.log(2 * Math.PI * S2)));
        NDArray kl = Scalars.mul(mu.square().add(logvar.exp()).sub(1f).sub(logvar).sum(new int[] {1}), 0.5);
        return rec.sub(kl);
    }

    @Override
    public NDArray iwae(NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        long n = x.getShape().get(0);
        long k = eps.getShape().get(1);
        NDArray y = scaled(x).expandDims(1); // (n, 1, DIMS)
        NDArray sigma = Scalars.mul(logvar, 0.5).exp().expandDims(1);
        NDArray z = eps.mul(sigma).add(mu.expandDims(1)); // (n, k, LATENT)
        NDArray mean = Linear.linear(z.reshape(n * k, LATENT), w, b).singletonOrThrow().reshape(n, k, DIMS);
        double c = 0.5 * Math.log(2 * Math.PI);
        NDArray logLik = Scalars.mul(y.sub(mean).square().sum(new int[] {2}), -0.5 / S2).sub((float) (DIMS * (c + 0.5 * Math.log(S2))));
        NDArray logPrior = Scalars.mul(z.square().sum(new int[] {2}), -0.5).sub((float) (LATENT * c));
        NDArray logQ = Scalars.mul(eps.square().sum(new int[] {2}), -0.5).sub(Scalars.mul(logvar.sum(new int[] {1}), 0.5).expandDims(1))
                .sub((float) (LATENT * c));
        NDArray logW = logLik.add(logPrior).sub(logQ);
        NDArray max = logW.max(new int[] {1}, true);
        return logW.sub(max).exp().mean(new int[] {1}).log().add(max.squeeze(1));
    }

    @Override
    public NDArray scoringNoise(NDManager m, densitylab.data.ImageSet images, int k) {
        int n = images.size();
        long[] seeds = densitylab.nn.Dequantize.contentSeeds(images, 0);
        float[] v = new float[n * k * LATENT];
        for (int i = 0, o = 0; i < n; i++) {
            SplittableRandom r = new SplittableRandom(seeds[i]);
            for (int j = 0; j < k * LATENT; j++) {
                v[o++] = (float) r.nextGaussian();
            }
        }
        return m.create(v, new Shape(n, k, LATENT));
    }

    @Override
    public int scoringBatch() {
        return 64;
    }

    @Override
    public void close() {
        manager.close();
    }
}
