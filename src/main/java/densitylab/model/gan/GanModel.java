package densitylab.model.gan;

import densitylab.data.ImageSet;
import densitylab.model.GenerativeModel;

/**
 * A trained GAN: it samples and has a discriminator, but no likelihood (it is not a {@code DensityModel}, so bits/dim
 * are not defined for it).
 */
public interface GanModel extends GenerativeModel {
    /**
     * The discriminator's anomaly score per image, higher = less like the training data: -log D(x) for a
     * discriminator trained with the logistic loss, the critic's negated output under WGAN-GP.
     */
    double[] discriminatorScore(ImageSet images);
}
