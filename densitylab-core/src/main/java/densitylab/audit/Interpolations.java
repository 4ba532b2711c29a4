package densitylab.audit;

import densitylab.data.ImageSet;
import densitylab.model.LatentModel;

/**
 * Images along straight lines: between random latent vectors of a {@link LatentModel} (do the images in between
 * look like data, and change smoothly?), and between two images in pixel space (a cross-fade: what a model that only
 * blends training images would show).
 */
public final class Interpolations {
    private Interpolations() {
    }

    /**
     * rows lines of steps images each (row-major: row r's images at r * steps .. r * steps + steps - 1), from
     * z0 = latents(2 rows, seed)[r] to z1 = latents(2 rows, seed)[rows + r] through (1 - t) z0 + t z1,
     * t = j / (steps - 1); the first and last image of a row are the model's decodes of z0 and z1.
     *
     * @throws IllegalArgumentException for fewer than 1 row or 2 steps
     */
    public static ImageSet latent(LatentModel model, int rows, int steps, long seed) {
        check(rows, steps);
        int l = model.latentDims();
        float[] ends = model.latents(2 * rows, seed);
        float[] z = new float[rows * steps * l];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < steps; j++) {
                float t = j / (float) (steps - 1);
                int o = (r * steps + j) * l;
                for (int i = 0; i < l; i++) {
                    float a = ends[r * l + i];
                    float b = ends[(rows + r) * l + i];
                    z[o + i] = j == 0 ? a : j == steps - 1 ? b : (1 - t) * a + t * b;
                }
            }
        }
        return model.decode(z).withName(model.kind() + " latent interpolations");
    }

    /**
     * For each i, steps images from a's image i to b's image i through round((1 - t) a + t b) per pixel.
     *
     * @throws IllegalArgumentException when a and b differ in size or shape, or steps is below 2
     */
    public static ImageSet pixel(ImageSet a, ImageSet b, int steps) {
        if (a.size() != b.size() || !java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException("pixel interpolation needs two sets of the same size and shape");
        }
        check(Math.max(1, a.size()), steps);
        int d = a.dims();
        byte[] px = new byte[a.size() * steps * d];
        for (int r = 0; r < a.size(); r++) {
            byte[] x = a.image(r);
            byte[] y = b.image(r);
            for (int j = 0; j < steps; j++) {
                double t = j / (double) (steps - 1);
                int o = (r * steps + j) * d;
                for (int i = 0; i < d; i++) {
                    px[o + i] = (byte) Math.round((1 - t) * (x[i] & 0xff) + t * (y[i] & 0xff));
                }
            }
        }
        return ImageSet.of(a.name() + " pixel interpolations", a.channels(), a.height(), a.width(), px, null);
    }

    private static void check(int rows, int steps) {
        if (rows < 1 || steps < 2) {
            throw new IllegalArgumentException("interpolations need at least 1 row and 2 steps, got " + rows + " and " + steps);
        }
    }
}
