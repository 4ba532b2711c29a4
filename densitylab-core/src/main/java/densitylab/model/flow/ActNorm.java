package densitylab.model.flow;

import densitylab.nn.Scalars;
import densitylab.nn.ParamFactory;
import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * Activation normalisation (Kingma &amp; Dhariwal 2018): y = (x + b) * exp(s) per channel, log|det| =
 * H W sum s; {@link #initialize} sets b and s so that the batch comes out with zero mean and unit variance.
 */
public final class ActNorm implements Transform {
    private final NDArray bias;     // (1, C, 1, 1)
    private final NDArray logScale; // (1, C, 1, 1)

    public ActNorm(ParamFactory f, int channels) {
        this.bias = f.zeros(1, channels, 1, 1);
        this.logScale = f.zeros(1, channels, 1, 1);
    }

    @Override
    public Result forward(NDArray x) {
        long hw = x.getShape().get(2) * x.getShape().get(3);
        NDArray y = x.add(bias).mul(logScale.exp());
        NDArray logDet = Scalars.mul(logScale.sum(), hw).broadcast(x.getShape().get(0));
        return new Result(y, logDet.toType(x.getDataType(), false));
    }

    @Override
    public Result initialize(NDArray x) {
        long c = x.getShape().get(1);
        NDArray flat = x.transpose(1, 0, 2, 3).reshape(c, -1); // DJL's mean takes one axis at a time
        NDArray mean = flat.mean(new int[] {1}, true);
        NDArray std = flat.sub(mean).square().mean(new int[] {1}).sqrt().add(1e-6f);
        bias.set(mean.neg().toFloatArray());
        logScale.set(std.log().neg().toFloatArray());
        return forward(x);
    }

    @Override
    public NDArray inverse(NDArray y) {
        return y.mul(logScale.neg().exp()).sub(bias);
    }

    @Override
    public List<NDArray> parameters() {
        return List.of(bias, logScale);
    }
}
