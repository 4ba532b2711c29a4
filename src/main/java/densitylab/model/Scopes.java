package densitylab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.List;

/**
 * Per-batch memory scopes. DJL gives an op's result to its first operand's manager, so a parameter-first
 * op ({@code weight.mul(x)}) would leak into the model's manager. A scope is a sub-manager to which the
 * parameters are temp-attached: every intermediate lands in it, and closing it frees them all and hands
 * the parameters back.
 */
public final class Scopes {
    private Scopes() {
    }

    /** A sub-manager of owner holding the given arrays until it is closed. */
    public static NDManager open(NDManager owner, List<NDArray> arrays) {
        NDManager sub = owner.newSubManager();
        for (NDArray a : arrays) {
            a.tempAttach(sub);
        }
        return sub;
    }
}
