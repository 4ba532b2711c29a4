package densitylab.model.gan;

import densitylab.data.ImageSet;
import densitylab.model.GenerativeModel;
import densitylab.model.OwnScores;
import densitylab.model.ScoreOptions;

/**
 * A trained GAN: it samples and has a discriminator, but no likelihood (it is not a {@code DensityModel}, so bits/dim
 * are not defined for it).
 */
public interface GanModel extends GenerativeModel, OwnScores {
    /** The name of the discriminator's score. */
    String DISCRIMINATOR = "discriminator";

    /**
     * The discriminator's anomaly score per image, higher = less like the training data: -log D(x) for a
     * discriminator trained with the logistic loss, the critic's negated output under WGAN-GP.
     */
    double[] discriminatorScore(ImageSet images);

    /**
     * Fixes the statistics the model scores and samples with outside training (its batch normalisations' standing
     * statistics; GANomaly also the Gaussian of its training codes): done after training; call it again to look at
     * a model in the middle of training.
     *
     * @param train the training images (GANomaly averages over up to 2048 of them; DCGAN uses its own latents)
     * @param seed  seeds DCGAN's latents
     */
    void fixStandingStatistics(ImageSet train, long seed);

    /** The discriminator's score. */
    @Override
    default java.util.List<String> statistics() {
        return java.util.List.of(DISCRIMINATOR);
    }

    /** {@value #DISCRIMINATOR}: {@link #discriminatorScore}. */
    @Override
    default ScoreFunction ownScore(String name, ScoreOptions options) {
        return name.equals(DISCRIMINATOR) ? this::discriminatorScore : null;
    }
}
