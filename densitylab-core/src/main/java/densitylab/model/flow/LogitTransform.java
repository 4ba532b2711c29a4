package densitylab.model.flow;

import densitylab.nn.Scalars;
import ai.djl.ndarray.NDArray;

/**
 * The logit preprocessing of RealNVP (Dinh et al. 2017): y = logit(a + (1 - 2a) x) for x in [0,1),
 * with log|det| = sum log(1 - 2a) - log s - log(1 - s), s = a + (1 - 2a) x.
 */
public final class LogitTransform implements Transform {
    private final double alpha;

    public LogitTransform(double alpha) {
        if (!(alpha > 0 && alpha < 0.5)) {
            throw new IllegalArgumentException("logit alpha must be in (0, 0.5), got " + alpha);
        }
        this.alpha = alpha;
    }

    @Override
    public Result forward(NDArray x) {
        NDArray s = Scalars.mul(x, 1 - 2 * alpha).add((float) alpha);
        NDArray logS = s.log();
        NDArray log1mS = s.neg().add(1f).log();
        NDArray y = logS.sub(log1mS);
        long dims = x.getShape().size() / x.getShape().get(0);
        NDArray logDet = Sums.perExample(logS.add(log1mS).neg())
                .add((float) (dims * Math.log(1 - 2 * alpha)));
        return new Result(y, logDet);
    }

    @Override
    public NDArray inverse(NDArray y) {
        return ai.djl.nn.Activation.sigmoid(y).sub((float) alpha).div((float) (1 - 2 * alpha));
    }
}
