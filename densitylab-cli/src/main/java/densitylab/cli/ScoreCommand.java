package densitylab.cli;

import densitylab.eval.ScoreTable;
import densitylab.nn.Units;
import densitylab.run.Evaluation;
import densitylab.run.RunFolder;
import densitylab.run.RunLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;



/** {@code densitylab score}: per-image scores of data sets under a trained model. */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Score data sets with a trained model and write RUN/scores/SET.csv: one row per image " +
                "(index, label, one column per score; higher = more anomalous). Existing columns are reused.")
final class ScoreCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "SET", split = ",",
            description = "Data set specs (repeatable; a catalog name means its test split).")
    List<String> data;

    @Mixin
    ScoringOptions scoring;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() throws Exception {
        RunFolder rf = new RunFolder(scoring.run);
        Evaluation.ScoringResult result = Evaluation.score(scoring.run, data, scoring.scores, scoring.selection(), scoring.fitLimit,
                scoring.scoreOptions.toOptions(), dataOptions.settings(), RunLog.of(System.out, System.err));
        for (var e : result.tables().entrySet()) {
            ScoreTable t = e.getValue();
            System.out.printf("%s: %d images -> %s%n", e.getKey(), t.size(), rf.scores().resolve(ScoreTable.fileName(e.getKey())));
            for (String s : result.scores()) {
                System.out.printf("  %-12s mean %.4f%n", s, Units.mean(t.get(s)));
            }
        }
        return 0;
    }
}
