package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The discretized logistic of PixelCNN++ (Salimans et al. 2017, eq. 2): the probability of 8-bit value x under a
 * logistic with mean mu and scale s on the [-1, 1] scale x' = x / 127.5 - 1 is the logistic's mass on x's bin,
 * sigma((x' + 1/255 - mu) / s) - sigma((x' - 1/255 - mu) / s), where the bins of 0 and 255 extend to -inf and +inf,
 * so the 256 masses sum to exactly 1. Shared by every model with a logistic pixel likelihood (the VAE's logistic
 * decoder, PixelCNN++).
 */
public final class LogisticBins {
    /** Log-scales are clamped below at this value (s >= e^-7), as in the reference implementation. */
    public static final float MIN_LOG_SCALE = -7f;
    /** Below this bin mass, the mass is replaced by the density at the bin's centre times its width. */
    private static final float TINY_MASS = 1e-5f;

    private LogisticBins() {
    }

    /**
     * log P(x) per element under the discretized logistic(mu, exp(logScale)), all arrays broadcast together; x holds
     * raw pixel values 0..255 (float), mu is on the [-1, 1] scale, logScale is clamped at {@link #MIN_LOG_SCALE}.
     * Numerically stable everywhere: the edge bins use log sigma and log (1 - sigma) directly, and a middle bin whose
     * mass underflows float32 precision (below 1e-5) takes the log-density at its centre plus log(2/255), which is the
     * mass to first order. Arrays belong to x's manager when x is the first operand of each op.
     */
    public static NDArray logMass(NDArray x, NDArray mu, NDArray logScale) {
        NDArray logS = Scalars.maximum(logScale, MIN_LOG_SCALE);
        NDArray inv = logS.neg().exp();
        NDArray centred = Scalars.div(x, 127.5).sub(1f).sub(mu);
        NDArray plus = centred.add(1f / 255f).mul(inv);
        NDArray minus = centred.sub(1f / 255f).mul(inv);
        NDArray logCdfPlus = LogMath.logSigmoid(plus);               // the bin of 0: log P(X' <= its upper edge)
        NDArray logOneMinusCdfMinus = LogMath.logSigmoid(minus.neg()); // the bin of 255: log P(X' > its lower edge)
        NDArray cdfDelta = Activation.sigmoid(plus).sub(Activation.sigmoid(minus));
        NDArray mid = centred.mul(inv);
        NDArray logPdfMid = mid.sub(logS).sub(Scalars.mul(Activation.softPlus(mid), 2));
        NDArray useMass = cdfDelta.gt(TINY_MASS).toType(x.getDataType(), false);
        NDArray logMid = useMass.mul(Scalars.maximum(cdfDelta, 1e-12).log())
                .add(useMass.neg().add(1f).mul(logPdfMid.sub((float) Math.log(127.5))));
        NDArray isLow = x.lt(0.5f).toType(x.getDataType(), false);
        NDArray isHigh = x.gt(254.5f).toType(x.getDataType(), false);
        NDArray isMid = isLow.add(isHigh).neg().add(1f);
        return isLow.mul(logCdfPlus).add(isHigh.mul(logOneMinusCdfMinus)).add(isMid.mul(logMid));
    }

    /**
     * A draw from the logistic(mu, exp(logScale) * temperature) for uniform noise u in (0, 1), rounded to its 8-bit
     * bin: x' = mu + s (log u - log(1 - u)) clamped to [-1, 1], then round((x' + 1) * 127.5). Plain floats: sampling
     * needs no gradient.
     */
    public static int sample(double mu, double logScale, double temperature, double u) {
        double s = Math.exp(Math.max(logScale, MIN_LOG_SCALE)) * temperature;
        double v = mu + s * (Math.log(u) - Math.log1p(-u));
        return (int) Math.round((Math.max(-1, Math.min(1, v)) + 1) * 127.5);
    }
}
