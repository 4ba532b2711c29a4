package densitylab.audit;

import densitylab.data.ImageSet;

/**
 * Pixel values of a centre crop, compared by the mean absolute difference (L1) per value, as seed 004 finds a GAN
 * sample's nearest training images: the crop leaves out the border, where most images are background.
 */
public final class PixelSpace implements FeatureSpace {
    /** The share of each side the crop keeps. */
    public static final double CROP = 0.75;

    @Override
    public String name() {
        return "pixel";
    }

    @Override
    public String description() {
        return "pixel values (0-255) of the centre " + (int) Math.round(CROP * 100) + "% of each side, compared by the mean "
                + "absolute difference per value (L1)";
    }

    /** The crop's side for an image side: round(0.75 side), at least 1. */
    static int cropSide(int side) {
        return Math.max(1, (int) Math.round(CROP * side));
    }

    @Override
    public Features embed(ImageSet images) {
        int c = images.channels();
        int ch = cropSide(images.height());
        int cw = cropSide(images.width());
        int y0 = (images.height() - ch) / 2;
        int x0 = (images.width() - cw) / 2;
        int dims = c * ch * cw;
        float[] v = new float[images.size() * dims];
        int o = 0;
        for (int i = 0; i < images.size(); i++) {
            for (int k = 0; k < c; k++) {
                for (int y = 0; y < ch; y++) {
                    for (int x = 0; x < cw; x++) {
                        v[o++] = images.pixel(i, k, y0 + y, x0 + x);
                    }
                }
            }
        }
        return new Features(name(), Features.Metric.L1, images.size(), dims, v);
    }
}
