package densitylab.model.flow;

import densitylab.nn.ParamFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

import java.util.List;

/**
 * Affine coupling (Dinh et al. 2017; Kingma &amp; Dhariwal 2018): the masked part of x passes unchanged and
 * conditions a zero-initialised network that gives a shift t and a scale s for the rest: y = x s + t,
 * log|det| = sum log s. The mask is a checkerboard or one half of the channels. The scale is bounded,
 * s = sigmoid(r + 2) (Glow), or unbounded, s = exp(r), which makes the layer Glow's learned conditional
 * Gaussian prior of a factored-out half.
 */
public final class AffineCoupling implements Transform {
    /** Which elements condition the others. */
    public enum Mask { CHECKERBOARD, CHANNEL }

    /** How the network's raw output becomes a scale. */
    public enum Scale { SIGMOID, EXP }

    private final Mask mask;
    private final Scale scale;
    private final int parity;
    private final int channels;
    private final ConvNet net;
    private final NDArray board; // (1, 1, H, W) for CHECKERBOARD: 1 where x conditions
    private final NDArray free;  // 1 - board

    /**
     * @param shape   input shape [C, H, W]
     * @param parity  0 or 1: which checkerboard colour / channel half conditions
     */
    public AffineCoupling(ParamFactory f, int[] shape, Mask mask, Scale scale, int parity, int hidden) {
        this.mask = mask;
        this.scale = scale;
        this.parity = parity;
        this.channels = shape[0];
        if (mask == Mask.CHANNEL) {
            if (channels < 2 || channels % 2 != 0) {
                throw new IllegalArgumentException("channel coupling needs an even number of channels >= 2, got " + channels
                        + "; squeeze first");
            }
            this.net = new ConvNet(f, channels / 2, hidden, channels);
            this.board = null;
            this.free = null;
        } else {
            this.net = new ConvNet(f, channels, hidden, 2 * channels);
            float[] b = new float[shape[1] * shape[2]];
            float[] rest = new float[b.length];
            for (int y = 0; y < shape[1]; y++) {
                for (int x = 0; x < shape[2]; x++) {
                    b[y * shape[2] + x] = (x + y + parity) % 2 == 0 ? 1f : 0f;
                    rest[y * shape[2] + x] = 1f - b[y * shape[2] + x];
                }
            }
            this.board = f.constant(b, 1, 1, shape[1], shape[2]);
            this.free = f.constant(rest, 1, 1, shape[1], shape[2]);
        }
    }

    /** The scale s and log s for raw network output r; five ops instead of the ten of a hand-written log-sigmoid. */
    private record Affine(NDArray s, NDArray logS) {
    }

    private Affine affine(NDArray raw) {
        if (scale == Scale.EXP) {
            return new Affine(raw.exp(), raw);
        }
        NDArray a = raw.add(2f);
        return new Affine(Activation.sigmoid(a), Activation.softPlus(a.neg()).neg()); // log sigmoid(a) = -softplus(-a)
    }

    @Override
    public Result forward(NDArray x) {
        if (mask == Mask.CHECKERBOARD) {
            NDArray keep = x.mul(board);
            NDList st = net.apply(keep).split(2, 1);
            Affine a = affine(st.get(1));
            NDArray y = keep.add(x.mul(a.s()).add(st.get(0)).mul(free));
            NDArray logDet = Sums.perExample(a.logS().mul(free));
            return new Result(y, logDet);
        }
        NDList halves = x.split(2, 1);
        NDArray cond = halves.get(parity);
        NDArray other = halves.get(1 - parity);
        NDList st = net.apply(cond).split(2, 1);
        Affine a = affine(st.get(1));
        NDArray y2 = other.mul(a.s()).add(st.get(0));
        NDArray y = parity == 0 ? cond.concat(y2, 1) : y2.concat(cond, 1);
        return new Result(y, Sums.perExample(a.logS()));
    }

    @Override
    public NDArray inverse(NDArray y) {
        if (mask == Mask.CHECKERBOARD) {
            NDArray keep = y.mul(board);
            NDList st = net.apply(keep).split(2, 1);
            return keep.add(y.sub(st.get(0)).div(affine(st.get(1)).s()).mul(free));
        }
        NDList halves = y.split(2, 1);
        NDArray cond = halves.get(parity);
        NDArray y2 = halves.get(1 - parity);
        NDList st = net.apply(cond).split(2, 1);
        NDArray x2 = y2.sub(st.get(0)).div(affine(st.get(1)).s());
        return parity == 0 ? cond.concat(x2, 1) : x2.concat(cond, 1);
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in[0] != channels || (board != null && in[1] * in[2] != board.getShape().get(2) * board.getShape().get(3))) {
            throw new IllegalArgumentException("coupling built for " + channels + " channels" + (board == null ? ""
                    : " and " + board.getShape().get(2) + "x" + board.getShape().get(3) + " pixels")
                    + " got " + in[0] + "x" + in[1] + "x" + in[2]);
        }
        return in.clone();
    }

    @Override
    public List<NDArray> parameters() {
        return net.parameters();
    }
}
