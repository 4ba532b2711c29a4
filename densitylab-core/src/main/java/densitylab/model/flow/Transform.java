package densitylab.model.flow;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * An invertible map of image tensors (B, C, H, W): {@link #forward} returns y and log|det dy/dx| per
 * example, {@link #inverse} undoes it. Arrays returned belong to the input's manager (callers run
 * transforms inside a scope where the parameters are temp-attached, see densitylab.nn.Scopes).
 */
public interface Transform {
    /** y = f(x) and log|det J_f(x)| per example (shape (B)). */
    Result forward(NDArray x);

    /** x = f^-1(y). */
    NDArray inverse(NDArray y);

    /** The output shape [C, H, W] for an input of shape in; throws naming the dimension that does not fit. */
    default int[] outputShape(int[] in) {
        return in.clone();
    }

    /** Trainable parameters, in a fixed order. */
    default List<NDArray> parameters() {
        return List.of();
    }

    /** Data-dependent initialisation from a batch (ActNorm); returns forward(x) of the initialised transform. */
    default Result initialize(NDArray x) {
        return forward(x);
    }

    /** An output and its log-determinant per example. */
    record Result(NDArray y, NDArray logDet) {
    }
}
