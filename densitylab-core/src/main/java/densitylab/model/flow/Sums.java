package densitylab.model.flow;

import ai.djl.ndarray.NDArray;

/** Reductions the flow layers share. */
final class Sums {
    private static final int[] ALL_BUT_BATCH = {1, 2, 3};

    private Sums() {
    }

    /**
     * The sum over channels, rows and columns of a (B, C, H, W) array: shape (B). Reduces in place of the
     * usual {@code reshape(B, -1).sum(1)}, which copies any array whose examples are not contiguous (a
     * channel half of a channels-last array, say: the reshape cannot be a view).
     */
    static NDArray perExample(NDArray a) {
        if (a.getShape().dimension() != 4) {
            throw new IllegalArgumentException("perExample needs a (B, C, H, W) array, got shape " + a.getShape());
        }
        return a.sum(ALL_BUT_BATCH);
    }
}
