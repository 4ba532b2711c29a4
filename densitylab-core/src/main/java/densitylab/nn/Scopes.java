package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Per-batch memory scopes. DJL gives an op's result to its first operand's manager, so a parameter-first
 * op ({@code weight.mul(x)}) would leak into the model's manager. A scope is a sub-manager to which the
 * parameters are temp-attached: every intermediate lands in it, and closing it frees them all and hands
 * the parameters back.
 */
public final class Scopes {
    private Scopes() {
    }

    /**
     * A sub-manager of owner holding the given arrays until it is closed. An array listed twice is attached
     * once: a second temp-attach would record the scope itself as the array's home and free it on close.
     */
    public static NDManager open(NDManager owner, List<NDArray> arrays) {
        NDManager sub = owner.newSubManager();
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (NDArray a : arrays) {
            if (seen.add(a)) {
                a.tempAttach(sub);
            }
        }
        return sub;
    }
}
