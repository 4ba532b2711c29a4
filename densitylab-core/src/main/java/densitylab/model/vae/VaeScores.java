package densitylab.model.vae;

import densitylab.model.OwnScores.ScoreFunction;
import densitylab.model.ScoreOptions;
import densitylab.nn.Units;

import java.util.List;

/** The VAE's own scores: elbo, iwae, reconstruction and likelihood regret in two variants. */
final class VaeScores {
    /** Their names, in listing order. */
    static final List<String> NAMES = List.of("elbo", "iwae", "rate", "distortion", "reconstruction", "likelihood-regret",
            "likelihood-regret-encoder");

    private VaeScores() {
    }

    /**
     * {@code elbo}: -ELBO in bits/dim; {@code iwae}: -log of the importance-weighted estimate with the options' K samples,
     * in bits/dim; {@code rate} and {@code distortion}: the ELBO's KL and -log p(x|z) terms in bits/dim; {@code reconstruction}:
     * mean squared error per pixel between x and the decoder's mode at E[q(z|x)];
     * {@code likelihood-regret} (Xiao et al. 2020) in bits/dim, optimising the posterior's mean and log-variance, and
     * {@code likelihood-regret-encoder}, optimising a copy of the encoder's weights per input. Null for another name.
     */
    static ScoreFunction of(ConvVae vae, String name, ScoreOptions o) {
        return switch (name) {
            case "elbo" -> x -> Units.bitsPerDim(vae.elbo(x), x.dims());
            case "iwae" -> x -> Units.bitsPerDim(vae.iwae(x, o.iwaeSamples()), x.dims());
            case "rate" -> vae::rate;
            case "distortion" -> vae::distortion;
            case "reconstruction" -> x -> vae.statistics(x)[ConvVae.RECONSTRUCTION].clone(); // one pass with rate and distortion
            case "likelihood-regret" -> new LikelihoodRegret(vae, o.regretSteps(), o.regretLr(), LikelihoodRegret.Variant.POSTERIOR)::regret;
            case "likelihood-regret-encoder" ->
                    new LikelihoodRegret(vae, o.encoderSteps(), o.encoderLr(), LikelihoodRegret.Variant.ENCODER)::regret;
            default -> latentCoordinate(vae, name);
        };
    }

    /** {@code latent-J}: coordinate J (1-based) of each image's posterior mean E[q(z|x)]; null for another name. */
    private static ScoreFunction latentCoordinate(ConvVae vae, String name) {
        if (!name.matches("latent-[1-9][0-9]*")) {
            return null;
        }
        int j = Integer.parseInt(name.substring("latent-".length()));
        if (j > vae.latentDims()) {
            return null;
        }
        return x -> vae.statistics(x)[ConvVae.LATENT + j - 1].clone();
    }
}
