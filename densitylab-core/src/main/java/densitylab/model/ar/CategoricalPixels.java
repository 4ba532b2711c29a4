package densitylab.model.ar;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.SplittableRandom;

/**
 * A 256-way softmax per sub-pixel (PixelCNN, van den Oord et al. 2016): channel c's 256 logits are output channels
 * c*256 .. c*256+255.
 */
final class CategoricalPixels implements PixelLikelihood {
    @Override
    public String name() {
        return "categorical";
    }

    @Override
    public int parameterChannels(int c) {
        return 256 * c;
    }

    @Override
    public NDArray logProbPerSubpixel(NDArray params, NDArray x) {
        long[] s = x.getShape().getShape();
        NDArray logp = params.reshape(s[0], s[1], 256, s[2], s[3]).logSoftmax(2);
        NDArray idx = x.toType(DataType.INT64, false).reshape(s[0], s[1], 1, s[2], s[3]);
        return logp.gather(idx, 2).reshape(s);
    }

    @Override
    public int sample(float[] p, int c, int[] pixel, double temperature, SplittableRandom rng) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < 256; v++) {
            max = Math.max(max, p[c * 256 + v] / temperature);
        }
        double[] w = new double[256];
        double total = 0;
        for (int v = 0; v < 256; v++) {
            w[v] = Math.exp(p[c * 256 + v] / temperature - max);
            total += w[v];
        }
        double r = rng.nextDouble() * total;
        int v = 0;
        for (double acc = w[0]; v < 255 && r >= acc; acc += w[++v]) {
            // walk the cumulative distribution
        }
        pixel[c] = v;
        return 1;
    }
}
