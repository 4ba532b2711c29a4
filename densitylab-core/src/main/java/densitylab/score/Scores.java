package densitylab.score;

import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.gan.GanModel;
import densitylab.model.gan.Ganomaly;
import densitylab.model.vae.ConvVae;
import densitylab.model.vae.LikelihoodRegret;

import java.util.List;

/** Builds scores by name for a model, with errors that say which models a score needs. */
public final class Scores {
    /** Every score name this build knows. */
    public static final List<String> NAMES = List.of("likelihood", "typicality", "likelihood-ratio", "input-complexity",
            "input-complexity-bzip2", "input-complexity-deflate", "waic", "elbo", "iwae", "reconstruction", "likelihood-regret",
            "likelihood-regret-encoder", "discriminator", "ganomaly");

    /**
     * The scores that need the model itself (a VAE's encoder and decoder, a GAN's networks), not only a likelihood:
     * give them the model, not a wrapper of its likelihood.
     */
    public static final java.util.Set<String> NEED_THE_MODEL = java.util.Set.of("elbo", "iwae", "reconstruction", "likelihood-regret",
            "likelihood-regret-encoder", "discriminator", "ganomaly");

    private Scores() {
    }

    /**
     * The scores computed when none are named. A VAE's likelihood is already its IWAE estimate with the model's
     * eval-samples, so {@code iwae} (for another K) and the slow likelihood-regret are left to be asked for.
     */
    public static List<String> defaultsFor(GenerativeModel model) {
        if (model instanceof ConvVae) {
            return List.of("likelihood", "elbo", "reconstruction", "input-complexity");
        }
        if (model instanceof Ganomaly) {
            return List.of("ganomaly", "reconstruction", "discriminator");
        }
        if (model instanceof GanModel) {
            return List.of("discriminator");
        }
        return model instanceof DensityModel ? List.of("likelihood", "typicality", "input-complexity") : List.of();
    }

    /** The named score for this model (not yet fitted), with default options. */
    public static OodScore create(String name, GenerativeModel model) {
        return create(name, model, ScoreOptions.defaults());
    }

    /** The named score for this model (not yet fitted), without related models. */
    public static OodScore create(String name, GenerativeModel model, ScoreOptions o) {
        return create(name, model, o, RelatedModels.NONE);
    }

    /**
     * The named score for this model (not yet fitted); likelihood-ratio takes the background model and waic the
     * ensemble from related.
     */
    public static OodScore create(String name, GenerativeModel model, ScoreOptions o, RelatedModels related) {
        if (name.equals("input-complexity") || name.startsWith("input-complexity-")) {
            String c = name.equals("input-complexity") ? "png" : name.substring("input-complexity-".length());
            return new InputComplexityScore(density(name, model), Compressor.of(c));
        }
        return switch (name) {
            case "likelihood" -> new LikelihoodScore(density(name, model));
            case "typicality" -> new TypicalityScore(density(name, model));
            case "likelihood-ratio" -> new LikelihoodRatioScore(density(name, model), related.background());
            case "waic" -> new WaicScore(related.ensemble());
            case "elbo" -> VaeScores.elbo(vae(name, model));
            case "iwae" -> VaeScores.iwae(vae(name, model), o.iwaeSamples());
            case "reconstruction" -> reconstruction(model);
            case "discriminator" -> OodScore.of(name, gan(name, model)::discriminatorScore);
            case "ganomaly" -> OodScore.of(name, ganomaly(name, model)::latentDistance);
            case "likelihood-regret" -> VaeScores.regret(name, vae(name, model), o.regretSteps(), o.regretLr(), LikelihoodRegret.Variant.POSTERIOR);
            case "likelihood-regret-encoder" -> VaeScores.regret(name, vae(name, model), o.encoderSteps(), o.encoderLr(), LikelihoodRegret.Variant.ENCODER);
            default -> throw new IllegalArgumentException("unknown score '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    /** A VAE's mean squared error at its posterior mean, or GANomaly's mean absolute error of G(x). */
    private static OodScore reconstruction(GenerativeModel model) {
        if (model instanceof Ganomaly g) {
            return OodScore.of("reconstruction", g::reconstructionError);
        }
        if (model instanceof ConvVae v) {
            return VaeScores.reconstruction(v);
        }
        throw new IllegalArgumentException("score 'reconstruction' needs a VAE or GANomaly (--model vae or ganomaly), and the run's model is '"
                + model.kind() + "'");
    }

    private static GanModel gan(String score, GenerativeModel model) {
        if (model instanceof GanModel g) {
            return g;
        }
        throw new IllegalArgumentException("score '" + score + "' needs a GAN's discriminator (--model dcgan or ganomaly), and the run's model is '"
                + model.kind() + "'");
    }

    private static Ganomaly ganomaly(String score, GenerativeModel model) {
        if (model instanceof Ganomaly g) {
            return g;
        }
        throw new IllegalArgumentException("score '" + score + "' needs GANomaly (--model ganomaly), and the run's model is '" + model.kind() + "'");
    }

    private static ConvVae vae(String score, GenerativeModel model) {
        if (model instanceof ConvVae v) {
            return v;
        }
        throw new IllegalArgumentException("score '" + score + "' needs a VAE (--model vae), and the run's model is '" + model.kind() + "'");
    }

    private static DensityModel density(String score, GenerativeModel model) {
        if (model instanceof DensityModel d) {
            return d;
        }
        throw new IllegalArgumentException("score '" + score + "' needs a likelihood, and model '" + model.kind() + "' has none");
    }
}
