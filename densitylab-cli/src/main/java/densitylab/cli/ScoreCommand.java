package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.eval.Experiment;
import densitylab.eval.RunFolder;
import densitylab.eval.ScoreTable;
import densitylab.model.GenerativeModel;
import densitylab.nn.Units;
import densitylab.score.OodScore;
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
        GenerativeModel model = rf.loadModel();
        DataResolver r = dataOptions.resolver();
        List<OodScore> scores = scoring.createScores(model, r, dataOptions);
        Experiment ex = new Experiment(model, rf.scores());
        for (String spec : data) {
            ImageSet set = dataOptions.loadFor(r, spec, "test", model.shape(), scoring.limit);
            ScoreTable t = ex.score(spec, set, scores);
            System.out.printf("%s: %d images -> %s%n", spec, set.size(), rf.scores().resolve(ScoreTable.fileName(spec)));
            for (OodScore s : scores) {
                System.out.printf("  %-12s mean %.4f%n", s.name(), Units.mean(t.get(s.name())));
            }
        }
        return 0;
    }
}
