package densitylab.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import densitylab.nn.LibTorch;
import densitylab.nn.MemoryLayout;
import densitylab.nn.ParamFactory;
import densitylab.nn.Resampling;
import densitylab.nn.Scalars;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The noise predictor eps_theta(x_t, t) of a DDPM (Ho et al. 2020): a U-Net of residual blocks with group normalisation
 * and SiLU, a sinusoidal embedding of t added in every block, stride-2 convolutions down and nearest-neighbour
 * upsampling with a convolution up, skip connections by concatenation, and optionally one self-attention layer at the
 * lowest resolution. The last convolution of each block and of the output start at zero, so an untrained network
 * predicts zero noise. Inside, activations are channels-last, whose convolutions oneDNN runs fastest and which
 * libtorch's group norm and SiLU keep.
 */
final class UNet {
    private static final Shape ONE = new Shape(1, 1);
    private static final Shape S2 = new Shape(2, 2);
    private static final Shape P1 = new Shape(1, 1);
    private static final Shape P0 = new Shape(0, 0);
    /** Channels per group of every group normalisation (as many groups as that gives, at most 32). */
    private static final int GROUP_CHANNELS = 8;

    final NDManager manager;
    final List<NDArray> parameters = new ArrayList<>();
    private final ParamFactory f;
    private final int width;
    private final int[] mults;
    private final int blocks;
    private final NDArray t1w, t1b, t2w, t2b;
    private final Conv in;
    private final List<Object> down = new ArrayList<>();
    private final List<Object> middle = new ArrayList<>();
    private final List<Object> up = new ArrayList<>();
    private final Norm outNorm;
    private final Conv out;

    /**
     * A network for images of channels channels whose sides are divisible by 2^(mults.length - 1), with width channels at
     * the first level and width * mults[i] at level i, blocks residual blocks per level going down (one more going up).
     */
    UNet(int channels, int width, int[] mults, int blocks, boolean attention, long seed) {
        if (width % GROUP_CHANNELS != 0) {
            throw new IllegalArgumentException("the U-Net's width must be a multiple of " + GROUP_CHANNELS + ", got " + width);
        }
        if (mults.length < 1 || blocks < 1) {
            throw new IllegalArgumentException("the U-Net needs at least one level and one block per level");
        }
        this.manager = NDManager.newBaseManager();
        this.f = new ParamFactory(manager, seed);
        this.width = width;
        this.mults = mults.clone();
        this.blocks = blocks;
        int temb = 4 * width;
        t1w = add(f.normal(Math.sqrt(1.0 / width), temb, width));
        t1b = add(f.zeros(temb));
        t2w = add(f.normal(Math.sqrt(1.0 / temb), temb, temb));
        t2b = add(f.zeros(temb));
        in = conv(channels, width, 3, false);
        Deque<Integer> skips = new ArrayDeque<>();
        skips.push(width);
        int ch = width;
        for (int level = 0; level < mults.length; level++) {
            for (int j = 0; j < blocks; j++) {
                down.add(new Res(ch, width * mults[level], temb));
                ch = width * mults[level];
                skips.push(ch);
            }
            if (level < mults.length - 1) {
                down.add(conv(ch, ch, 3, false)); // stride 2
                skips.push(ch);
            }
        }
        middle.add(new Res(ch, ch, temb));
        if (attention) {
            middle.add(new Attention(ch));
        }
        middle.add(new Res(ch, ch, temb));
        for (int level = mults.length - 1; level >= 0; level--) {
            for (int j = 0; j < blocks + 1; j++) {
                up.add(new Res(ch + skips.pop(), width * mults[level], temb));
                ch = width * mults[level];
            }
            if (level > 0) {
                up.add(conv(ch, ch, 3, false)); // after 2x upsampling
            }
        }
        outNorm = new Norm(ch);
        out = conv(ch, channels, 3, true);
    }

    /** The number of trained values. */
    long parameterCount() {
        return parameters.stream().mapToLong(NDArray::size).sum();
    }

    /**
     * eps_theta(x, t) for a batch x (B, C, H, W) on the [-1, 1] scale and its timesteps t (B values, 1..T), in x's
     * manager.
     */
    NDArray forward(NDArray x, float[] t) {
        NDArray e = timeEmbedding(x.getManager(), t);
        e = Linear.linear(silu(Linear.linear(e, t1w, t1b).singletonOrThrow()), t2w, t2b).singletonOrThrow();
        NDArray h = in.apply(MemoryLayout.channelsLast(x), ONE);
        Deque<NDArray> hs = new ArrayDeque<>();
        hs.push(h);
        for (Object layer : down) {
            h = layer instanceof Res r ? r.apply(h, e) : ((Conv) layer).apply(h, S2);
            hs.push(h);
        }
        for (Object layer : middle) {
            h = layer instanceof Res r ? r.apply(h, e) : ((Attention) layer).apply(h);
        }
        for (Object layer : up) {
            if (layer instanceof Res r) {
                h = r.apply(h.concat(hs.pop(), 1), e);
            } else {
                h = ((Conv) layer).apply(Resampling.upsampleNearest2x(h), ONE);
            }
        }
        return MemoryLayout.standard(out.apply(outNorm.applySilu(h), ONE));
    }

    /** The sinusoidal embedding (B, width) of the timesteps (Vaswani et al. 2017), sines then cosines. */
    private NDArray timeEmbedding(NDManager m, float[] t) {
        int half = width / 2;
        float[] v = new float[t.length * width];
        for (int i = 0; i < t.length; i++) {
            for (int k = 0; k < half; k++) {
                double freq = Math.exp(-Math.log(10000) * k / Math.max(1, half - 1));
                v[i * width + k] = (float) Math.sin(t[i] * freq);
                v[i * width + half + k] = (float) Math.cos(t[i] * freq);
            }
        }
        return m.create(v, new Shape(t.length, width));
    }

    private static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    private NDArray add(NDArray p) {
        parameters.add(p);
        return p;
    }

    private Conv conv(int in, int out, int k, boolean zero) {
        NDArray w = add(zero ? f.zeros(out, in, k, k) : f.normal(Math.sqrt(1.0 / (in * k * k)), out, in, k, k));
        return new Conv(w, add(f.zeros(out)), k == 3 ? P1 : P0);
    }

    private record Conv(NDArray w, NDArray b, Shape pad) {
        NDArray apply(NDArray x, Shape stride) {
            return Conv2d.conv2d(x, w, b, stride, pad).singletonOrThrow();
        }
    }

    /** Group normalisation with a learned scale and shift per channel. */
    private final class Norm {
        private final NDArray gamma;
        private final NDArray beta;
        private final int groups;

        Norm(int channels) {
            this.groups = Math.min(32, Math.max(1, channels / GROUP_CHANNELS));
            this.gamma = add(f.ones(1, channels, 1, 1));
            this.beta = add(f.zeros(1, channels, 1, 1));
        }

        NDArray apply(NDArray x) {
            return LibTorch.groupNorm(x, groups, gamma, beta, false);
        }

        /** silu(apply(x)), fused as PyTorch's GroupNorm and SiLU are. */
        NDArray applySilu(NDArray x) {
            return LibTorch.groupNorm(x, groups, gamma, beta, true);
        }
    }

    /** A residual block: norm, SiLU, 3x3 conv, plus the projected time embedding, norm, SiLU, 3x3 conv (zero at start). */
    private final class Res {
        private final Norm n1;
        private final Conv c1;
        private final NDArray ew, eb;
        private final Norm n2;
        private final Conv c2;
        private final Conv skip;

        Res(int in, int out, int temb) {
            n1 = new Norm(in);
            c1 = conv(in, out, 3, false);
            ew = add(f.normal(Math.sqrt(1.0 / temb), out, temb));
            eb = add(f.zeros(out));
            n2 = new Norm(out);
            c2 = conv(out, out, 3, true);
            skip = in == out ? null : conv(in, out, 1, false);
        }

        NDArray apply(NDArray x, NDArray e) {
            NDArray h = c1.apply(n1.applySilu(x), ONE);
            NDArray te = Linear.linear(silu(e), ew, eb).singletonOrThrow();
            h = h.add(te.reshape(te.getShape().get(0), -1, 1, 1));
            h = c2.apply(n2.applySilu(h), ONE);
            return (skip == null ? x : skip.apply(x, ONE)).add(h);
        }
    }

    /** Single-head self-attention over the positions, residual, with its output projection zero at start. */
    private final class Attention {
        private final Norm norm;
        private final Conv qkv;
        private final Conv proj;
        private final int channels;

        Attention(int channels) {
            this.channels = channels;
            norm = new Norm(channels);
            qkv = conv(channels, 3 * channels, 1, false);
            proj = conv(channels, channels, 1, true);
        }

        NDArray apply(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long n = s.get(2) * s.get(3);
            NDList parts = qkv.apply(norm.apply(x), ONE).reshape(b, 3L * channels, n).split(3, 1);
            NDArray q = parts.get(0).transpose(0, 2, 1); // (B, N, C)
            NDArray k = parts.get(1); // (B, C, N)
            NDArray v = parts.get(2).transpose(0, 2, 1); // (B, N, C)
            NDArray w = Scalars.mul(q.matMul(k), 1 / Math.sqrt(channels)).softmax(2);
            NDArray a = w.matMul(v).transpose(0, 2, 1).reshape(s);
            return x.add(proj.apply(a, ONE));
        }
    }
}
