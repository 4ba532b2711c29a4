package densitylab.model.vae;

import densitylab.data.ImageSet;
import densitylab.io.Progress;
import densitylab.nn.Scopes;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Likelihood regret (Xiao et al. 2020): how much a bound on log p(x) of one input grows when the inference for that
 * input alone is optimised, starting from the encoder's output. Adam maximises the one-sample ELBO with the input's seeded
 * scoring noise, the same at every step, for a fixed number of steps. What is compared ({@code compareSamples}):
 * <ul>
 *   <li>0 (the default): the best one-sample ELBO seen minus the encoder's, in bits/dim, so the regret is &gt;= 0 and
 *       exactly 0 after zero steps. Part of it is the optimiser fitting the one noise draw it sees.</li>
 *   <li>K &gt; 0: the importance-weighted bound with K samples (seeded by the input, independent of the draw the steps
 *       fit) under the posterior after the last step minus the same under the encoder's, as Xiao et al. compare
 *       (K = 1,000 there). Exactly 0 after zero steps; it can be negative, since the steps optimise another
 *       objective.</li>
 * </ul>
 * What is optimised:
 * <ul>
 *   <li>{@link Variant#POSTERIOR}: the input's posterior mean and log-variance, a whole batch at once (the inputs'
 *       objectives are independent). Cheap: no encoder pass per step.</li>
 *   <li>{@link Variant#ENCODER}: a copy of the encoder's weights, for one input at a time, as Xiao et al. describe
 *       and their code does (Adam, 100 steps at 2e-4, with weight decay and fresh noise per step, and an IWAE
 *       estimate with 1,000 samples before and after). The copy can reach every posterior the first variant can
 *       (its last layer's bias moves the output freely for one input), so both optimise the same objective over
 *       the same reachable set, through different parameterisations.</li>
 * </ul>
 * The model's parameters stop requiring gradients while it runs (backward then skips the decoder's weight
 * gradients, which regret does not use) and require them again afterwards, also when it fails; they are never
 * written.
 */
public final class LikelihoodRegret {
    /** What is optimised for the single input. */
    public enum Variant {
        /** The input's posterior mean and log-variance. */
        POSTERIOR,
        /** A copy of the encoder's weights. */
        ENCODER;

        /** The variant of a name ("posterior", "encoder"), or an error listing both. */
        public static Variant parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown likelihood-regret variant '" + name + "'; known: posterior, encoder");
            }
        }
    }

    private final AmortizedVae vae;
    private final int steps;
    private final double lr;
    private final Variant variant;
    private final int compareSamples;

    /** The posterior variant. */
    public LikelihoodRegret(AmortizedVae vae, int steps, double lr) {
        this(vae, steps, lr, Variant.POSTERIOR);
    }

    /** Comparing the best one-sample ELBO seen with the encoder's. */
    public LikelihoodRegret(AmortizedVae vae, int steps, double lr, Variant variant) {
        this(vae, steps, lr, variant, 0);
    }

    /**
     * Regret with a choice of what is compared.
     *
     * @param compareSamples 0: compare the best one-sample ELBO seen with the encoder's; K &gt; 0: compare K-sample
     *                       importance-weighted bounds after and before the steps
     */
    public LikelihoodRegret(AmortizedVae vae, int steps, double lr, Variant variant, int compareSamples) {
        if (steps < 0 || !(lr > 0) || compareSamples < 0) {
            throw new IllegalArgumentException("likelihood regret needs steps >= 0, lr > 0 and compared samples >= 0, got "
                    + steps + ", " + lr + ", " + compareSamples);
        }
        this.vae = vae;
        this.steps = steps;
        this.lr = lr;
        this.variant = variant;
        this.compareSamples = compareSamples;
    }

    /** The regret of every image in bits/dim. */
    public double[] regret(ImageSet images) {
        double[] out = new double[images.size()];
        double toBpd = 1.0 / (images.dims() * Math.log(2));
        int o = 0;
        List<ImageSet> batches = images.batches(variant == Variant.ENCODER ? 1 : vae.scoringBatch());
        List<NDArray> params = vae.parameters();
        params.forEach(p -> p.setRequiresGradient(false));
        try (Progress pb = Progress.bar("likelihood regret (" + variant.name().toLowerCase(Locale.ROOT) + ")", images.size())) {
            for (ImageSet part : batches) {
                try (NDManager sub = Scopes.open(vae.manager(), params)) {
                    NDArray x = part.toNDArray(sub);
                    NDArray eps = vae.scoringNoise(sub, part, 1);
                    List<NDArray> start = new ArrayList<>();
                    if (variant == Variant.ENCODER) {
                        for (NDArray w : vae.encoderParameters()) {
                            start.add(w.duplicate());
                        }
                    } else {
                        NDList q = vae.encode(x, vae.encoderParameters());
                        start.add(q.get(0).stopGradient().duplicate());
                        start.add(q.get(1).stopGradient().duplicate());
                    }
                    float[] gain = optimise(sub, x, eps, start); // leaves the optimised arrays in start
                    if (compareSamples > 0) {
                        gain = importanceWeightedGain(sub, x, part, start);
                    }
                    for (float g : gain) {
                        out[o++] = g * toBpd;
                    }
                }
                pb.stepBy(part.size());
            }
        } finally {
            params.forEach(p -> p.setRequiresGradient(true));
        }
        return out;
    }

    /** The posterior (mu, logvar) of x for the optimised arrays: the posterior itself, or encoder weights. */
    private NDList posterior(NDArray x, List<NDArray> p) {
        return variant == Variant.ENCODER ? vae.encode(x, p) : new NDList(p.get(0), p.get(1));
    }

    /** The ELBO of x (B) for the optimised arrays. */
    private NDArray elbo(NDArray x, NDArray eps, List<NDArray> p) {
        NDList q = posterior(x, p);
        return vae.elbo(x, q.get(0), q.get(1), eps);
    }

    /**
     * The K-sample bound under the optimised arrays minus the same under the encoder's posterior, per image, in nats.
     * The noise is draws 2..K+1 of the image's seeded noise: draw 1 is the one the steps fitted, and with it in the
     * bound part of that fit would count as regret (on an exact posterior, a third of the one-sample regret at K = 16).
     */
    private float[] importanceWeightedGain(NDManager sub, NDArray x, ImageSet part, List<NDArray> optimised) {
        NDArray eps = vae.scoringNoise(sub, part, compareSamples + 1).get(":, 1:");
        NDList before = vae.encode(x, vae.encoderParameters());
        NDList after = posterior(x, optimised);
        float[] a = vae.iwae(x, after.get(0), after.get(1), eps).toFloatArray();
        float[] b = vae.iwae(x, before.get(0), before.get(1), eps).toFloatArray();
        float[] gain = new float[a.length];
        for (int i = 0; i < gain.length; i++) {
            gain[i] = a[i] - b[i];
        }
        return gain;
    }

    /** Adam on p (arrays of sub), maximising the summed ELBO; returns each image's best ELBO minus its first. */
    private float[] optimise(NDManager sub, NDArray x, NDArray eps, List<NDArray> p) {
        float[] first = elbo(x, eps, p).toFloatArray();
        float[] best = first.clone();
        List<NDArray> m = new ArrayList<>();
        List<NDArray> v = new ArrayList<>();
        for (NDArray a : p) {
            m.add(sub.zeros(a.getShape()));
            v.add(sub.zeros(a.getShape()));
        }
        for (int t = 1; t <= steps; t++) {
            List<NDArray> live = new ArrayList<>(vae.parameters());
            live.add(x);
            live.add(eps);
            live.addAll(p);
            live.addAll(m);
            live.addAll(v);
            try (NDManager stepScope = Scopes.open(sub, live)) { // frees each step's activations
                p.forEach(a -> a.setRequiresGradient(true));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray e = elbo(x, eps, p);
                    if (t > 1) { // the ELBO of the arrays after step t - 1, read off this step's forward pass
                        keepBest(best, e.toFloatArray());
                    }
                    gc.backward(e.sum().neg());
                }
                for (int k = 0; k < p.size(); k++) {
                    NDArray next = adam(p.get(k).stopGradient(), p.get(k).getGradient(), m.get(k), v.get(k), t);
                    next.attach(sub);
                    p.set(k, next);
                }
            }
        }
        if (steps > 0) {
            keepBest(best, elbo(x, eps, p).toFloatArray());
        }
        float[] gain = new float[first.length];
        for (int i = 0; i < gain.length; i++) {
            gain[i] = best[i] - first[i];
        }
        return gain;
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
