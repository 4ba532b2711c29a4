package densitylab.model.gan;

import densitylab.nn.MemoryLayout;
import densitylab.nn.ParamFactory;
import densitylab.nn.Resampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * DCGAN's discriminator layout (Radford et al. 2016): stride-2 4x4 convolutions with LeakyReLU(0.2), doubling the
 * channels at each stage (width, 2 width, ...), then a linear head. It is DCGAN's discriminator and GANomaly's
 * discriminator and two encoders; the encoders batch-normalise every stage after the first, as GANomaly does.
 *
 * <p>Options: spectral normalisation (Miyato et al. 2018) divides every weight by its largest singular value,
 * estimated with one power-iteration vector per layer, a buffer updated after each discriminator step
 * ({@link #powerIteration}); and {@link #inputGradient}, the gradient of the first output with respect to the
 * input as a differentiable expression (WGAN-GP's penalty).
 *
 * <p>Convolutions run on channels-last arrays, as in the other models: libtorch 2.5.1's oneDNN gave wrong input
 * gradients (errors of order 1, sometimes NaN, against a float64 reference) for standard-order 3x3 convolutions with
 * 1 to 8 output channels and for standard-order 4x4 stride-2 convolutions of 1- or 2-channel 8x8 images, and exact
 * ones for the same convolutions channels-last (docs/model-code.md). Batch normalisation runs in the standard order
 * ({@link BatchNorms}).
 */
final class DownNet {
    private static final Shape K4 = new Shape(4, 4);
    private static final Shape S2 = new Shape(2, 2);
    private static final Shape P1 = new Shape(1, 1);
    private static final NDIndex ALL = new NDIndex("...");
    static final float SLOPE = 0.2f;

    private final int stages;
    private final NDArray[] w;
    private final NDArray[] b;
    private final NDArray[] gamma;
    private final NDArray[] beta;
    private final int[] norm;
    private final NDArray headW;
    private final NDArray headB;
    private final BatchNorms norms;
    private final List<NDArray> parameters = new ArrayList<>();
    private final List<NDArray> buffers = new ArrayList<>();
    private NDArray[] u; // spectral norm: one vector per layer (convolutions, then the head); null when off
    private final long[] featureShape;

    /**
     * @param shape     the input's [C, H, W]; H and W divisible by 2^stages
     * @param batchNorm batch-normalise the stages after the first (null norms: none)
     */
    DownNet(ParamFactory f, BatchNorms norms, int[] shape, int stages, int width, int outputs, boolean batchNorm) {
        this.stages = stages;
        this.norms = norms;
        w = new NDArray[stages];
        b = new NDArray[stages];
        gamma = new NDArray[stages];
        beta = new NDArray[stages];
        norm = new int[stages];
        int in = shape[0];
        for (int i = 0; i < stages; i++) {
            int out = width << i;
            w[i] = add(f.normal(0.02, out, in, 4, 4));
            b[i] = add(f.zeros(out));
            if (batchNorm && i > 0) {
                gamma[i] = add(f.ones(out));
                beta[i] = add(f.zeros(out));
                norm[i] = norms.add(out);
            }
            in = out;
        }
        featureShape = new long[] {in, shape[1] >> stages, shape[2] >> stages};
        headW = add(f.normal(0.02, outputs, in * featureShape[1] * featureShape[2]));
        headB = add(f.zeros(outputs));
    }

    private NDArray add(NDArray p) {
        parameters.add(p);
        return p;
    }

    List<NDArray> parameters() {
        return parameters;
    }

    /** The spectral-norm vectors (empty when off). */
    List<NDArray> buffers() {
        return buffers;
    }

    /** (C, h, w) of {@link #features}. */
    long[] featureShape() {
        return featureShape.clone();
    }

    /** Turns spectral normalisation on: one unit vector per layer from f, refined by 20 power iterations. */
    void enableSpectralNorm(ParamFactory f) {
        u = new NDArray[stages + 1];
        for (int i = 0; i <= stages; i++) {
            NDArray weight = i < stages ? w[i] : headW;
            float[] v;
            try (NDArray drawn = f.normal(1.0, weight.getShape().get(0))) {
                v = drawn.toFloatArray();
            }
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            for (int k = 0; k < v.length; k++) {
                v[k] /= (float) Math.sqrt(norm);
            }
            u[i] = f.constant(v, v.length);
            buffers.add(u[i]);
        }
        for (int k = 0; k < 20; k++) {
            powerIteration();
        }
    }

    /** One power iteration per layer, in place on the vectors: v = W^T u / |.|, u = W v / |.|. */
    void powerIteration() {
        if (u == null) {
            return;
        }
        for (int i = 0; i <= stages; i++) {
            NDArray weight = i < stages ? w[i] : headW;
            try (NDArray wm = weight.stopGradient().reshape(weight.getShape().get(0), -1)) {
                NDArray v = unit(u[i].expandDims(0).matMul(wm).squeeze(0));
                NDArray next = unit(wm.matMul(v.expandDims(1)).squeeze(1));
                u[i].set(ALL, next);
                v.close();
                next.close();
            }
        }
    }

    private static NDArray unit(NDArray x) {
        return x.div(x.norm().add(1e-12f));
    }

    /** Layer i's weight as used: divided by its estimated largest singular value u^T W v when spectral norm is on. */
    private NDArray weight(int i) {
        NDArray weight = i < stages ? w[i] : headW;
        if (u == null) {
            return weight;
        }
        NDArray wm = weight.reshape(weight.getShape().get(0), -1);
        NDArray v = unit(u[i].expandDims(0).matMul(wm.stopGradient()).squeeze(0)).stopGradient();
        NDArray sigma = u[i].expandDims(0).matMul(wm.matMul(v.expandDims(1))).reshape(1);
        return weight.div(sigma);
    }

    /** The last stage's activations (B, C, h, w) of a scaled input v (B, C, H, W) in [-1, 1]. */
    NDArray features(NDArray v, NormMode mode) {
        NDArray h = v;
        for (int i = 0; i < stages; i++) {
            h = Conv2d.conv2d(MemoryLayout.channelsLast(h), weight(i), b[i], S2, P1).singletonOrThrow();
            if (gamma[i] != null) {
                h = norms.apply(norm[i], h, gamma[i], beta[i], mode);
            }
            h = Activation.leakyRelu(h, SLOPE);
        }
        return h;
    }

    /** The head's outputs (B, outputs) for features (B, C, h, w). */
    NDArray head(NDArray features) {
        return Linear.linear(features.reshape(features.getShape().get(0), -1), weight(stages), headB).singletonOrThrow();
    }

    /** {@link #head} of {@link #features}. */
    NDArray forward(NDArray v, NormMode mode) {
        return head(features(v, mode));
    }

    /**
     * d output[:, 0] / d v (B, C, H, W) as a differentiable expression in v and the weights: the backward pass written
     * out (the head's weight row, through each LeakyReLU's slope at its input and each stride-2 convolution's
     * transpose), so that WGAN-GP's penalty on its norm gets a gradient without a second backward pass. DJL's
     * libtorch binding has backward(create_graph) but not autograd.grad: a first backward would add the critic's
     * own gradient into every parameter, and parameters whose gradient holds a graph of themselves never free it.
     * Needs a network without batch normalisation.
     */
    NDArray inputGradient(NDArray v) {
        for (NDArray g : gamma) {
            if (g != null) {
                throw new IllegalStateException("the input gradient is written for a network without batch normalisation");
            }
        }
        NDArray[] pre = new NDArray[stages];
        NDArray h = MemoryLayout.channelsLast(v);
        NDArray[] weights = new NDArray[stages];
        for (int i = 0; i < stages; i++) {
            weights[i] = weight(i);
            pre[i] = Conv2d.conv2d(h, weights[i], b[i], S2, P1).singletonOrThrow();
            h = Activation.leakyRelu(pre[i], SLOPE);
        }
        long batch = v.getShape().get(0);
        NDArray row = weight(stages).get("0:1").reshape(1, featureShape[0], featureShape[1], featureShape[2]);
        NDArray g = row.broadcast(batch, featureShape[0], featureShape[1], featureShape[2]);
        for (int i = stages - 1; i >= 0; i--) {
            NDArray positive = pre[i].stopGradient().gt(0f);
            g = NDArrays.where(positive, g, densitylab.nn.Scalars.mul(g, SLOPE));
            g = Resampling.transposedStride2(g, weights[i], 1);
        }
        return g;
    }
}
