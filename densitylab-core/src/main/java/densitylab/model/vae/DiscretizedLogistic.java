package densitylab.model.vae;

import densitylab.nn.LogMath;
import densitylab.nn.LogisticBins;
import ai.djl.ndarray.NDArray;

/**
 * The discretized logistic mixture of PixelCNN++ (Salimans et al. 2017), K components per pixel and channel
 * (channels independent given z), each component's bin masses from {@link LogisticBins#logMass} (shared with
 * PixelCNN++); the mixture weights are a softmax. Outputs 3KC channels: for each channel K
 * weight logits, K means and K log scales.
 */
public final class DiscretizedLogistic implements PixelDecoder {
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
        NDArray logS = p.get(":, :, " + 2 * k + ":");
        NDArray logp = LogisticBins.logMass(x.expandDims(2), mu, logS); // x (B, C, 1, H, W) broadcast over the components
        NDArray perPixel = k == 1 ? logp.squeeze(2) : LogMath.logSumExp(logp.add(logWeights), 2);
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
