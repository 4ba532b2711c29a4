package densitylab.nn;

/** Conversions between nats of a whole image and bits per dimension. */
public final class Units {
    /** ln 256: the log-volume of one 8-bit bin on the [0,1) scale, per dimension. */
    public static final double LOG_256 = Math.log(256);

    private Units() {
    }

    /** -logProb / (dims ln 2), element-wise. */
    public static double[] bitsPerDim(double[] logProbNats, int dims) {
        double[] out = new double[logProbNats.length];
        double k = -1.0 / (dims * Math.log(2));
        for (int i = 0; i < out.length; i++) {
            out[i] = logProbNats[i] * k;
        }
        return out;
    }

    /** The mean of an array (NaN when empty). */
    public static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }
}
