package densitylab.model.ar;

import densitylab.model.ar.CausalConv.Kind;
import densitylab.nn.Noise;
import densitylab.nn.ParamFactory;
import densitylab.nn.Scalars;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;

import java.util.ArrayList;
import java.util.List;

/**
 * Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders"): a vertical
 * stack that sees the rows above a pixel and a horizontal stack that sees the pixels to its left in its row, so the
 * receptive field has no blind spot; each layer is gated, tanh(a) * sigmoid(b), the vertical stack feeds the
 * horizontal one through a 1x1 convolution, and the horizontal stack is residual.
 *
 * <p>Causality comes from shifted convolutions ({@link CausalConv}) rather than masks: the input layer shifts the
 * vertical stack down one row and the horizontal stack right one column (the paper's mask A), later layers use
 * down- and down-right-shifted kernels of k/2+1 rows by k columns and 1 row by k/2+1 columns (mask B).
 *
 * <p>Colour images: the output head conditions channel c on channels &lt; c of the same pixel (R, then G given R, then
 * B given R and G) through masked 1x1 layers: a hidden layer of C groups where group c adds a 1x1 convolution of the
 * pixel's channels &lt; c, and block-diagonal output weights so channel c's 256 logits read group c only. The paper
 * masks the channel groups in every layer; masking only the head gives the same ordering with fewer masks, and the
 * causality test checks it.
 */
final class GatedPixelCnn implements ConditionalNetwork {
    private final int channels;
    private final int filters;
    private final List<CausalConv> vertical = new ArrayList<>();
    private final List<CausalConv> horizontal = new ArrayList<>();
    private final List<NDArray> verticalToHorizontal = new ArrayList<>(); // 1x1, 2F -> 2F
    private final List<NDArray> horizontalOut = new ArrayList<>();        // 1x1, F -> F (layers 1..)
    private final NDArray headIn;
    private final NDArray headInBias;
    private final NDArray headPixel;     // 1x1, C -> C*G, masked: group c reads channels < c; null for grey images
    private final NDArray headPixelMask;
    private final NDArray headOut;       // 1x1, C*G -> C*256, block-diagonal
    private final NDArray headOutMask;
    private final NDArray headOutBias;
    private final List<NDArray> parameters = new ArrayList<>();

    GatedPixelCnn(ParamFactory f, int channels, int layers, int filters, int kernel, int headWidth) {
        if (layers < 1 || filters < 1 || kernel < 3 || kernel % 2 == 0 || headWidth < 1) {
            throw new IllegalArgumentException("pixelcnn needs layers >= 1, filters >= 1, an odd kernel >= 3 and head >= 1; got "
                    + layers + ", " + filters + ", " + kernel + ", " + headWidth);
        }
        this.channels = channels;
        this.filters = filters;
        int kh = kernel / 2 + 1;
        int f2 = 2 * filters;
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? channels : filters;
            vertical.add(add(CausalConv.of(f, Kind.DOWN, in, f2, kh, kernel, 1.0)));
            horizontal.add(add(CausalConv.of(f, Kind.DOWN_RIGHT, in, f2, 1, kh, 1.0)));
            verticalToHorizontal.add(add(f.normal(1.0 / Math.sqrt(f2), f2, f2, 1, 1)));
            if (l > 0) {
                horizontalOut.add(add(f.normal(0.5 / Math.sqrt(filters), filters, filters, 1, 1)));
            }
        }
        int groups = channels * headWidth;
        headIn = add(f.normal(Math.sqrt(2.0 / filters), groups, filters, 1, 1));
        headInBias = add(f.zeros(groups));
        headPixel = channels > 1 ? add(f.normal(1.0, groups, channels, 1, 1)) : null; // grey: no earlier channel
        headOut = add(f.normal(1.0 / Math.sqrt(headWidth), 256L * channels, groups, 1, 1));
        headOutBias = add(f.zeros(256L * channels));
        float[] pm = new float[groups * channels];
        float[] om = new float[256 * channels * groups];
        for (int g = 0; g < groups; g++) {
            int group = g / headWidth;
            for (int c = 0; c < channels; c++) {
                pm[g * channels + c] = c < group ? 1f : 0f;
            }
            for (int o = 0; o < 256 * channels; o++) {
                om[o * groups + g] = o / 256 == group ? 1f : 0f;
            }
        }
        headPixelMask = f.constant(pm, groups, channels, 1, 1);
        headOutMask = f.constant(om, 256L * channels, groups, 1, 1);
    }

    private CausalConv add(CausalConv c) {
        parameters.addAll(c.parameters());
        return c;
    }

    private NDArray add(NDArray p) {
        parameters.add(p);
        return p;
    }

    @Override
    public List<NDArray> parameters() {
        return parameters;
    }

    @Override
    public List<NDArray> constants() {
        return List.of(headPixelMask, headOutMask);
    }

    @Override
    public boolean readsCurrentPixel() {
        return channels > 1;
    }

    /** tanh(first half of the channels) * sigmoid(second half). */
    private NDArray gate(NDArray a) {
        return Activation.tanh(a.get(":, 0:" + filters)).mul(Activation.sigmoid(a.get(":, " + filters + ":")));
    }

    private static NDArray conv1x1(NDArray x, NDArray w) {
        return Conv2d.conv2d(x, w).singletonOrThrow();
    }

    @Override
    public NDArray apply(NDArray x, Noise noise) {
        NDArray xs = Scalars.div(x, 127.5).sub(1f);
        NDArray v = null;
        NDArray h = null;
        for (int l = 0; l < vertical.size(); l++) {
            NDArray vPre = l == 0 ? CausalConv.shiftDown(vertical.get(0).apply(xs)) : vertical.get(l).apply(v);
            NDArray hConv = l == 0 ? CausalConv.shiftRight(horizontal.get(0).apply(xs)) : horizontal.get(l).apply(h);
            NDArray hPre = hConv.add(conv1x1(vPre, verticalToHorizontal.get(l)));
            v = gate(vPre);
            h = l == 0 ? gate(hPre) : h.add(conv1x1(gate(hPre), horizontalOut.get(l - 1)));
        }
        NDArray hidden = Conv2d.conv2d(Activation.relu(h), headIn, headInBias).singletonOrThrow();
        if (channels > 1) {
            hidden = hidden.add(conv1x1(xs, headPixel.mul(headPixelMask)));
        }
        return Conv2d.conv2d(Activation.relu(hidden), headOut.mul(headOutMask), headOutBias).singletonOrThrow();
    }
}
