package densitylab.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleBiFunction;

/**
 * Seeded percentile-bootstrap confidence intervals for two-sample metrics such as those in {@link Metrics}.
 *
 * <p>Each replicate resamples the in-distribution and the OOD scores independently, with replacement and at
 * their original sizes, from one {@link SplittableRandom} seeded with {@code seed}, and evaluates the metric;
 * the interval is the {@code (1 - level) / 2} and {@code (1 + level) / 2} quantiles of the replicate values
 * (linear interpolation between order statistics, numpy's default). Same inputs and seed give the same interval.
 */
public final class Bootstrap {

    private Bootstrap() {}

    /**
     * Percentile-bootstrap interval for {@code metric(in, out)} at coverage {@code level} in (0, 1) from
     * {@code replicates >= 1} resamples; deterministic in {@code seed}. The inputs are not modified; the arrays
     * handed to {@code metric} are reused across replicates, so it must not keep or modify them.
     */
    public static Interval interval(
            double[] in,
            double[] out,
            ToDoubleBiFunction<double[], double[]> metric,
            int replicates,
            double level,
            long seed) {
        if (in == null || in.length == 0) {
            throw new IllegalArgumentException("in scores must not be null or empty");
        }
        if (out == null || out.length == 0) {
            throw new IllegalArgumentException("out scores must not be null or empty");
        }
        if (metric == null) {
            throw new IllegalArgumentException("metric must not be null");
        }
        if (replicates < 1) {
            throw new IllegalArgumentException("replicates must be >= 1, got " + replicates);
        }
        if (!(level > 0.0 && level < 1.0)) {
            throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] inSample = new double[in.length];
        double[] outSample = new double[out.length];
        double[] values = new double[replicates];
        for (int r = 0; r < replicates; r++) {
            resample(in, inSample, rng);
            resample(out, outSample, rng);
            double v = metric.applyAsDouble(inSample, outSample);
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("metric returned NaN on bootstrap replicate " + r);
            }
            values[r] = v;
        }
        Arrays.sort(values);
        double alpha = (1.0 - level) / 2.0;
        return new Interval(quantile(values, alpha), quantile(values, 1.0 - alpha), level);
    }

    private static void resample(double[] source, double[] target, SplittableRandom rng) {
        for (int i = 0; i < target.length; i++) {
            target[i] = source[rng.nextInt(source.length)];
        }
    }

    /** Quantile {@code p} of ascending {@code sorted}, linear interpolation (numpy "linear", Hyndman-Fan type 7). */
    public static double quantile(double[] sorted, double p) {
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double frac = h - lo;
        if (frac == 0.0 || sorted[lo] == sorted[hi]) {
            return sorted[lo];
        }
        return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
    }
}
