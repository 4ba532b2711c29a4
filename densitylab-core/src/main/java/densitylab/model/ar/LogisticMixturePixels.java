package densitylab.model.ar;

import densitylab.nn.LogMath;
import densitylab.nn.LogisticBins;
import densitylab.nn.Scalars;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import ai.djl.nn.Activation;

import java.util.SplittableRandom;

/**
 * The discretized logistic mixture of PixelCNN++ (Salimans et al. 2017, section 2.1-2.2): K components per pixel,
 * shared by its channels; under component k, channel c is a discretized logistic ({@link LogisticBins}) whose mean
 * is linear in the pixel's earlier channels, mu_c + sum_{c' &lt; c} a_{c'c} x'_{c'} with a = tanh(coefficient). Network
 * output channels, in order: K mixture logits, C*K means, C*K log-scales, C(C-1)/2*K coefficients (pair (c', c) at
 * index c(c-1)/2 + c'); 3K for grey images, 10K for RGB as in the paper.
 *
 * <p>Per sub-pixel terms: with L_k(c) = log pi_k + sum_{c' &lt;= c} log P_k(x_{c'}), the conditional of channel c given
 * the earlier ones is logsumexp_k L_k(c) - logsumexp_k L_k(c-1); they telescope to the pixel's joint
 * logsumexp_k L_k(C-1), which is the paper's likelihood.
 */
final class LogisticMixturePixels implements PixelLikelihood {
    private final int components;
    private final int channels;

    LogisticMixturePixels(int components, int channels) {
        if (components < 1) {
            throw new IllegalArgumentException("a logistic mixture needs at least one component, got " + components);
        }
        this.components = components;
        this.channels = channels;
    }

    @Override
    public String name() {
        return "logistic-mixture";
    }

    private static int pairs(int c) {
        return c * (c - 1) / 2;
    }

    @Override
    public int parameterChannels(int c) {
        return components * (1 + 2 * c + pairs(c));
    }

    @Override
    public NDArray logProbPerSubpixel(NDArray params, NDArray x) {
        long[] s = x.getShape().getShape();
        int k = components;
        int c = channels;
        NDArray logPi = params.get(":, 0:" + k).logSoftmax(1).expandDims(1); // (B, 1, K, H, W)
        NDArray means = params.get(":, " + k + ":" + (k + c * k)).reshape(s[0], c, k, s[2], s[3]);
        NDArray logS = params.get(":, " + (k + c * k) + ":" + (k + 2 * c * k)).reshape(s[0], c, k, s[2], s[3]);
        if (c > 1) {
            NDArray coeffs = Activation.tanh(params.get(":, " + (k + 2 * c * k) + ":")).reshape(s[0], pairs(c), k, s[2], s[3]);
            NDArray scaled = Scalars.div(x, 127.5).sub(1f).expandDims(2); // (B, C, 1, H, W)
            NDList adjusted = new NDList();
            for (int ch = 0; ch < c; ch++) {
                NDArray m = means.get(":, " + ch);
                for (int prev = 0; prev < ch; prev++) {
                    m = m.add(coeffs.get(":, " + (pairs(ch) + prev)).mul(scaled.get(":, " + prev)));
                }
                adjusted.add(m);
            }
            means = NDArrays.stack(adjusted, 1);
        }
        NDArray cumulative = LogisticBins.logMass(x.expandDims(2), means, logS).cumSum(1); // (B, C, K, H, W)
        NDArray joint = LogMath.logSumExp(cumulative.add(logPi), 2); // (B, C, H, W): log P(x_0..x_c)
        if (c == 1) {
            return joint;
        }
        NDArray before = x.getManager().zeros(new ai.djl.ndarray.types.Shape(s[0], 1, s[2], s[3]))
                .concat(joint.get(":, 0:" + (c - 1)), 1);
        return joint.sub(before);
    }

    /**
     * Samples the whole pixel at c = 0 as the paper does: a component from the (tempered) mixture weights, then each
     * channel from its logistic with the mean shifted by the channels already drawn (scale times temperature).
     */
    @Override
    public int sample(float[] p, int c, int[] pixel, double temperature, SplittableRandom rng) {
        int k = components;
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) { // Gumbel-max over logits / temperature
            double g = p[j] / temperature - Math.log(-Math.log(uniform(rng)));
            if (g > bestScore) {
                bestScore = g;
                best = j;
            }
        }
        double[] scaled = new double[channels];
        for (int ch = 0; ch < channels; ch++) {
            double mean = p[k + ch * k + best];
            for (int prev = 0; prev < ch; prev++) {
                mean += Math.tanh(p[k + 2 * channels * k + (pairs(ch) + prev) * k + best]) * scaled[prev];
            }
            pixel[ch] = LogisticBins.sample(mean, p[k + channels * k + ch * k + best], temperature, uniform(rng));
            scaled[ch] = pixel[ch] / 127.5 - 1;
        }
        return channels;
    }

    /** Uniform in the open interval (0, 1). */
    private static double uniform(SplittableRandom rng) {
        double u;
        do {
            u = rng.nextDouble();
        } while (u == 0);
        return u;
    }
}
