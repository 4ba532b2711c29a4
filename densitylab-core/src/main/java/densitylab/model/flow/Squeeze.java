package densitylab.model.flow;

import ai.djl.ndarray.NDArray;

/**
 * Space-to-depth (Dinh et al. 2017): (C, H, W) -> (4C, H/2, W/2), volume-preserving (log-det 0). Output
 * channel 4c + 2i + j holds input channel c at row offset i and column offset j. The output is one copy in
 * the standard memory order (see {@link densitylab.nn.MemoryLayout} for why not channels-last).
 */
public final class Squeeze implements Transform {
    @Override
    public Result forward(NDArray x) {
        long[] s = x.getShape().getShape();
        // (B, C, H/2, 2, W/2, 2) -> (B, C, 2, 2, H/2, W/2), copied as (B, 4C, H/2, W/2)
        NDArray y = x.reshape(s[0], s[1], s[2] / 2, 2, s[3] / 2, 2).transpose(0, 1, 3, 5, 2, 4)
                .reshape(s[0], s[1] * 4, s[2] / 2, s[3] / 2);
        return new Result(y, x.getManager().zeros(new ai.djl.ndarray.types.Shape(s[0])));
    }

    @Override
    public NDArray inverse(NDArray y) {
        long[] s = y.getShape().getShape();
        return y.reshape(s[0], s[1] / 4, 2, 2, s[2], s[3]).transpose(0, 1, 4, 2, 5, 3)
                .reshape(s[0], s[1] / 4, s[2] * 2, s[3] * 2);
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in[1] % 2 != 0 || in[2] % 2 != 0) {
            throw new IllegalArgumentException("squeeze needs even height and width, got " + in[0] + "x" + in[1] + "x" + in[2]
                    + " (the " + (in[1] % 2 != 0 ? "height " + in[1] : "width " + in[2]) + " is odd); use fewer levels or resize");
        }
        return new int[] {in[0] * 4, in[1] / 2, in[2] / 2};
    }
}
