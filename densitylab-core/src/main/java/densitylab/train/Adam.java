package densitylab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma &amp; Ba 2015) over a list of parameter arrays, with linear learning-rate warm-up, global gradient-norm
 * clipping and L2 weight decay; a step with a non-finite gradient changes nothing and says where the bad values are.
 */
class Adam {
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;
    /** The square root of float32's largest value: a larger gradient element makes the norm infinite. */
    private static final float OVERFLOWS_WHEN_SQUARED = 1.8e19f;
    private static final NDIndex ALL = new NDIndex("...");

    /** The parameters it updates in place. */
    final List<NDArray> params;
    /** The first and second moments of every parameter, flattened and concatenated in order. */
    final NDArray m1;
    final NDArray m2;
    /** Updates taken (a skipped step does not count). */
    long steps;
    private final double beta1;

    /** Zero moments in mm for params. */
    Adam(List<NDArray> params, double beta1, NDManager mm) {
        this.params = params;
        this.beta1 = beta1;
        long total = params.stream().mapToLong(p -> p.getShape().size()).sum();
        this.m1 = mm.zeros(new Shape(total));
        this.m2 = mm.zeros(new Shape(total));
    }

    /**
     * One step on the parameters' gradients, which are zeroed afterwards. The gradients are concatenated into one
     * vector so that the update costs a few large ops instead of a dozen small ones per parameter (each DJL op has a
     * fixed cost, about a microsecond, on the single-threaded part of a step). The caller temp-attaches the arrays to
     * its batch scope. Returns null after an update; where the gradient is not finite (or its norm overflows float32),
     * changes neither the parameters nor the moments, zeroes the gradients and returns where the bad values are.
     *
     * @param peakLr      the learning rate after warm-up
     * @param warmup      steps of linear warm-up (0 = none)
     * @param clip        global norm the gradient is clipped to (0 = none)
     * @param weightDecay L2 weight decay: weightDecay * p is added to each parameter's gradient
     */
    String step(double peakLr, int warmup, double clip, double weightDecay) {
        NDArray m = m1;
        NDArray v = m2;
        long step = steps + 1;
        double lr = peakLr * (warmup > 0 ? Math.min(1.0, step / (double) warmup) : 1.0);
        List<NDArray> grads = new ArrayList<>(params.size());
        NDList flat = new NDList(params.size());
        long[] ends = new long[params.size() - 1];
        long offset = 0;
        for (int i = 0; i < params.size(); i++) {
            NDArray g = params.get(i).getGradient();
            grads.add(g);
            flat.add(g.reshape(-1));
            offset += g.getShape().size();
            if (i < ends.length) {
                ends[i] = offset;
            }
        }
        NDArray g = flat.size() == 1 ? flat.get(0) : NDArrays.concat(flat);
        if (weightDecay > 0) { // L2: the gradient of (lambda / 2) |p|^2
            NDList ps = new NDList(params.size());
            params.forEach(p -> ps.add(p.reshape(-1)));
            g = g.add((ps.size() == 1 ? ps.get(0) : NDArrays.concat(ps)).mul((float) weightDecay));
        }
        double norm = Math.sqrt(g.square().sum().getFloat());
        if (!Double.isFinite(norm)) { // a finite loss can still have an overflowing gradient: skip, do not poison Adam
            String where = whereNotFinite(grads);
            for (NDArray gi : grads) {
                gi.set(ALL, 0f); // not gi.subi(gi): NaN - NaN stays NaN
            }
            return where;
        }
        if (clip > 0 && norm > clip) {
            g = g.mul((float) (clip / (norm + 1e-6)));
        }
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(BETA2, step);
        m.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
        v.muli((float) BETA2).addi(g.square().muli((float) (1 - BETA2)));
        NDArray update = m.div((float) bc1).divi(v.div((float) bc2).sqrt().addi((float) EPS)).muli((float) lr);
        NDList parts = ends.length == 0 ? new NDList(update) : update.split(ends);
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            p.subi(parts.get(i).reshape(p.getShape()));
            grads.get(i).subi(grads.get(i));
        }
        steps = step;
        return null;
    }

    /** Which parameter arrays (index in the list, shape) hold a gradient too large to square in float32. */
    private static String whereNotFinite(List<NDArray> grads) {
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < grads.size(); i++) {
            float max = grads.get(i).abs().max().getFloat();
            if (!(max < OVERFLOWS_WHEN_SQUARED)) {
                bad.add(String.format("#%d %s max |g| %s", i, grads.get(i).getShape(), max));
            }
        }
        return bad.isEmpty() ? "the sum of squares overflows" : "in parameter arrays " + String.join(", ", bad);
    }
}
