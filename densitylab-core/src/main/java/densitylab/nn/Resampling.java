package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * Resolution changes built from ops DJL's PyTorch engine has (it has no transposed convolution): nearest-neighbour
 * upsampling, zero interleaving, a convolution over a zero-interleaved array computed without the zeros, and the
 * stride-2 transposed convolution as such a convolution with the flipped kernel.
 */
public final class Resampling {
    private Resampling() {
    }

    /** Nearest-neighbour 2x upsampling of (B, C, h, w) to (B, C, 2h, 2w). */
    public static NDArray nearest2x(NDArray x) {
        long[] s = x.getShape().getShape();
        return x.reshape(s[0], s[1], s[2], 1, s[3], 1).broadcast(s[0], s[1], s[2], 2, s[3], 2).reshape(s[0], s[1], 2 * s[2], 2 * s[3]);
    }

    /**
     * Nearest-neighbour 2x upsampling with libtorch's kernel ({@link LibTorch#upsampleNearest}): the same values as
     * {@link #nearest2x}, in x's memory order, and a backward pass that is one kernel instead of a broadcast's strided
     * sum (the GANs' generator: 22 ms of a 211 ms one-worker step was that sum).
     */
    public static NDArray upsampleNearest2x(NDArray x) {
        return LibTorch.upsampleNearest(x, 2 * x.getShape().get(2), 2 * x.getShape().get(3));
    }

    /**
     * The convolution (stride 1, padding ph rows and pw columns on each side, optional bias) of {@link #interleaveZeros
     * interleaveZeros(x)}, output rows and columns [0, outH) x [0, outW), computed without the zeros: output pixel
     * (2m + pr, 2n + pc) reads input pixels only through the kernel taps of one row and one column parity, so each of
     * the four output phases is a stride-1 convolution of x itself with those taps, and the phases are interleaved.
     * A quarter of the multiplications of convolving the interleaved array, and no mask. x (B, in, H, W), weight
     * (out, in, kh, kw) with kh, kw &gt;= 2 (so that every phase has taps). Differentiable in x and weight.
     */
    public static NDArray convOverInterleaved(NDArray x, NDArray weight, NDArray bias, long ph, long pw, long outH, long outW) {
        long[] s = x.getShape().getShape();
        long kh = weight.getShape().get(2);
        long kw = weight.getShape().get(3);
        if (kh < 2 || kw < 2) {
            throw new IllegalArgumentException("convOverInterleaved needs a kernel of at least 2 x 2, got " + kh + " x " + kw);
        }
        long rows = (outH + 1) / 2;
        long cols = (outW + 1) / 2;
        NDArray in = MemoryLayout.channelsLast(x);
        NDList byRowPhase = new NDList();
        for (int pr = 0; pr < 2; pr++) {
            Taps r = Taps.of(kh, ph, pr, rows, s[2]);
            NDList byColumnPhase = new NDList();
            for (int pc = 0; pc < 2; pc++) {
                Taps c = Taps.of(kw, pw, pc, cols, s[3]);
                NDArray sub = weight.get(":, :, " + r.first + ":" + kh + ":2, " + c.first + ":" + kw + ":2");
                NDArray y = Conv2d.conv2d(in, sub, bias, new Shape(1, 1), new Shape(r.pad, c.pad)).singletonOrThrow();
                byColumnPhase.add(y.get(":, :, " + r.start + ":" + (r.start + rows) + ", " + c.start + ":" + (c.start + cols)));
            }
            NDArray row = NDArrays.stack(byColumnPhase, 4); // (B, out, rows, cols, 2)
            byRowPhase.add(row.reshape(s[0], -1, rows, 2 * cols));
        }
        NDArray y = NDArrays.stack(byRowPhase, 3).reshape(s[0], -1, 2 * rows, 2 * cols);
        return y.get(":, :, 0:" + outH + ", 0:" + outW);
    }

    /**
     * The taps of one output phase along one axis: output index 2m + p reads interleaved index 2m + p - pad + a for
     * tap a, an input index when even: taps first, first + 2, ..., input index m + d + t for the t-th of them, with
     * d = (p - pad + first) / 2. A convolution of x padded by {@code pad} (symmetrically) then gives output m at
     * index m + d + pad; {@code start} is that index for m = 0.
     */
    private record Taps(long first, long pad, long start) {
        static Taps of(long k, long pad, int p, long outputs, long inputs) {
            long first = Math.floorMod(pad - p, 2);
            long count = (k - first + 1) / 2;
            long d = Math.floorDiv(p - pad + first, 2);
            long symmetric = Math.max(0, Math.max(-d, outputs + d + count - 1 - inputs));
            return new Taps(first, symmetric, d + symmetric);
        }
    }

    /** (B, C, H, W) to (B, C, 2H, 2W) with x at the even rows and columns and zeros elsewhere. */
    public static NDArray interleaveZeros(NDArray x) {
        long[] s = x.getShape().getShape();
        float[] m = new float[(int) (4 * s[2] * s[3])];
        for (int r = 0; r < 2 * s[2]; r += 2) {
            for (int c = 0; c < 2 * s[3]; c += 2) {
                m[(int) (r * 2 * s[3] + c)] = 1f;
            }
        }
        NDArray mask = x.getManager().create(m, new Shape(1, 1, 2 * s[2], 2 * s[3]));
        return nearest2x(x).mul(mask);
    }

    /**
     * The transpose of a stride-2 convolution with weight (out, in, k, k) and padding p (the adjoint map, as
     * PyTorch's conv_transpose2d(g, weight, stride=2, padding=p)): g (B, out, h, w) to (B, in, 2h + k - 2 - 2p,
     * ...), the input size of the forward convolution when that size is even: a stride-1 convolution with the flipped
     * kernel over g with zeros interleaved ({@link #convOverInterleaved}). Differentiable in g and weight; the
     * convolutions run channels-last (see {@link MemoryLayout}).
     */
    public static NDArray transposedStride2(NDArray g, NDArray weight, int padding) {
        long k = weight.getShape().get(2);
        long[] s = g.getShape().getShape();
        NDArray flipped = weight.flip(2, 3).transpose(1, 0, 2, 3);
        long pad = k - 1 - padding;
        return convOverInterleaved(g, flipped, null, pad, pad, 2 * s[2] + 2 * pad - k, 2 * s[3] + 2 * pad - k);
    }
}
