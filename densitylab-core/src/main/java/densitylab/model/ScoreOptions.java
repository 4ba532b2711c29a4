package densitylab.model;

/**
 * Options of the scores that have any.
 *
 * @param iwaeSamples  K of the iwae score (importance samples)
 * @param regretSteps  Adam steps of likelihood-regret (the posterior variant)
 * @param regretLr     its learning rate
 * @param encoderSteps Adam steps of likelihood-regret-encoder (a copy of the encoder's weights)
 * @param encoderLr    its learning rate
 */
public record ScoreOptions(int iwaeSamples, int regretSteps, double regretLr, int encoderSteps, double encoderLr) {
    /** The encoder variant's default steps: after a 30-minute VAE, 10 steps at 1e-3 gave 0.979 vs MNIST (docs/regret.md). */
    public static final int ENCODER_STEPS = 10;
    /** The encoder variant's default learning rate. */
    public static final double ENCODER_LR = 1e-3;

    /** Options with the encoder variant's defaults. */
    public ScoreOptions(int iwaeSamples, int regretSteps, double regretLr) {
        this(iwaeSamples, regretSteps, regretLr, ENCODER_STEPS, ENCODER_LR);
    }

    /** K = 100; the posterior variant 50 steps at 1e-2; the encoder variant 10 steps at 1e-3. */
    public static ScoreOptions defaults() {
        return new ScoreOptions(100, 50, 1e-2);
    }
}
