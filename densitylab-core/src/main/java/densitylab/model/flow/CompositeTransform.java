package densitylab.model.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/** Transforms applied in order; the log-determinants add up, and the inverse runs the inverses in reverse. */
public final class CompositeTransform implements Transform {
    private final List<Transform> steps;

    public CompositeTransform(List<? extends Transform> steps) {
        this.steps = List.copyOf(steps);
    }

    /** The steps, in forward order. */
    public List<Transform> steps() {
        return steps;
    }

    @Override
    public Result forward(NDArray x) {
        return run(x, false);
    }

    @Override
    public Result initialize(NDArray x) {
        return run(x, true);
    }

    /**
     * Runs each step in its own sub-manager and keeps only its output and log-determinant: the step's
     * intermediates (and the previous step's output) are released as soon as the step is done, as Python
     * releases an unreferenced tensor. Autograd keeps what backward needs by its own reference, so this
     * changes no value; it lets libtorch reuse the freed, cache-warm buffers for the next step instead of
     * holding every activation of the batch until the batch's scope closes.
     */
    private Result run(NDArray x, boolean init) {
        NDManager outer = x.getManager();
        NDArray y = x;
        NDArray logDet = null;
        for (Transform t : steps) {
            try (NDManager scope = outer.newSubManager()) {
                if (y == x) {
                    y.tempAttach(scope); // the caller's input: handed back when the scope closes
                } else {
                    y.attach(scope);     // our own intermediate: released with the scope
                }
                Result r = init ? t.initialize(y) : t.forward(y);
                keep(r.y(), scope, outer);
                keep(r.logDet(), scope, outer);
                logDet = logDet == null ? r.logDet() : logDet.add(r.logDet());
                y = r.y();
            }
        }
        if (logDet == null) {
            logDet = outer.zeros(new Shape(x.getShape().get(0)));
        }
        return new Result(y, logDet);
    }

    /** Moves a step's result out of its scope; a result owned elsewhere (a model constant, say) stays there. */
    private static void keep(NDArray a, NDManager scope, NDManager outer) {
        if (a.getManager() == scope) {
            a.attach(outer);
        }
    }

    @Override
    public NDArray inverse(NDArray y) {
        NDArray x = y;
        for (int i = steps.size() - 1; i >= 0; i--) {
            x = steps.get(i).inverse(x);
        }
        return x;
    }

    @Override
    public int[] outputShape(int[] in) {
        int[] s = in;
        for (Transform t : steps) {
            s = t.outputShape(s);
        }
        return s;
    }

    @Override
    public List<NDArray> parameters() {
        List<NDArray> p = new ArrayList<>();
        for (Transform t : steps) {
            p.addAll(t.parameters());
        }
        return p;
    }
}
