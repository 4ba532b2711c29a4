package densitylab.cli;

import densitylab.model.ScoreOptions;
import picocli.CommandLine.Option;

/** The score options on the command line (evaluate, score, detector fit), defaulting to {@link ScoreOptions#defaults()}. */
final class ScoreOptionArgs {
    @Option(names = "--iwae-samples", paramLabel = "K", defaultValue = "100", description = "Importance samples of the iwae score (default: ${DEFAULT-VALUE}).")
    int iwaeSamples = 100;

    @Option(names = "--regret-steps", paramLabel = "N", defaultValue = "50", description = "Adam steps of likelihood-regret (default: ${DEFAULT-VALUE}).")
    int regretSteps = 50;

    @Option(names = "--regret-lr", paramLabel = "LR", defaultValue = "1e-2", description = "Learning rate of likelihood-regret (default: ${DEFAULT-VALUE}).")
    double regretLr = 1e-2;

    @Option(names = "--encoder-steps", paramLabel = "N", defaultValue = "10",
            description = "Adam steps of likelihood-regret-encoder (default: ${DEFAULT-VALUE}).")
    int encoderSteps = ScoreOptions.ENCODER_STEPS;

    @Option(names = "--encoder-lr", paramLabel = "LR", defaultValue = "1e-3",
            description = "Learning rate of likelihood-regret-encoder (default: ${DEFAULT-VALUE}).")
    double encoderLr = ScoreOptions.ENCODER_LR;

    ScoreOptions toOptions() {
        return new ScoreOptions(iwaeSamples, regretSteps, regretLr, encoderSteps, encoderLr);
    }
}
