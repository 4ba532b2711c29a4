package densitylab.data;

import java.util.Random;

/** Seeded random image sets for tests. */
final class TestImages {
    private TestImages() {
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
