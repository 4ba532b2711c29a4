package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** A 256-way categorical distribution per pixel (van den Oord et al. 2016): outputs C*256 logits. */
public final class Categorical256 implements PixelDecoder {
    @Override
    public String name() {
        return "categorical";
    }

    @Override
    public int outputChannels(int c) {
        return 256 * c;
    }

    private static NDArray logits(NDArray params) {
        long[] s = params.getShape().getShape();
        return params.reshape(s[0], s[1] / 256, 256, s[2], s[3]);
    }

    @Override
    public NDArray logLikelihood(NDArray params, NDArray x) {
        long[] s = x.getShape().getShape();
        NDArray logp = logits(params).logSoftmax(2);
        NDArray idx = x.toType(DataType.INT64, false).reshape(s[0], s[1], 1, s[2], s[3]);
        return logp.gather(idx, 2).reshape(s[0], -1).sum(new int[] {1});
    }

    @Override
    public NDArray mode(NDArray params) {
        return logits(params).argMax(2).toType(DataType.FLOAT32, false);
    }
}
