package densitylab.model.vae;

import densitylab.nn.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The discretized logistic mixture of PixelCNN++ (Salimans et al. 2017), K components per pixel and channel
 * (channels independent given z): the mass of bin x under a component is sigma((x' + 1/255 - mu)/s) -
 * sigma((x' - 1/255 - mu)/s) on the [-1,1] scale x' = x/127.5 - 1, with the edge bins taking the tails, so the
 * 256 masses sum to exactly 1; the mixture weights are a softmax. Outputs 3KC channels: for each channel K
 * weight logits, K means and K log scales.
 */
public final class DiscretizedLogistic implements PixelDecoder {
    private static final float MIN_LOG_SCALE = -7f;
    private final int components;

    /** A mixture of the given number of logistics (1 = a single discretized logistic). */
    public DiscretizedLogistic(int components) {
        if (components < 1) {
            throw new IllegalArgumentException("a logistic mixture needs at least one component, got " + components);
        }
        this.components = components;
    }

    @Override
    public String name() {
        return "logistic";
    }

    /** Mixture components per pixel and channel. */
    public int components() {
        return components;
    }

    @Override
    public int outputChannels(int c) {
        return 3 * components * c;
    }

    /** log sigmoid(a) = -softplus(-a), computed stably. */
    static NDArray logSigmoid(NDArray a) {
        return Activation.softPlus(a.neg()).neg();
    }

    /** params (B, 3KC, H, W) as (B, C, 3K, H, W). */
    private NDArray split(NDArray params) {
        long[] s = params.getShape().getShape();
        return params.reshape(s[0], s[1] / (3L * components), 3L * components, s[2], s[3]);
    }

    @Override
    public NDArray logLikelihood(NDArray params, NDArray x) {
        long b = x.getShape().get(0);
        int k = components;
        NDArray p = split(params);
        NDArray logWeights = p.get(":, :, 0:" + k).logSoftmax(2);
        NDArray mu = p.get(":, :, " + k + ":" + 2 * k);
        NDArray logS = Scalars.maximum(p.get(":, :, " + 2 * k + ":"), MIN_LOG_SCALE);
        NDArray x5 = x.expandDims(2); // (B, C, 1, H, W): broadcast over the components
        NDArray inv = logS.neg().exp();
        NDArray centred = Scalars.div(x5, 127.5).sub(1f).sub(mu);
        NDArray plus = centred.add(1f / 255f).mul(inv);
        NDArray minus = centred.sub(1f / 255f).mul(inv);
        NDArray logCdfPlus = logSigmoid(plus);               // for x = 0: log P(X <= 0.5 bin edge)
        NDArray logOneMinusCdfMinus = logSigmoid(minus.neg()); // for x = 255
        NDArray cdfDelta = Activation.sigmoid(plus).sub(Activation.sigmoid(minus));
        // in the middle: log of the bin's mass; where it underflows, the density at the centre times the bin width
        NDArray mid = centred.mul(inv);
        NDArray logPdfMid = mid.sub(logS).sub(Scalars.mul(Activation.softPlus(mid), 2));
        NDArray useMass = cdfDelta.gt(1e-5f).toType(x.getDataType(), false);
        NDArray logMid = useMass.mul(Scalars.maximum(cdfDelta, 1e-12).log())
                .add(useMass.neg().add(1f).mul(logPdfMid.sub((float) Math.log(127.5))));
        NDArray isLow = x5.lt(0.5f).toType(x.getDataType(), false);
        NDArray isHigh = x5.gt(254.5f).toType(x.getDataType(), false);
        NDArray isMid = isLow.add(isHigh).neg().add(1f);
        NDArray logp = isLow.mul(logCdfPlus).add(isHigh.mul(logOneMinusCdfMinus)).add(isMid.mul(logMid));
        NDArray perPixel = k == 1 ? logp.squeeze(2) : ConvVae.logSumExp(logp.add(logWeights), 2);
        return perPixel.reshape(b, -1).sum(new int[] {1});
    }

    /** The mixture's mean on the 0..255 scale, rounded (its components' means weighted by their weights). */
    @Override
    public NDArray mode(NDArray params) {
        int k = components;
        NDArray p = split(params);
        NDArray w = p.get(":, :, 0:" + k).softmax(2);
        NDArray mu = p.get(":, :, " + k + ":" + 2 * k).clip(-1f, 1f);
        return w.mul(mu).sum(new int[] {2}).add(1f).mul(127.5f).round();
    }
}
