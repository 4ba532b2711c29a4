package densitylab.model.diffusion;

/**
 * The forward process of a DDPM (Ho et al. 2020) with T steps: q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),
 * hence q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) with abar_t = prod_{s <= t} (1 - beta_s). Indices run from
 * 0 (abar_0 = 1, the data) to T; every value is a double computed once.
 */
public final class NoiseSchedule {
    private final String name;
    private final int steps;
    private final double[] beta;
    private final double[] alphaBar;

    private NoiseSchedule(String name, double[] beta) {
        this.name = name;
        this.steps = beta.length - 1;
        this.beta = beta;
        this.alphaBar = new double[beta.length];
        alphaBar[0] = 1;
        for (int t = 1; t <= steps; t++) {
            alphaBar[t] = alphaBar[t - 1] * (1 - beta[t]);
        }
    }

    /**
     * The schedule called name with T steps: {@code linear} (Ho et al.: betas from 1e-4 to 0.02 when T = 1000, scaled by
     * 1000 / T) or {@code cosine} (Nichol &amp; Dhariwal 2021, offset 0.008, betas clipped at 0.999).
     *
     * @throws IllegalArgumentException for another name or T &lt; 2
     */
    public static NoiseSchedule of(String name, int steps) {
        if (steps < 2) {
            throw new IllegalArgumentException("a diffusion needs at least 2 steps, got " + steps);
        }
        double[] b = new double[steps + 1];
        switch (name) {
            case "cosine" -> {
                double s = 0.008;
                for (int t = 1; t <= steps; t++) {
                    b[t] = Math.min(0.999, 1 - cosineF((double) t / steps, s) / cosineF((double) (t - 1) / steps, s));
                }
            }
            case "linear" -> {
                double scale = 1000.0 / steps;
                double lo = scale * 1e-4;
                double hi = Math.min(0.999, scale * 0.02);
                for (int t = 1; t <= steps; t++) {
                    b[t] = lo + (hi - lo) * (t - 1) / (steps - 1);
                }
            }
            default -> throw new IllegalArgumentException("unknown noise schedule '" + name + "'; known: linear, cosine");
        }
        return new NoiseSchedule(name, b);
    }

    private static double cosineF(double u, double s) {
        double c = Math.cos((u + s) / (1 + s) * Math.PI / 2);
        return c * c;
    }

    /** The schedule's name. */
    public String name() {
        return name;
    }

    /** T, the number of diffusion steps. */
    public int steps() {
        return steps;
    }

    /** beta_t for 1 &lt;= t &lt;= T. */
    public double beta(int t) {
        check(t, 1);
        return beta[t];
    }

    /** alpha_t = 1 - beta_t. */
    public double alpha(int t) {
        return 1 - beta(t);
    }

    /** abar_t for 0 &lt;= t &lt;= T (abar_0 = 1). */
    public double alphaBar(int t) {
        check(t, 0);
        return alphaBar[t];
    }

    /** The variance of q(x_{t-1} | x_t, x_0): (1 - abar_{t-1}) / (1 - abar_t) beta_t, for t &gt;= 1 (0 at t = 1). */
    public double posteriorVariance(int t) {
        return (1 - alphaBar(t - 1)) / (1 - alphaBar(t)) * beta(t);
    }

    /** The coefficient of x_0 in the mean of q(x_{t-1} | x_t, x_0). */
    public double posteriorMeanX0(int t) {
        return Math.sqrt(alphaBar(t - 1)) * beta(t) / (1 - alphaBar(t));
    }

    /** The coefficient of x_t in the mean of q(x_{t-1} | x_t, x_0). */
    public double posteriorMeanXt(int t) {
        return Math.sqrt(alpha(t)) * (1 - alphaBar(t - 1)) / (1 - alphaBar(t));
    }

    /**
     * The variance of the reverse step p(x_{t-1} | x_t): beta_t for t &gt;= 2 (Ho et al.'s fixed "large" variance), and
     * for the decoder at t = 1 the posterior variance of t = 2, as in Ho et al.'s code (beta_1's would be sharper).
     */
    public double reverseVariance(int t) {
        return t == 1 ? posteriorVariance(2) : beta(t);
    }

    /** KL(q(x_T | x_0) || N(0, 1)) in nats for one coordinate of x_0 (on the [-1, 1] scale). */
    public double priorKl(double x0) {
        double m2 = alphaBar[steps] * x0 * x0;
        double v = 1 - alphaBar[steps];
        return 0.5 * (m2 + v - 1 - Math.log(v));
    }

    /**
     * K strata that partition the timesteps 1..T, as K + 1 boundaries (stratum k holds b[k] &lt;= t &lt; b[k+1]):
     * geometric in t, so the small timesteps, whose terms dominate the bound, are single strata and the large ones share
     * wide strata. K = T gives one stratum per timestep.
     *
     * @throws IllegalArgumentException for K outside 1..T
     */
    public int[] strata(int k) {
        if (k < 1 || k > steps) {
            throw new IllegalArgumentException("the bound takes between 1 and " + steps + " timesteps per image, got " + k);
        }
        int[] b = new int[k + 1];
        b[0] = 1;
        b[k] = steps + 1;
        for (int i = 1; i < k; i++) {
            long geometric = Math.round(Math.pow(steps + 1, (double) i / k));
            b[i] = (int) Math.max(b[i - 1] + 1, Math.min(steps + 1 - (k - i), geometric));
        }
        return b;
    }

    /** S timesteps for DDIM, T/S apart and ending at T, from small to large: tau_1 .. tau_S (tau_0 = 0 is implied). */
    public int[] ddimSteps(int s) {
        if (s < 1 || s > steps) {
            throw new IllegalArgumentException("DDIM takes between 1 and " + steps + " steps, got " + s);
        }
        int[] tau = new int[s];
        for (int i = 1; i <= s; i++) {
            tau[i - 1] = (int) Math.round((double) i * steps / s);
        }
        return tau;
    }

    private void check(int t, int min) {
        if (t < min || t > steps) {
            throw new IllegalArgumentException("timestep " + t + " outside " + min + ".." + steps);
        }
    }
}
