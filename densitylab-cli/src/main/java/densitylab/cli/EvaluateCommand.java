package densitylab.cli;

import densitylab.eval.ResultTable;
import densitylab.run.EvaluateRequest;
import densitylab.run.Evaluation;
import densitylab.run.RunLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;



/** {@code densitylab evaluate}: OOD detection metrics of a trained model, results.json and report.html. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Score an in-distribution set and OOD sets (computing only what RUN/scores lacks), print " +
                "AUROC, AUPR-in, AUPR-out and FPR@95TPR for every score and OOD set (OOD = positive class), and " +
                "write RUN/results.json and a self-contained RUN/report.html.",
        footer = {"", "Example: densitylab evaluate --run runs/g --in fashion-mnist --out mnist noise constant"})
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--in", required = true, paramLabel = "SET", description = "In-distribution set (a catalog name means its test split).")
    String in;

    @Option(names = "--out", required = true, arity = "1..*", paramLabel = "SET",
            description = "OOD sets (synthetic sets take the model's shape).")
    List<String> outs;

    @Option(names = "--bootstrap", paramLabel = "N", defaultValue = "200",
            description = "Bootstrap replicates for AUROC confidence intervals (0 = none; default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the bootstrap and of model samples.")
    long seed;

    @Option(names = "--with", paramLabel = "DIR", split = ",", description = "Other run folders trained on the same data: "
            + "their models' statistics join --score combined (as combined+NAME; repeatable).")
    List<java.nio.file.Path> with = new java.util.ArrayList<>();

    @Option(names = "--fresh-samples", description = "Draw the report's sample grids anew instead of reusing RUN/samples.png "
            + "and RUN/samples-t0.7.png, which train drew from the same model (an autoregressive model samples for minutes).")
    boolean freshSamples;

    @Mixin
    ScoringOptions scoring;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() throws Exception {
        EvaluateRequest request = new EvaluateRequest(scoring.run, in, outs, scoring.scores, scoring.selection(), scoring.fitLimit,
                scoring.scoreOptions.toOptions(), bootstrap, seed, dataOptions.settings(), with, freshSamples);
        if (outs.contains(in)) {
            throw new IllegalArgumentException("OOD set '" + in + "' is the in-distribution set");
        }
        Evaluation.EvaluationResult r = Evaluation.evaluate(request, RunLog.of(System.out, System.err));
        if (!densitylab.model.registry.ModelKinds.get(r.kind()).hasLikelihood()) {
            System.out.println("bits/dim: not defined (" + r.kind() + " has no likelihood)\n");
        }
        System.out.print(ResultTable.format(r.outcome()));
        System.out.printf("%nwrote %s and %s%n", r.run().results(), r.run().report());
        return 0;
    }
}
