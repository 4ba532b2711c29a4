package densitylab.model.flow;

import densitylab.nn.Scalars;
import densitylab.nn.ParamFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.util.List;

/**
 * Invertible 1x1 convolution in the LU parameterisation (Kingma &amp; Dhariwal 2018):
 * W = P (L + I) (U + diag(sign * exp(logS))) with P a fixed permutation, so log|det W| = sum logS
 * and the layer's log|det| = H W sum logS (DJL has no slogdet). Starts as the permutation P. Applied as the
 * matrix product W x over each example's (C, H W) pixels, faster on few channels in the standard memory
 * order than libtorch's 1x1 convolution in either order.
 */
public final class InvConv1x1Lu implements Transform {
    private final int c;
    private final NDArray perm;     // (C, C) constant
    private final NDArray lower;    // (C, C) trained, strictly lower part used
    private final NDArray upper;    // (C, C) trained, strictly upper part used
    private final NDArray logS;     // (C) trained
    private final NDArray sign;     // (C) constant
    private final NDArray lowerMask;
    private final NDArray upperMask;
    private final NDArray eye;

    public InvConv1x1Lu(ParamFactory f, int channels) {
        this.c = channels;
        int[] p = f.permutation(channels);
        float[] pm = new float[c * c];
        float[] lm = new float[c * c];
        float[] um = new float[c * c];
        float[] id = new float[c * c];
        float[] ones = new float[c];
        for (int i = 0; i < c; i++) {
            pm[i * c + p[i]] = 1;
            id[i * c + i] = 1;
            ones[i] = 1;
            for (int j = 0; j < c; j++) {
                if (j < i) {
                    lm[i * c + j] = 1;
                } else if (j > i) {
                    um[i * c + j] = 1;
                }
            }
        }
        this.perm = f.constant(pm, c, c);
        this.lowerMask = f.constant(lm, c, c);
        this.upperMask = f.constant(um, c, c);
        this.eye = f.constant(id, c, c);
        this.sign = f.constant(ones, c);
        this.lower = f.zeros(c, c);
        this.upper = f.zeros(c, c);
        this.logS = f.zeros(c);
    }

    /** The (C, C) weight matrix. */
    NDArray weight() {
        NDArray l = lower.mul(lowerMask).add(eye);
        NDArray u = upper.mul(upperMask).add(eye.mul(sign.mul(logS.exp()).reshape(1, c)));
        return perm.dot(l.dot(u));
    }

    @Override
    public Result forward(NDArray x) {
        NDArray y = mix(weight(), x);
        long hw = x.getShape().get(2) * x.getShape().get(3);
        return new Result(y, Scalars.mul(logS.sum(), hw).broadcast(x.getShape().get(0)));
    }

    @Override
    public NDArray inverse(NDArray y) {
        return mix(weight().inverse(), y);
    }

    /** The (C, C) matrix w applied to the channels of each pixel of x (B, C, H, W). */
    private NDArray mix(NDArray w, NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() != 4 || shape.get(1) != c) {
            throw new IllegalArgumentException("1x1 convolution for " + c + " channels got shape " + shape);
        }
        w.attach(x.getManager()); // a product belongs to its first operand's manager: the caller's scope, not the batch's
        return w.matMul(x.reshape(shape.get(0), c, -1)).reshape(shape);
    }

    @Override
    public List<NDArray> parameters() {
        return List.of(lower, upper, logS);
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in[0] != c) {
            throw new IllegalArgumentException("1x1 convolution for " + c + " channels got " + in[0]);
        }
        return in.clone();
    }

}
