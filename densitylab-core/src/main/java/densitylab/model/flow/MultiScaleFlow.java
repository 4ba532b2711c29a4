package densitylab.model.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

import java.util.ArrayList;
import java.util.List;

/**
 * The multi-scale architecture of RealNVP and Glow: levels of transforms, after each but the last half of
 * the channels is factored out. The output is every factored-out part and the last level's output,
 * flattened and concatenated: (B, D) with D the input's dimension; the log-determinant is the levels' sum.
 */
public final class MultiScaleFlow implements Transform {
    private final int[] inShape;
    private final List<Transform> levels;
    private final List<int[]> partShapes = new ArrayList<>(); // shapes of the factored-out parts and the final part

    /** Checks every level's shapes now and says which dimension does not fit. */
    public MultiScaleFlow(int[] inShape, List<? extends Transform> levels) {
        this.inShape = inShape.clone();
        this.levels = List.copyOf(levels);
        int[] s = inShape;
        for (int i = 0; i < levels.size(); i++) {
            s = levels.get(i).outputShape(s);
            if (i < levels.size() - 1) {
                if (s[0] % 2 != 0) {
                    throw new IllegalArgumentException("level " + (i + 1) + " ends with " + s[0] + " channels: cannot factor out half");
                }
                partShapes.add(new int[] {s[0] / 2, s[1], s[2]});
                s = new int[] {s[0] / 2, s[1], s[2]};
            }
        }
        partShapes.add(s);
    }

    /** The sizes of the latent parts in the order {@link #forward} concatenates them: each level's factored-out half, then the last level's. */
    public long[] partSizes() {
        return partShapes.stream().mapToLong(p -> (long) p[0] * p[1] * p[2]).toArray();
    }

    /** The per-level transforms. */
    public List<Transform> levels() {
        return levels;
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
        long b = x.getShape().get(0);
        NDArray h = x;
        NDArray logDet = null;
        NDList parts = new NDList();
        for (int i = 0; i < levels.size(); i++) {
            Result r = init ? levels.get(i).initialize(h) : levels.get(i).forward(h);
            logDet = logDet == null ? r.logDet() : logDet.add(r.logDet());
            h = r.y();
            if (i < levels.size() - 1) {
                NDList halves = h.split(2, 1);
                parts.add(halves.get(1).reshape(b, -1));
                h = halves.get(0);
            }
        }
        parts.add(h.reshape(b, -1));
        return new Result(NDArrays.concat(parts, 1), logDet);
    }

    @Override
    public NDArray inverse(NDArray y) {
        long b = y.getShape().get(0);
        long[] sizes = new long[partShapes.size() - 1];
        long acc = 0;
        for (int i = 0; i < sizes.length; i++) {
            acc += (long) partShapes.get(i)[0] * partShapes.get(i)[1] * partShapes.get(i)[2];
            sizes[i] = acc;
        }
        NDList parts = y.split(sizes, 1);
        int[] last = partShapes.get(partShapes.size() - 1);
        NDArray h = parts.get(parts.size() - 1).reshape(b, last[0], last[1], last[2]);
        for (int i = levels.size() - 1; i >= 0; i--) {
            if (i < levels.size() - 1) {
                int[] ps = partShapes.get(i);
                h = h.concat(parts.get(i).reshape(b, ps[0], ps[1], ps[2]), 1);
            }
            h = levels.get(i).inverse(h);
        }
        return h;
    }

    @Override
    public int[] outputShape(int[] in) {
        return new int[] {in[0] * in[1] * in[2], 1, 1};
    }

    @Override
    public List<NDArray> parameters() {
        List<NDArray> p = new ArrayList<>();
        for (Transform t : levels) {
            p.addAll(t.parameters());
        }
        return p;
    }

    int[] inputShape() {
        return inShape.clone();
    }
}
