package densitylab.model;

/**
 * Options of the scores that have any.
 *
 * @param iwaeSamples  K of the iwae score (importance samples)
 * @param regretSteps  Adam steps of likelihood-regret (the posterior variant)
 * @param regretLr     its learning rate
 * @param encoderSteps Adam steps of likelihood-regret-encoder (a copy of the encoder's weights)
 * @param encoderLr    its learning rate
 * @param features     a feature space for distances between an image and its reconstruction (a DDPM's
 *                     diffusion-reconstruction), or null for none
 */
public record ScoreOptions(int iwaeSamples, int regretSteps, double regretLr, int encoderSteps, double encoderLr,
                           FeatureMap features) {
    /** The encoder variant's default steps: after a 30-minute VAE, 10 steps at 1e-3 gave 0.979 vs MNIST (docs/regret.md). */
    public static final int ENCODER_STEPS = 10;
    /** The encoder variant's default learning rate. */
    public static final double ENCODER_LR = 1e-3;

    /** Options without a feature space. */
    public ScoreOptions(int iwaeSamples, int regretSteps, double regretLr, int encoderSteps, double encoderLr) {
        this(iwaeSamples, regretSteps, regretLr, encoderSteps, encoderLr, null);
    }

    /** These options with the given feature space (null: none). */
    public ScoreOptions withFeatures(FeatureMap f) {
        return new ScoreOptions(iwaeSamples, regretSteps, regretLr, encoderSteps, encoderLr, f);
    }

    /** Options with the encoder variant's defaults. */
    public ScoreOptions(int iwaeSamples, int regretSteps, double regretLr) {
        this(iwaeSamples, regretSteps, regretLr, ENCODER_STEPS, ENCODER_LR);
    }

    /** K = 100; the posterior variant 50 steps at 1e-2; the encoder variant 10 steps at 1e-3. */
    public static ScoreOptions defaults() {
        return new ScoreOptions(100, 50, 1e-2);
    }
}
