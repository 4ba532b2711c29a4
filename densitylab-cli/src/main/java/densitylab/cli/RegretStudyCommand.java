package densitylab.cli;

import densitylab.model.ScoreOptions;
import densitylab.run.DataSettings;
import densitylab.run.RegretStudy;
import densitylab.run.RunLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;



/**
 * {@code densitylab regret-study}: why likelihood regret weakens as the VAE trains (issue 21). Trains one VAE in
 * stages, scores each stage's model, sweeps the regret's own settings on the last one, and writes a report.
 */
@Command(name = "regret-study", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Likelihood regret against training time and against its own settings.",
                "", "Trains one VAE on --in in stages (--minutes: total training minutes at each stage, resuming the same run "
                + "in DIR/train), and after each stage scores --in's test split and every --out set with the IWAE "
                + "likelihood, reconstruction, likelihood regret optimising the posterior (--regret-steps, --regret-lr) and "
                + "optimising a copy of the encoder's weights (--encoder-steps, --encoder-lr; Xiao et al.'s choice). Then, "
                + "on the last stage's model and --sweep-limit images of --in and the first --out set, AUROC of regret for "
                + "each variant, Adam steps (--sweep-steps) and learning rate (--sweep-lrs). Writes DIR/stage-M.json per "
                + "stage, DIR/sweep.json and DIR/report.html (AUROC against training minutes, the sweep tables); a rerun "
                + "reuses what is there."},
        footer = {"", "Example: densitylab regret-study --minutes 1,3,10,30 --limit 1000"})
final class RegretStudyCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "Study folder (default: runs/regret-study).")
    Path dir = Path.of("runs/regret-study");

    @Option(names = "--in", paramLabel = "SET", description = "In-distribution set (default: fashion-mnist).")
    String in = "fashion-mnist";

    @Option(names = "--out", paramLabel = "SET", split = ",", description = "OOD sets (default: mnist, noise, constant, IN+vflip).")
    List<String> outs;

    @Option(names = "--minutes", paramLabel = "M", split = ",", description = "Total training minutes at each stage (default: 1,3,10,30).")
    List<Double> minutes = List.of(1.0, 3.0, 10.0, 30.0);

    @Option(names = "--limit", paramLabel = "N", description = "Test images per set at each stage; 0 = whole test splits (default: 0).")
    int limit;

    @Option(names = "--regret-steps", paramLabel = "N", description = "Adam steps of the posterior variant (default: 50).")
    int regretSteps = 50;

    @Option(names = "--regret-lr", paramLabel = "LR", description = "Learning rate of the posterior variant (default: 1e-2).")
    double regretLr = 1e-2;

    @Option(names = "--encoder-steps", paramLabel = "N", description = "Adam steps of the encoder variant (default: 10, as the "
            + "score's; Xiao et al. take 100 at 2e-4).")
    int encoderSteps = ScoreOptions.ENCODER_STEPS;

    @Option(names = "--encoder-lr", paramLabel = "LR", description = "Learning rate of the encoder variant (default: 1e-3).")
    double encoderLr = ScoreOptions.ENCODER_LR;

    @Option(names = "--sweep-limit", paramLabel = "N", description = "Images per set in the settings sweep; 0 = no sweep (default: 300).")
    int sweepLimit = 300;

    @Option(names = "--sweep-steps", paramLabel = "N", split = ",", description = "Adam steps of the sweep (default: 10,50,200,500).")
    List<Integer> sweepSteps = List.of(10, 50, 200, 500);

    @Option(names = "--sweep-lrs", paramLabel = "LR", split = ",", description = "Learning rates of the sweep (default: 1e-3,1e-2,1e-1 "
            + "for the posterior, a tenth of each for the encoder).")
    List<Double> sweepLrs = List.of(1e-3, 1e-2, 1e-1);

    @Option(names = "--sweep-samples", paramLabel = "K", split = ",", description = "What the sweep's regret compares: 0 = the best "
            + "one-sample ELBO seen minus the encoder's, K > 0 = K-sample importance-weighted bounds after minus before the "
            + "steps, as Xiao et al. (default: 0).")
    List<Integer> sweepSamples = List.of(0);

    @Option(names = "--seed", paramLabel = "S", description = "Training seed (default: 0).")
    long seed;

    @Option(names = "--offline", description = "Never use the network.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        RegretStudy.run(new RegretStudy.RegretStudyRequest(dir, in, outs, minutes, limit, regretSteps, regretLr, encoderSteps, encoderLr,
                sweepLimit, sweepSteps, sweepLrs, sweepSamples, seed, DataSettings.defaults().withOffline(offline)),
                RunLog.of(System.out, System.err));
        return 0;
    }
}
