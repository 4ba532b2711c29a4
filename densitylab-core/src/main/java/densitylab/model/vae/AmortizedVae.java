package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.List;

/**
 * What likelihood regret needs of a VAE: an encoder whose weights can be swapped for a copy, the ELBO and the
 * importance-weighted bound of a given Gaussian posterior, and seeded scoring noise. {@link ConvVae} is one; a test
 * builds a linear-Gaussian one whose exact posterior is known.
 */
public interface AmortizedVae {
    /** The manager that owns the parameters. */
    NDManager manager();

    /** Every parameter (encoder and decoder). */
    List<NDArray> parameters();

    /** The encoder's parameters, in the order {@link #encode(NDArray, List)} takes them. */
    List<NDArray> encoderParameters();

    /** q(z|x) as (mu, logvar), each (B, L), for raw pixels x (B, C, H, W), computed with the given encoder weights. */
    NDList encode(NDArray x, List<NDArray> encoderWeights);

    /** The ELBO per example in nats for the posterior (mu, logvar), each (B, L), and noise eps (B, 1, L). */
    NDArray elbo(NDArray x, NDArray mu, NDArray logvar, NDArray eps);

    /**
     * The importance-weighted estimate log (1/K) sum_k p(x, z_k) / q(z_k) per example in nats, with the Gaussian
     * proposal q = (mu, logvar), each (B, L), and z_k = mu + exp(logvar / 2) eps_k for noise eps (B, K, L). For
     * scoring only: an implementation may free intermediates as it goes, so not under a gradient collector.
     */
    NDArray iwae(NDArray x, NDArray mu, NDArray logvar, NDArray eps);

    /**
     * Standard-normal noise (B, K, L) for the B images of a scored batch, each image's from a seed of its pixel values
     * ({@code Dequantize.contentSeeds}), so an image's score does not depend on the set or batch it is in.
     */
    NDArray scoringNoise(NDManager m, densitylab.data.ImageSet images, int k);

    /** Images per batch when many are scored at once. */
    int scoringBatch();
}
