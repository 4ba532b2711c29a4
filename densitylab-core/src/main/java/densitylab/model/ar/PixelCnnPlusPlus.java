package densitylab.model.ar;

import densitylab.model.ar.CausalConv.Kind;
import densitylab.nn.Noise;
import densitylab.nn.ParamFactory;
import densitylab.nn.Scalars;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The PixelCNN++ network (Salimans et al. 2017), laid out as the authors' code and its PyTorch port by pclucas14:
 * two streams, u (down-shifted convolutions: the rows above) and ul (down-right-shifted: above and to the left),
 * started by shifted convolutions of the input with a channel of ones appended (so padding differs from black);
 * an up pass of three resolutions (H, H/2, H/4) with R gated resnet blocks each and stride-2 shifted convolutions
 * between them; a down pass back up with R, R+1, R+1 blocks that read the up pass's outputs through their skip
 * input, and shifted transposed convolutions between resolutions; finally a 1x1 convolution of elu(ul) to the
 * logistic mixture's parameters. Gated resnet block: c = conv(concat_elu(x)) [+ nin(concat_elu(a))], then
 * concat_elu, dropout, conv to 2F channels, and x + c1 * sigmoid(c2). The reference uses weight normalisation;
 * this one initialises plain weights at 1/sqrt(fan-in) and the blocks' last convolution at a tenth of that.
 */
final class PixelCnnPlusPlus implements ConditionalNetwork {
    private static final int[] DOWN_KERNEL = {2, 3};
    private static final int[] DOWN_RIGHT_KERNEL = {2, 2};
    private final int filters;
    private final double dropout;
    private final CausalConv uInit;
    private final CausalConv ulInitDown;
    private final CausalConv ulInitRight;
    private final List<List<Resnet[]>> up = new ArrayList<>();   // per resolution: R pairs (u block, ul block)
    private final List<CausalConv[]> downsize = new ArrayList<>(); // (u, ul) stride-2 convolutions
    private final List<List<Resnet[]>> down = new ArrayList<>();
    private final List<CausalConv[]> upsize = new ArrayList<>();   // (u, ul) transposed convolutions
    private final NDArray outWeight;
    private final NDArray outBias;
    private final List<NDArray> parameters = new ArrayList<>();

    /** A gated resnet block of one stream; skip = how many F-channel arrays its skip input a concatenates (0: none). */
    private final class Resnet {
        final CausalConv in;
        final NDArray skipWeight;
        final NDArray skipBias;
        final CausalConv out;

        Resnet(ParamFactory f, Kind kind, int skip) {
            int[] k = kind == Kind.DOWN ? DOWN_KERNEL : DOWN_RIGHT_KERNEL;
            in = add(CausalConv.of(f, kind, 2 * filters, filters, k[0], k[1], 1.0));
            skipWeight = skip > 0 ? add(f.normal(1.0 / Math.sqrt(2.0 * skip * filters), filters, 2L * skip * filters, 1, 1)) : null;
            skipBias = skip > 0 ? add(f.zeros(filters)) : null;
            out = add(CausalConv.of(f, kind, 2 * filters, 2 * filters, k[0], k[1], 0.1));
        }

        NDArray apply(NDArray x, NDArray a, Noise noise) {
            NDArray c = in.apply(concatElu(x));
            if (a != null) {
                c = c.add(Conv2d.conv2d(concatElu(a), skipWeight, skipBias).singletonOrThrow());
            }
            NDArray e = concatElu(c);
            if (noise != null && dropout > 0) {
                NDArray keep = noise.uniform(e.getManager(), e.getShape()).gt((float) dropout).toType(e.getDataType(), false);
                e = e.mul(Scalars.div(keep, 1 - dropout));
            }
            NDArray g = out.apply(e);
            return x.add(g.get(":, 0:" + filters).mul(Activation.sigmoid(g.get(":, " + filters + ":"))));
        }
    }

    /**
     * @param resnets R, gated resnet blocks per resolution in the up pass
     * @param outputs channels of the output (the likelihood's parameters)
     */
    PixelCnnPlusPlus(ParamFactory f, int channels, int resnets, int filters, double dropout, int outputs) {
        if (resnets < 1 || filters < 1 || dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("pixelcnnpp needs resnets >= 1, filters >= 1 and 0 <= dropout < 1; got "
                    + resnets + ", " + filters + ", " + dropout);
        }
        this.filters = filters;
        this.dropout = dropout;
        int in = channels + 1;
        uInit = add(CausalConv.of(f, Kind.DOWN, in, filters, 2, 3, 1.0));
        ulInitDown = add(CausalConv.of(f, Kind.DOWN, in, filters, 1, 3, 1.0));
        ulInitRight = add(CausalConv.of(f, Kind.DOWN_RIGHT, in, filters, 2, 1, 1.0));
        for (int s = 0; s < 3; s++) {
            List<Resnet[]> blocks = new ArrayList<>();
            for (int r = 0; r < resnets; r++) {
                blocks.add(new Resnet[] {new Resnet(f, Kind.DOWN, 0), new Resnet(f, Kind.DOWN_RIGHT, 1)});
            }
            up.add(blocks);
            if (s < 2) {
                downsize.add(new CausalConv[] {
                        add(new CausalConv(f, Kind.DOWN, filters, filters, 2, 3, 2, false, 1.0)),
                        add(new CausalConv(f, Kind.DOWN_RIGHT, filters, filters, 2, 2, 2, false, 1.0))});
            }
        }
        for (int s = 0; s < 3; s++) {
            List<Resnet[]> blocks = new ArrayList<>();
            for (int r = 0; r < resnets + (s == 0 ? 0 : 1); r++) {
                blocks.add(new Resnet[] {new Resnet(f, Kind.DOWN, 1), new Resnet(f, Kind.DOWN_RIGHT, 2)});
            }
            down.add(blocks);
            if (s < 2) {
                upsize.add(new CausalConv[] {
                        add(new CausalConv(f, Kind.DOWN, filters, filters, 2, 3, 2, true, 1.0)),
                        add(new CausalConv(f, Kind.DOWN_RIGHT, filters, filters, 2, 2, 2, true, 1.0))});
            }
        }
        outWeight = add(f.normal(0.1 / Math.sqrt(filters), outputs, filters, 1, 1));
        outBias = add(f.zeros(outputs));
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
    public boolean readsCurrentPixel() {
        return false;
    }

    /** elu([x, -x]) along the channels: both signs keep their information (the paper's concat_elu). */
    private static NDArray concatElu(NDArray x) {
        return Activation.elu(x.concat(x.neg(), 1), 1f);
    }

    @Override
    public NDArray apply(NDArray x, Noise noise) {
        long[] s = x.getShape().getShape();
        NDArray xs = Scalars.div(x, 127.5).sub(1f);
        NDArray in = xs.concat(x.getManager().ones(new Shape(s[0], 1, s[2], s[3]), x.getDataType()), 1);
        Deque<NDArray> us = new ArrayDeque<>();
        Deque<NDArray> uls = new ArrayDeque<>();
        us.push(CausalConv.shiftDown(uInit.apply(in)));
        uls.push(CausalConv.shiftDown(ulInitDown.apply(in)).add(CausalConv.shiftRight(ulInitRight.apply(in))));
        for (int r = 0; r < 3; r++) {
            for (Resnet[] b : up.get(r)) {
                NDArray u = b[0].apply(us.peek(), null, noise);
                NDArray ul = b[1].apply(uls.peek(), u, noise);
                us.push(u);
                uls.push(ul);
            }
            if (r < 2) {
                NDArray u = downsize.get(r)[0].apply(us.peek());
                NDArray ul = downsize.get(r)[1].apply(uls.peek());
                us.push(u);
                uls.push(ul);
            }
        }
        NDArray u = us.pop();
        NDArray ul = uls.pop();
        for (int r = 0; r < 3; r++) {
            for (Resnet[] b : down.get(r)) {
                u = b[0].apply(u, us.pop(), noise);
                ul = b[1].apply(ul, u.concat(uls.pop(), 1), noise);
            }
            if (r < 2) { // back to the next resolution's size, read from the skip arrays waiting for it
                long h = us.peek().getShape().get(2);
                long w = us.peek().getShape().get(3);
                u = upsize.get(r)[0].apply(u, h, w);
                ul = upsize.get(r)[1].apply(ul, h, w);
            }
        }
        return Conv2d.conv2d(Activation.elu(ul, 1f), outWeight, outBias).singletonOrThrow();
    }
}
