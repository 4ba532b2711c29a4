package densitylab.model.gan;

import densitylab.nn.MemoryLayout;
import densitylab.nn.ParamFactory;
import densitylab.nn.Resampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * DCGAN's generator layout (Radford et al. 2016): a linear projection of the latent vector to width 2^stages
 * channels at 1/2^stages of the image size, batch-normalised, ReLU; then per stage a 2x upsampling that halves the
 * channels (batch norm and ReLU after all but the last), the last stage to the image's channels with tanh. DJL's
 * PyTorch engine has no transposed convolution, so each upsampling is nearest-neighbour 2x then a 3x3 convolution
 * ("resize-convolution", Odena et al. 2016, which also avoids checkerboard artefacts); bench/pytorch/dcgan.py
 * builds the same layers. DCGAN's generator and GANomaly's decoder. Memory orders as in {@link DownNet}.
 */
final class UpNet {
    private static final Shape ONE = new Shape(1, 1);
    private static final Shape P1 = new Shape(1, 1);

    private final int stages;
    private final long[] base; // (c0, bh, bw)
    private final NDArray projection;
    private final NDArray[] w;
    private final NDArray[] gamma;
    private final NDArray[] beta;
    private final int[] norm;
    private final NDArray lastBias;
    private final BatchNorms norms;
    private final List<NDArray> parameters = new ArrayList<>();

    /** @param shape the output's [C, H, W]; H and W divisible by 2^stages */
    UpNet(ParamFactory f, BatchNorms norms, int[] shape, int stages, int width, int latent) {
        this.stages = stages;
        this.norms = norms;
        int c0 = width << stages;
        base = new long[] {c0, shape[1] >> stages, shape[2] >> stages};
        w = new NDArray[stages];
        gamma = new NDArray[stages + 1];
        beta = new NDArray[stages + 1];
        norm = new int[stages + 1];
        projection = add(f.normal(0.02, c0 * base[1] * base[2], latent));
        gamma[0] = add(f.ones(c0));
        beta[0] = add(f.zeros(c0));
        norm[0] = norms.add(c0);
        int in = c0;
        for (int i = 0; i < stages - 1; i++) {
            int out = width << (stages - 1 - i);
            w[i] = add(f.normal(0.02, out, in, 3, 3));
            gamma[i + 1] = add(f.ones(out));
            beta[i + 1] = add(f.zeros(out));
            norm[i + 1] = norms.add(out);
            in = out;
        }
        w[stages - 1] = add(f.normal(0.02, shape[0], in, 3, 3));
        lastBias = add(f.zeros(shape[0]));
    }

    private NDArray add(NDArray p) {
        parameters.add(p);
        return p;
    }

    List<NDArray> parameters() {
        return parameters;
    }

    /** Images in [-1, 1], (B, C, H, W), for latent vectors z (B, latent). */
    NDArray forward(NDArray z, NormMode mode) {
        long batch = z.getShape().get(0);
        NDArray h = Linear.linear(z, projection, null).singletonOrThrow().reshape(batch, base[0], base[1], base[2]);
        h = Activation.relu(norms.apply(norm[0], h, gamma[0], beta[0], mode));
        for (int i = 0; i < stages; i++) {
            boolean last = i == stages - 1;
            h = Conv2d.conv2d(Resampling.upsampleNearest2x(MemoryLayout.channelsLast(h)), w[i], last ? lastBias : null, ONE, P1)
                    .singletonOrThrow();
            if (!last) {
                h = Activation.relu(norms.apply(norm[i + 1], h, gamma[i + 1], beta[i + 1], mode));
            }
        }
        return h.tanh();
    }
}
