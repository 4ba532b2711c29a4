package densitylab.score;

/**
 * Options of the scores that have any.
 *
 * @param iwaeSamples  K of the iwae score (importance samples)
 * @param regretSteps  Adam steps of likelihood-regret
 * @param regretLr     learning rate of likelihood-regret
 */
public record ScoreOptions(int iwaeSamples, int regretSteps, double regretLr) {
    /** K = 100, 50 steps at 1e-2. */
    public static ScoreOptions defaults() {
        return new ScoreOptions(100, 50, 1e-2);
    }
}
