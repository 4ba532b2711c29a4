package densitylab.model.diffusion;

/**
 * The structural similarity (Wang et al. 2004) of two images on the [0, 1] scale, with a 7x7 uniform window over
 * each channel and the window positions that fit inside the image (scikit-image's defaults), averaged.
 */
final class Ssim {
    private static final int WIN = 7;
    private static final double C1 = 0.01 * 0.01;
    private static final double C2 = 0.03 * 0.03;

    private Ssim() {
    }

    /** SSIM of images a and b, each C x H x W values row-major from offset; 1 for identical images. */
    static double of(float[] a, int aOff, float[] b, int bOff, int c, int h, int w) {
        int win = Math.min(WIN, Math.min(h, w));
        double n = win * win;
        double cov = n / (n - 1); // sample covariances, as scikit-image
        double sum = 0;
        int count = 0;
        for (int ch = 0; ch < c; ch++) {
            int base = ch * h * w;
            for (int y = 0; y + win <= h; y++) {
                for (int x = 0; x + win <= w; x++) {
                    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                    for (int dy = 0; dy < win; dy++) {
                        int row = base + (y + dy) * w + x;
                        for (int dx = 0; dx < win; dx++) {
                            double p = a[aOff + row + dx];
                            double q = b[bOff + row + dx];
                            sa += p;
                            sb += q;
                            saa += p * p;
                            sbb += q * q;
                            sab += p * q;
                        }
                    }
                    double ma = sa / n, mb = sb / n;
                    double va = cov * (saa / n - ma * ma), vb = cov * (sbb / n - mb * mb), vab = cov * (sab / n - ma * mb);
                    sum += (2 * ma * mb + C1) * (2 * vab + C2) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
                    count++;
                }
            }
        }
        return sum / count;
    }
}
