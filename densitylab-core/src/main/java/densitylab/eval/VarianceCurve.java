package densitylab.eval;

import densitylab.data.ImageSet;
import densitylab.data.SetTransforms;
import densitylab.model.DensityModel;
import densitylab.nn.Units;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Nalisnick et al.'s variance experiment as a curve: the mean bits/dim of a set whose images are shrunk toward a
 * centre by factors c (c = 1: the set itself), in two ways: toward the set's mean image ({@code +scale=c}) and toward
 * its mean grey level per channel ({@code +contrast=c}); both round to 0..255, as every 8-bit input must be.
 *
 * <p>Their second-order expansion around the centre x0 predicts, for data shrunk toward x0 (same mean, covariance
 * c^2 Sigma), E[log p] at c minus E[log p] at 1 = (c^2 - 1) Tr(H Sigma) / 2 with H the Hessian of log p at x0: a
 * straight line in c^2 (in bits/dim, a + b c^2), rising likelihood as c falls when H is negative definite.
 * {@link #quadraticFit} measures how well that holds.
 *
 * @param factors the c values
 * @param bpd     "mean image" and "mean grey" -> mean bits/dim at each c
 */
public record VarianceCurve(double[] factors, Map<String, double[]> bpd) {
    /** The names of the two ways of shrinking. */
    public static final String MEAN_IMAGE = "toward the mean image (+scale=c)";
    public static final String MEAN_GREY = "toward the mean grey (+contrast=c)";

    /** Measures the curve for model on set at the given factors. */
    public static VarianceCurve measure(DensityModel model, ImageSet set, double[] factors) {
        Map<String, double[]> out = new LinkedHashMap<>();
        double[] img = new double[factors.length];
        double[] grey = new double[factors.length];
        for (int i = 0; i < factors.length; i++) {
            img[i] = Units.mean(model.bitsPerDim(SetTransforms.scaleVariance(set, factors[i])));
            grey[i] = Units.mean(model.bitsPerDim(SetTransforms.scaleContrast(set, factors[i])));
        }
        out.put(MEAN_IMAGE, img);
        out.put(MEAN_GREY, grey);
        return new VarianceCurve(factors.clone(), out);
    }

    /**
     * The least-squares line bpd = a + b c^2 through one curve and how far the curve is from it.
     *
     * @param a           intercept (bits/dim at c = 0 as the line predicts)
     * @param b           slope in c^2 (positive: bits/dim falls, likelihood rises, as the variance shrinks)
     * @param maxResidual the largest |bpd - (a + b c^2)| over the factors, in bits/dim
     * @param range       max - min of the curve, to judge maxResidual against
     */
    public record Fit(double a, double b, double maxResidual, double range) {
        /** True when the line explains the curve to within a tenth of its range. */
        public boolean holds() {
            return maxResidual <= 0.1 * range;
        }
    }

    /** The fit of a + b c^2 to the named curve. */
    public Fit quadraticFit(String curve) {
        double[] y = bpd.get(curve);
        int n = factors.length;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            double x = factors[i] * factors[i];
            sx += x;
            sy += y[i];
            sxx += x * x;
            sxy += x * y[i];
        }
        double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        double a = (sy - b * sx) / n;
        double max = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(y[i] - (a + b * factors[i] * factors[i])));
            lo = Math.min(lo, y[i]);
            hi = Math.max(hi, y[i]);
        }
        return new Fit(a, b, max, hi - lo);
    }
}
