package densitylab.cli;

import densitylab.run.DataSettings;
import densitylab.run.RunFolder;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options shared by score and evaluate: the run, the scores, the images of each set, fitting on the training data. */
final class ScoringOptions {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run folder holding a trained model.")
    Path run;

    @Option(names = "--score", paramLabel = "NAME", split = ",", arity = "1..*",
            description = "Scores to compute, separated by spaces or commas (default: the model kind's default scores, " +
                    "plus likelihood-ratio when the run has a background model and waic when it has an ensemble). " +
                    "Known: likelihood, typicality, likelihood-ratio, input-complexity (PNG), input-complexity-bzip2, " +
                    "input-complexity-deflate, waic, combined, combined-full, elbo, iwae, rate, distortion, " +
                    "reconstruction (VAE, GANomaly), likelihood-regret, likelihood-regret-encoder, discriminator (GANs), " +
                    "ganomaly, multiscale-score and diffusion-reconstruction (DDPM).")
    List<String> scores = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Use only the first N images of each set (0 = all).")
    int limit;

    @Option(names = "--fit-limit", paramLabel = "N", defaultValue = "10000",
            description = "In-distribution images (the run's holdout, else its training images) used to fit the scores " +
                    "that learn from them: typicality, combined, multiscale-score, diffusion-reconstruction " +
                    "(default: ${DEFAULT-VALUE}).")
    int fitLimit = 10000;

    @Option(names = "--sample", paramLabel = "N", defaultValue = "0", description = "Use a random N images of each set, "
            + "in their order, drawn with the run's seed (0 = none; after --limit). Class-sorted folders keep every class.")
    int sample;

    @picocli.CommandLine.Mixin
    ScoreOptionArgs scoreOptions = new ScoreOptionArgs();

    /** --limit and --sample, the sample drawn with the run's seed. */
    DataSettings.Selection selection() throws IOException {
        long seed = new RunFolder(run).readConfig().get("seed") instanceof Number n ? n.longValue() : 0;
        return new DataSettings.Selection(limit, sample, seed);
    }
}
