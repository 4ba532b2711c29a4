package densitylab.model.vae;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import densitylab.data.ImageSet;
import densitylab.io.Progress;
import densitylab.nn.Scopes;
import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.List;

/**
 * Likelihood regret (Xiao et al. 2020): how much the ELBO of one input grows when its posterior q(z|x) is
 * optimised for that input alone, starting from the encoder's output. Here the per-input parameters
 * (mu, log variance) are optimised by Adam for a fixed number of steps, a whole batch at once (the inputs'
 * objectives are independent), with the same noise at every step; the regret is the best ELBO seen minus the
 * encoder's, in bits/dim, so it is &gt;= 0 and exactly 0 after zero steps. The model's parameters stop
 * requiring gradients while it runs (backward then skips the decoder's weight gradients, which regret does
 * not use) and require them again afterwards, also when it fails.
 */
public final class LikelihoodRegret {
    private final ConvVae vae;
    private final int steps;
    private final double lr;

    public LikelihoodRegret(ConvVae vae, int steps, double lr) {
        if (steps < 0 || !(lr > 0)) {
            throw new IllegalArgumentException("likelihood regret needs steps >= 0 and lr > 0, got " + steps + ", " + lr);
        }
        this.vae = vae;
        this.steps = steps;
        this.lr = lr;
    }

    /** The regret of every image in bits/dim. */
    public double[] regret(ImageSet images) {
        double[] out = new double[images.size()];
        double toBpd = 1.0 / (images.dims() * Math.log(2));
        int o = 0;
        List<ImageSet> batches = images.batches(Math.max(1, Math.min(64, vae.decodesPerChunk())));
        List<NDArray> params = vae.parameters();
        params.forEach(p -> p.setRequiresGradient(false));
        try (ProgressBar pb = Progress.bar("likelihood regret", images.size())) {
            for (ImageSet part : batches) {
                try (NDManager sub = Scopes.open(vae.manager(), params)) {
                    NDArray x = part.toNDArray(sub);
                    NDArray eps = vae.scoringNoise(sub, part.size(), 1, o);
                    NDList q = vae.encode(x);
                    NDArray mu = q.get(0).stopGradient().duplicate();
                    NDArray logvar = q.get(1).stopGradient().duplicate();
                    float[] start = vae.elbo(x, mu, logvar, eps).toFloatArray();
                    float[] best = start.clone();
                    NDArray m1 = sub.zeros(mu.getShape());
                    NDArray v1 = sub.zeros(mu.getShape());
                    NDArray m2 = sub.zeros(mu.getShape());
                    NDArray v2 = sub.zeros(mu.getShape());
                    for (int t = 1; t <= steps; t++) {
                        List<NDArray> live = new ArrayList<>(params);
                        live.addAll(List.of(x, eps, mu, logvar, m1, v1, m2, v2));
                        try (NDManager stepScope = Scopes.open(sub, live)) { // frees each step's activations
                            mu.setRequiresGradient(true);
                            logvar.setRequiresGradient(true);
                            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                NDArray e = vae.elbo(x, mu, logvar, eps);
                                if (t > 1) { // the ELBO of the parameters after step t - 1, read off this step's forward pass
                                    keepBest(best, e.toFloatArray());
                                }
                                gc.backward(e.sum().neg());
                            }
                            NDArray gMu = mu.getGradient();
                            NDArray gLv = logvar.getGradient();
                            NDArray nextMu = adam(mu.stopGradient(), gMu, m1, v1, t);
                            NDArray nextLogvar = adam(logvar.stopGradient(), gLv, m2, v2, t);
                            nextMu.attach(sub);
                            nextLogvar.attach(sub);
                            mu = nextMu;
                            logvar = nextLogvar;
                        }
                    }
                    if (steps > 0) {
                        keepBest(best, vae.elbo(x, mu, logvar, eps).toFloatArray());
                    }
                    for (int i = 0; i < start.length; i++) {
                        out[o++] = (best[i] - start[i]) * toBpd;
                    }
                }
                pb.stepBy(part.size());
            }
        } finally {
            params.forEach(p -> p.setRequiresGradient(true));
        }
        return out;
    }

    private static void keepBest(float[] best, float[] elbo) {
        for (int i = 0; i < elbo.length; i++) {
            best[i] = Math.max(best[i], elbo[i]);
        }
    }

    private NDArray adam(NDArray p, NDArray g, NDArray m, NDArray v, int t) {
        m.muli(0.9f).addi(g.mul(0.1f));
        v.muli(0.999f).addi(g.square().mul(0.001f));
        NDArray mHat = m.div((float) (1 - Math.pow(0.9, t)));
        NDArray vHat = v.div((float) (1 - Math.pow(0.999, t)));
        return p.sub(mHat.div(vHat.sqrt().add(1e-8f)).mul((float) lr)); // descends -ELBO
    }
}
