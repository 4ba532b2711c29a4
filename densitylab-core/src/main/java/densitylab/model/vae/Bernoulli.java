package densitylab.model.vae;

import densitylab.nn.LogMath;

import ai.djl.ndarray.NDArray;

/**
 * Bernoulli pixels for binarized data: a pixel is 1 when its value is above 127. Its likelihood is over the
 * binarized image (two outcomes per pixel), so its bits/dim are not comparable with 8-bit models.
 */
public final class Bernoulli implements PixelDecoder {
    @Override
    public String name() {
        return "bernoulli";
    }

    @Override
    public int outputChannels(int c) {
        return c;
    }

    @Override
    public NDArray logLikelihood(NDArray params, NDArray x) {
        long b = x.getShape().get(0);
        NDArray on = x.gt(127.5f).toType(params.getDataType(), false);
        NDArray logp = on.mul(LogMath.logSigmoid(params))
                .add(on.neg().add(1f).mul(LogMath.logSigmoid(params.neg())));
        return logp.reshape(b, -1).sum(new int[] {1});
    }

    @Override
    public NDArray mode(NDArray params) {
        return params.gt(0f).toType(params.getDataType(), false).mul(255f);
    }
}
