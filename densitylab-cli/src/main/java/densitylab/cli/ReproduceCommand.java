package densitylab.cli;

import densitylab.run.DataSettings;
import densitylab.run.Reproduce;
import densitylab.run.RunLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;



/**
 * {@code densitylab reproduce}: the failure and the published fixes, side by side, for several models on one data set
 * ({@link Reproduce}).
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train each model on the in-distribution set within its budget (reusing runs already in DIR), "
                + "evaluate it against MNIST, uniform noise, constant images and the set inverted and flipped with every "
                + "applicable score (likelihood, typicality, input complexity with two compressors, likelihood ratio, "
                + "WAIC over an ensemble, and for the VAE elbo, reconstruction and likelihood regret in both variants), and write "
                + "DIR/report.html: bits/dim per model and set, AUROC/AUPR/FPR@95 per model, score and OOD set beside the "
                + "published numbers, the batch typicality test, the variance experiment and each model's samples.",
                "", "Each model's run folder DIR/MODEL holds its own report.html, results.json and score files; a "
                + "background model trains into DIR/MODEL/background and ensemble members into DIR/MODEL/ensemble. Every "
                + "model gets --minutes-per-model for each network it trains (the model, its background, each member)."},
        footer = {"", "Examples:", "  densitylab reproduce --quick                      # about 5 minutes on 2 cores",
                "  densitylab reproduce --minutes-per-model 30 --limit 2000",
                "  densitylab reproduce --in cifar10 --out svhn     # where the official CIFAR-10 and SVHN files are present"})
final class ReproduceCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "A small Glow (1.5 minutes, its background 1 minute) and the Gaussian "
            + "baseline, 2000 images per set: the failure and its fixes in about 5 minutes on 2 cores.")
    boolean quick;

    @Option(names = "--minutes-per-model", paramLabel = "M", description = "Training minutes of each network (default: 30; "
            + "--quick: 1.5, the background 1).")
    Double minutes;

    @Option(names = "--models", paramLabel = "LIST", split = ",", arity = "1..*", description = "Models, separated by commas "
            + "or spaces (default: glow, realnvp, vae, gaussian, ppca, gmm; --quick: glow, gaussian).")
    List<String> models;

    @Option(names = "--in", paramLabel = "SET", defaultValue = "fashion-mnist", description = "In-distribution set: a "
            + "catalog set (trained on its train split, evaluated on its test split) or a path (trained and evaluated on the "
            + "whole file) (default: ${DEFAULT-VALUE}).")
    String in;

    @Option(names = "--out", paramLabel = "SET", arity = "1..*", split = ",", description = "OOD sets (default: mnist, or svhn "
            + "when --in is cifar10; then noise, constant, IN+invert, IN+vflip).")
    List<String> outs;

    @Option(names = "--dir", paramLabel = "DIR", description = "Folder of the runs and the report (default: runs/reproduce, "
            + "--quick: runs/quick).")
    Path dir;

    @Option(names = "--limit", paramLabel = "N", description = "Images per evaluated set (0 = all; default: 0, --quick: 2000).")
    Integer limit;

    @Option(names = "--background", paramLabel = "MU", defaultValue = "0.2", description = "Pixel replacement rate of the "
            + "likelihood-ratio background models (default: ${DEFAULT-VALUE}).")
    double background;

    @Option(names = "--ensemble", paramLabel = "K", description = "Members of each deep model's WAIC ensemble (default: 3; "
            + "--quick: 1, no WAIC; 1 = none).")
    Integer ensemble;

    @Option(names = "--preset", paramLabel = "NAME", description = "Flow preset (default: small; --quick: small).")
    String preset;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of every run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--offline", description = "Never use the network.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        Reproduce.run(new Reproduce.ReproduceRequest(quick, minutes, models, in, outs, dir, limit, background, ensemble, preset, seed,
                DataSettings.defaults().withOffline(offline)), RunLog.of(System.out, System.err));
        return 0;
    }
}
