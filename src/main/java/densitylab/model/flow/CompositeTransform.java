package densitylab.model.flow;

import ai.djl.ndarray.NDArray;

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

    private Result run(NDArray x, boolean init) {
        NDArray y = x;
        NDArray logDet = x.getManager().zeros(new ai.djl.ndarray.types.Shape(x.getShape().get(0)));
        for (Transform t : steps) {
            Result r = init ? t.initialize(y) : t.forward(y);
            y = r.y();
            logDet = logDet.add(r.logDet());
        }
        return new Result(y, logDet);
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
