package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.nn.Units;
import densitylab.model.vae.ConvVae;
import densitylab.model.vae.LikelihoodRegret;

/** The VAE-side scores: elbo, iwae, reconstruction and likelihood-regret. */
final class VaeScores {
    private VaeScores() {
    }

    /** {@code elbo}: -ELBO in bits/dim. */
    static OodScore elbo(ConvVae vae) {
        return OodScore.of("elbo", x -> Units.bitsPerDim(vae.elbo(x), x.dims()));
    }

    /** {@code iwae}: -log of the importance-weighted estimate with k samples, in bits/dim. */
    static OodScore iwae(ConvVae vae, int k) {
        return OodScore.of("iwae", x -> Units.bitsPerDim(vae.iwae(x, k), x.dims()));
    }

    /** {@code reconstruction}: mean squared error per pixel between x and the decoder's mode at E[q(z|x)]. */
    static OodScore reconstruction(ConvVae vae) {
        return OodScore.of("reconstruction", vae::reconstructionError);
    }

    /**
     * {@code likelihood-regret} (Xiao et al. 2020) in bits/dim, optimising the posterior's mean and log-variance, and
     * {@code likelihood-regret-encoder}, optimising a copy of the encoder's weights per input.
     */
    static OodScore regret(String name, ConvVae vae, int steps, double lr, LikelihoodRegret.Variant variant) {
        LikelihoodRegret r = new LikelihoodRegret(vae, steps, lr, variant);
        return OodScore.of(name, r::regret);
    }
}
