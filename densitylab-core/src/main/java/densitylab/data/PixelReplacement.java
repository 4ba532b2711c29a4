package densitylab.data;

import java.util.SplittableRandom;

/**
 * The perturbation that trains a likelihood-ratio background model (Ren et al. 2019): each pixel value (each
 * channel of each pixel independently) is replaced, with probability {@link #rate}, by a value drawn uniformly from
 * 0..255. The draws come from the seed given to {@link #apply}, so a training run that passes a new seed for every
 * batch of every epoch sees the images perturbed afresh each epoch, and repeats exactly.
 *
 * @param rate the replacement probability mu, in [0, 1] (the paper: 0.1-0.3, default 0.2)
 */
public record PixelReplacement(double rate) {
    /** Ren et al.'s default rate. */
    public static final double DEFAULT_RATE = 0.2;

    /** Checks the rate. */
    public PixelReplacement {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("the pixel replacement rate must be in [0, 1], got " + rate);
        }
    }

    /** The images with every pixel value replaced by a uniform one with probability {@link #rate}, drawn from seed. */
    public ImageSet apply(ImageSet images, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = images.pixels();
        for (int k = 0; k < px.length; k++) {
            if (r.nextDouble() < rate) {
                px[k] = (byte) r.nextInt(256);
            }
        }
        return ImageSet.wrap(images.name() + "+replace=" + rate, images.channels(), images.height(), images.width(), px,
                images.hasLabels() ? images.labels() : null);
    }
}
