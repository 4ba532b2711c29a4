package densitylab.data;

/**
 * Summary statistics of an image set on the 0..255 scale.
 *
 * @param count               number of images
 * @param mean                per-channel pixel mean
 * @param std                 per-channel pixel standard deviation (population)
 * @param meanImageVariance   mean over images of the variance of each image's own pixels
 * @param zeroShare           the share of pixel values that are exactly 0 (black background)
 */
public record ImageStats(int count, double[] mean, double[] std, double meanImageVariance, double zeroShare) {

    /** Computes the statistics in one pass (Welford-free: sums in double are exact enough for 8-bit data). */
    public static ImageStats of(ImageSet set) {
        int c = set.channels();
        int hw = set.height() * set.width();
        double[] sum = new double[c];
        double[] sumSq = new double[c];
        double imageVarSum = 0;
        long zeros = 0;
        byte[] img = new byte[set.dims()];
        for (int i = 0; i < set.size(); i++) {
            set.copyImage(i, img, 0);
            double s = 0;
            double s2 = 0;
            for (int ch = 0; ch < c; ch++) {
                long cs = 0;
                long cs2 = 0;
                for (int k = ch * hw; k < (ch + 1) * hw; k++) {
                    int v = img[k] & 0xff;
                    zeros += v == 0 ? 1 : 0;
                    cs += v;
                    cs2 += (long) v * v;
                }
                sum[ch] += cs;
                sumSq[ch] += cs2;
                s += cs;
                s2 += cs2;
            }
            double m = s / img.length;
            imageVarSum += s2 / img.length - m * m;
        }
        double[] mean = new double[c];
        double[] std = new double[c];
        double n = (double) set.size() * hw;
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = n == 0 ? Double.NaN : sum[ch] / n;
            std[ch] = n == 0 ? Double.NaN : Math.sqrt(Math.max(0, sumSq[ch] / n - mean[ch] * mean[ch]));
        }
        return new ImageStats(set.size(), mean, std, set.size() == 0 ? Double.NaN : imageVarSum / set.size(),
                set.size() == 0 ? Double.NaN : zeros / ((double) set.size() * set.dims()));
    }
}
