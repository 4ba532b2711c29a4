package densitylab.model.ar;

import densitylab.nn.MemoryLayout;
import densitylab.nn.Resampling;
import densitylab.nn.ParamFactory;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

import java.util.List;

/**
 * The shifted convolutions of PixelCNN++ (Salimans et al. 2017, section 2.2), which see only what lies before a
 * pixel: a {@link Kind#DOWN} convolution with a kh x kw kernel gives output (i, j) from input rows i-kh+1..i and
 * columns j-(kw-1)/2..j+(kw-1)/2 (the rows above and the pixel's own row), a {@link Kind#DOWN_RIGHT} one from rows
 * i-kh+1..i and columns j-kw+1..j (up and to the left). Composed with {@link #shiftDown} and {@link #shiftRight}
 * at the input, every later layer keeps the autoregressive order without masks.
 *
 * <p>Built on DJL's functional {@code Conv2d.conv2d}, which pads symmetrically: the convolution pads kh-1 rows on
 * both sides (and kw-1 columns for DOWN_RIGHT), and the output keeps the first rows and columns, the ones whose
 * window ends at the pixel. A stride-2 layer halves the resolution the same way (output (i, j) reads input rows
 * 2i-kh+1..2i). DJL's PyTorch engine has no transposed convolution, so the upsampling layer ({@code transposed}) is
 * built from ops it has: a stride-2 transposed convolution equals a stride-1 convolution with the flipped kernel
 * over the input with zeros interleaved, computed phase by phase without the zeros
 * ({@link Resampling#convOverInterleaved}); the flipped kernel is the parameter here, and the shifted padding and crop
 * are those of the reference's {@code down_shifted_deconv2d} and {@code down_right_shifted_deconv2d}. Convolutions run on channels-last arrays ({@link MemoryLayout}): oneDNN's
 * AVX-512 backward-data kernel gave nondeterministic input gradients for standard-order 3x3 convolutions on this
 * project's CPUs (see ConvVae).
 */
final class CausalConv {
    /** Which part of the image a convolution sees, relative to its output pixel. */
    enum Kind { DOWN, DOWN_RIGHT }

    private final Kind kind;
    private final int kh;
    private final int kw;
    private final int stride;
    private final boolean transposed;
    private final NDArray weight;
    private final NDArray bias;

    /**
     * @param stride     1, or 2 to halve the resolution
     * @param transposed double the resolution instead (stride-2 transposed convolution)
     * @param gain       the weights' standard deviation is gain / sqrt(fan-in)
     */
    CausalConv(ParamFactory f, Kind kind, int in, int out, int kh, int kw, int stride, boolean transposed, double gain) {
        if (kind == Kind.DOWN && kw % 2 == 0) {
            throw new IllegalArgumentException("a down-shifted convolution needs an odd kernel width, got " + kw);
        }
        this.kind = kind;
        this.kh = kh;
        this.kw = kw;
        this.stride = stride;
        this.transposed = transposed;
        this.weight = f.normal(gain / Math.sqrt((double) in * kh * kw), out, in, kh, kw);
        this.bias = f.zeros(out);
    }

    /** A stride-1 convolution. */
    static CausalConv of(ParamFactory f, Kind kind, int in, int out, int kh, int kw, double gain) {
        return new CausalConv(f, kind, in, out, kh, kw, 1, false, gain);
    }

    List<NDArray> parameters() {
        return List.of(weight, bias);
    }

    /**
     * The convolution of x (B, in, H, W). Output size: (H, W) at stride 1, (ceil(H/2), ceil(W/2)) at stride 2, and
     * for the transposed layer the given (outH, outW) (at most twice the input's).
     */
    NDArray apply(NDArray x, long outH, long outW) {
        long padW = kind == Kind.DOWN ? (kw - 1) / 2 : kw - 1;
        if (transposed) {
            return Resampling.convOverInterleaved(x, weight, bias, kh - 1, padW, outH, outW);
        }
        NDArray y = Conv2d.conv2d(MemoryLayout.channelsLast(x), weight, bias, new Shape(stride, stride), new Shape(kh - 1, padW))
                .singletonOrThrow();
        return y.get(":, :, 0:" + outH + ", 0:" + outW);
    }

    /** The convolution at its natural output size (stride 1: the input's; stride 2: half, rounded up). */
    NDArray apply(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        return stride == 2 && !transposed ? apply(x, (h + 1) / 2, (w + 1) / 2) : apply(x, h, w);
    }

    /** Moves x (B, C, H, W) down by one row: row 0 becomes zeros, the last row is dropped. */
    static NDArray shiftDown(NDArray x) {
        long[] s = x.getShape().getShape();
        NDArray zeros = x.getManager().zeros(new Shape(s[0], s[1], 1, s[3]), x.getDataType());
        return s[2] == 1 ? zeros : zeros.concat(x.get(":, :, 0:" + (s[2] - 1)), 2);
    }

    /** Moves x (B, C, H, W) right by one column: column 0 becomes zeros, the last column is dropped. */
    static NDArray shiftRight(NDArray x) {
        long[] s = x.getShape().getShape();
        NDArray zeros = x.getManager().zeros(new Shape(s[0], s[1], s[2], 1), x.getDataType());
        return s[3] == 1 ? zeros : zeros.concat(x.get(":, :, :, 0:" + (s[3] - 1)), 3);
    }

}
