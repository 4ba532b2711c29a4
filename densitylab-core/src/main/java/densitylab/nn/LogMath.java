package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Numerically stable log-space reductions and functions on arrays, differentiable. */
public final class LogMath {
    private LogMath() {
    }

    /** log sum_i exp(a_i) over an axis (removed), computed as max + log sum exp(a - max). */
    public static NDArray logSumExp(NDArray a, int axis) {
        NDArray m = a.max(new int[] {axis}, true).stopGradient();
        return a.sub(m).exp().sum(new int[] {axis}).log().add(m.squeeze(axis));
    }

    /** log sigmoid(a) = -softplus(-a), without overflow for large |a|. */
    public static NDArray logSigmoid(NDArray a) {
        return Activation.softPlus(a.neg()).neg();
    }
}
