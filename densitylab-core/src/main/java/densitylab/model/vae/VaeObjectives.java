package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.nn.LogMath;
import densitylab.nn.Noise;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;

import java.util.ArrayList;
import java.util.List;

/**
 * The VAE's objectives over its network: importance samples, the ELBO, the IWAE estimate (decoded in chunks that keep
 * activations small) and the training losses of the {@code elbo} and {@code forward-kl} objectives.
 */
final class VaeObjectives {
    private VaeObjectives() {
    }

    /** log N(z; 0, I) summed over the last axis. */
    static NDArray logStdNormal(NDArray z) {
        long l = z.getShape().get(z.getShape().dimension() - 1);
        return Scalars.mul(z.square().sum(new int[] {-1}), -0.5).sub((float) (0.5 * l * Math.log(2 * Math.PI)));
    }

    /** log N(z; mu, exp(logvar)) summed over the last axis. */
    static NDArray logNormal(NDArray z, NDArray mu, NDArray logvar) {
        long l = z.getShape().get(z.getShape().dimension() - 1);
        NDArray q = z.sub(mu).square().mul(logvar.neg().exp()).add(logvar);
        return Scalars.mul(q.sum(new int[] {-1}), -0.5).sub((float) (0.5 * l * Math.log(2 * Math.PI)));
    }

    /** The pieces of K importance samples for x: log p(x|z), log p(z), log q(z|x), each (B, K). */
    record Samples(NDArray logLik, NDArray logPrior, NDArray logQ, NDArray z) {
        NDArray logWeights() {
            return logLik.add(logPrior).sub(logQ);
        }
    }

    /** K samples z = mu + sigma eps from the Gaussian posterior (mu, logvar), each (B, L), with noise eps (B, K, L). */
    static Samples samples(VaeNetwork net, NDArray x, NDArray posteriorMean, NDArray posteriorLogvar, NDArray eps, boolean detach) {
        long b = x.getShape().get(0);
        long k = eps.getShape().get(1);
        NDArray mu = posteriorMean.expandDims(1);
        NDArray logvar = posteriorLogvar.expandDims(1);
        NDArray z = eps.mul(Scalars.mul(logvar, 0.5).exp()).add(mu);
        if (detach) {
            z = z.stopGradient();
        }
        long[] s = x.getShape().getShape();
        NDArray xs = x.expandDims(1).broadcast(b, k, s[1], s[2], s[3]).reshape(b * k, s[1], s[2], s[3]);
        NDArray logLik = net.decoder.logLikelihood(net.decode(z.reshape(b * k, net.latent)), xs).reshape(b, k);
        return new Samples(logLik, logStdNormal(z), logNormal(z, mu, logvar), z);
    }

    /** The ELBO per example in nats for a given Gaussian posterior (mu, logvar), each (B, L), and noise eps (B, 1, L). */
    static NDArray elbo(VaeNetwork net, NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        NDList parts = elboParts(net, x, mu, logvar, eps);
        return parts.get(0).sub(parts.get(1));
    }

    /**
     * The ELBO's two terms per example in nats: the reconstruction log-likelihood log p(x|z) at one sample (minus the
     * distortion) and the analytic KL(q(z|x) || p(z)) (the rate).
     */
    static NDList elboParts(VaeNetwork net, NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        long b = x.getShape().get(0);
        NDArray z = eps.reshape(b, net.latent).mul(Scalars.mul(logvar, 0.5).exp()).add(mu);
        NDArray rec = net.decoder.logLikelihood(net.decode(z), x);
        NDArray kl = Scalars.mul(mu.square().add(logvar.exp()).sub(1f).sub(logvar).sum(new int[] {1}), 0.5);
        return new NDList(rec, kl);
    }

    /**
     * The IWAE estimate of log p(x) per example in nats with the Gaussian proposal (mu, logvar), each (B, L), and noise
     * eps (B, K, L); the K samples are decoded in chunks of at most {@link VaeNetwork#decodesPerChunk} decodes, each
     * chunk's activations freed before the next.
     */
    static NDArray iwae(VaeNetwork net, NDArray x, NDArray mu, NDArray logvar, NDArray eps) {
        long b = x.getShape().get(0);
        long k = eps.getShape().get(1);
        long per = Math.max(1, net.decodesPerChunk() / b);
        NDArray logW;
        if (per >= k) {
            logW = samples(net, x, mu, logvar, eps, false).logWeights();
        } else {
            NDManager batch = x.getManager();
            NDList parts = new NDList();
            for (long from = 0; from < k; from += per) {
                List<NDArray> live = new ArrayList<>(net.parameters);
                live.add(x);
                live.add(eps);
                live.add(mu);
                live.add(logvar);
                try (NDManager chunk = Scopes.open(batch, live)) {
                    NDArray part = samples(net, x, mu, logvar, eps.get(":, " + from + ":" + Math.min(k, from + per)), false).logWeights();
                    part.attach(batch);
                    parts.add(part);
                }
            }
            logW = NDArrays.concat(parts, 1);
        }
        return LogMath.logSumExp(logW, 1).sub((float) Math.log(k));
    }

    /**
     * The training loss in bits/dim: {@code elbo} maximises the one-sample ELBO; {@code forward-kl} reports the IWAE
     * bound of K samples and follows the reweighted wake-sleep gradient (decoder: sum_k w_k grad log p(x, z_k); encoder:
     * sum_k w_k grad log q(z_k|x)).
     */
    static NDArray loss(VaeNetwork net, String objective, int trainSamples, NDArray batch, Noise noise) {
        double toBpd = -1.0 / (net.dims() * Math.log(2));
        long b = batch.getShape().get(0);
        if (objective.equals("elbo")) {
            NDArray eps = noise.normal(batch.getManager(), new Shape(b, 1, net.latent));
            NDList q = net.encode(batch, net.encoderParameters());
            return Scalars.mul(elbo(net, batch, q.get(0), q.get(1), eps).mean(), toBpd);
        }
        NDArray eps = noise.normal(batch.getManager(), new Shape(b, trainSamples, net.latent));
        NDList q = net.encode(batch, net.encoderParameters());
        Samples s = samples(net, batch, q.get(0), q.get(1), eps, true);
        NDArray logW = s.logWeights();
        NDArray w = logW.stopGradient().softmax(1);
        NDArray surrogate = w.mul(s.logLik().add(s.logPrior()).add(s.logQ())).sum(new int[] {1}).mean();
        NDArray iwaeBound = LogMath.logSumExp(logW, 1).sub((float) Math.log(trainSamples)).mean().stopGradient();
        // value: the IWAE bound in bits/dim; gradient: the reweighted wake-sleep update
        return Scalars.mul(iwaeBound.add(surrogate.sub(surrogate.stopGradient())), toBpd);
    }
}
