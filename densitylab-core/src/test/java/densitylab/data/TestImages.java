package densitylab.data;

import java.util.Random;

/** Seeded random image sets for tests. */
public final class TestImages {
    private TestImages() {
    }

    /** n unlabelled images of uniform random bytes, named "random". */
    public static ImageSet random(int n, int c, int h, int w, long seed) {
        return random("random", n, c, h, w, 0, seed);
    }

    static ImageSet random(String name, int n, int c, int h, int w, int classes, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * c * h * w];
        r.nextBytes(px);
        int[] labels = null;
        if (classes > 0) {
            labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = r.nextInt(classes);
            }
        }
        return ImageSet.of(name, c, h, w, px, labels);
    }
}
