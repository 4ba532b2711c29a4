package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The discretized logistic of PixelCNN++ (Salimans et al. 2017), one component per pixel: the mass of bin x
 * is sigma((x' + 1/255 - mu)/s) - sigma((x' - 1/255 - mu)/s) on the [-1,1] scale x' = x/127.5 - 1, with the
 * edge bins taking the tails, so the 256 masses sum to exactly 1. Outputs 2C channels: mu, log s.
 */
public final class DiscretizedLogistic implements PixelDecoder {
    private static final float MIN_LOG_SCALE = -7f;

    @Override
    public String name() {
        return "logistic";
    }

    @Override
    public int outputChannels(int c) {
        return 2 * c;
    }

    /** log sigmoid(a) = -softplus(-a), computed stably. */
    static NDArray logSigmoid(NDArray a) {
        NDArray z = a.neg();
        return Activation.relu(z).add(z.abs().neg().exp().add(1f).log()).neg();
    }

    @Override
    public NDArray logLikelihood(NDArray params, NDArray x) {
        long b = x.getShape().get(0);
        long c = x.getShape().get(1);
        NDArray mu = params.get(":, 0:" + c);
        NDArray logS = params.get(":, " + c + ":").maximum(MIN_LOG_SCALE);
        NDArray inv = logS.neg().exp();
        NDArray xs = x.div(127.5f).sub(1f);
        NDArray centred = xs.sub(mu);
        NDArray plus = centred.add(1f / 255f).mul(inv);
        NDArray minus = centred.sub(1f / 255f).mul(inv);
        NDArray logCdfPlus = logSigmoid(plus);               // for x = 0: log P(X <= 0.5 bin edge)
        NDArray logOneMinusCdfMinus = logSigmoid(minus.neg()); // for x = 255
        NDArray cdfDelta = Activation.sigmoid(plus).sub(Activation.sigmoid(minus));
        // in the middle: log of the bin's mass; where it underflows, the density at the centre times the bin width
        NDArray mid = centred.mul(inv);
        NDArray logPdfMid = mid.sub(logS).sub(Activation.relu(mid).add(mid.abs().neg().exp().add(1f).log()).mul(2f));
        NDArray logMid = cdfDelta.gt(1e-5f).toType(x.getDataType(), false).mul(cdfDelta.maximum(1e-12f).log())
                .add(cdfDelta.lte(1e-5f).toType(x.getDataType(), false).mul(logPdfMid.sub((float) Math.log(127.5))));
        NDArray isLow = x.lt(0.5f).toType(x.getDataType(), false);
        NDArray isHigh = x.gt(254.5f).toType(x.getDataType(), false);
        NDArray isMid = isLow.add(isHigh).neg().add(1f);
        NDArray logp = isLow.mul(logCdfPlus).add(isHigh.mul(logOneMinusCdfMinus)).add(isMid.mul(logMid));
        return logp.reshape(b, -1).sum(new int[] {1});
    }

    @Override
    public NDArray mode(NDArray params) {
        long c = params.getShape().get(1) / 2;
        return params.get(":, 0:" + c).clip(-1f, 1f).add(1f).mul(127.5f).round();
    }
}
