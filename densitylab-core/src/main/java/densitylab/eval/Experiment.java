package densitylab.eval;

import densitylab.data.ImageSet;
import densitylab.io.AtomicFiles;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.nn.Units;
import densitylab.score.LikelihoodScore;
import densitylab.score.OodScore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One OOD experiment: score an in-distribution set and OOD sets with fitted scores, cache the per-image
 * scores as CSV files, and compute the metrics of every (score, OOD set) pair.
 */
public final class Experiment {
    private static final Logger LOG = LoggerFactory.getLogger(Experiment.class);

    private final GenerativeModel model;
    private final Path scoresDir;
    private final densitylab.score.MemoizedDensity sharedLikelihood;

    /** Results of one (score, OOD set) pair; aurocCi is null without bootstrap. */
    public record Row(String score, String out, MetricSet metrics, Interval aurocCi) {
    }

    /**
     * Everything an evaluation measured.
     *
     * @param bitsPerDim mean bits/dim per set (empty for models without likelihood)
     * @param rows       metrics per score and OOD set
     * @param scores     score name -> set name -> per-image scores (the in set included)
     * @param typicalityTest the batch typicality test on the likelihood column ({@link BatchTypicality}); null for models
     *                   without a likelihood
     */
    public record Outcome(Map<String, Double> bitsPerDim, List<Row> rows, Map<String, Map<String, double[]>> scores,
                          BatchTypicality.Result typicalityTest) {
        /**
         * The same outcome with sets renamed (names maps an old set name to its new one; sets it lacks keep theirs),
         * e.g. file paths shortened for tables.
         */
        public Outcome relabel(Map<String, String> names) {
            java.util.function.UnaryOperator<String> n = k -> names.getOrDefault(k, k);
            Map<String, Double> b = new LinkedHashMap<>();
            bitsPerDim.forEach((k, v) -> b.put(n.apply(k), v));
            List<Row> r = rows.stream().map(x -> new Row(x.score(), n.apply(x.out()), x.metrics(), x.aurocCi())).toList();
            Map<String, Map<String, double[]>> s = new LinkedHashMap<>();
            scores.forEach((score, sets) -> {
                Map<String, double[]> m = new LinkedHashMap<>();
                sets.forEach((k, v) -> m.put(n.apply(k), v));
                s.put(score, m);
            });
            BatchTypicality.Result t = typicalityTest;
            if (t != null) {
                Map<String, double[]> d = new LinkedHashMap<>();
                t.detection().forEach((k, v) -> d.put(n.apply(k), v));
                t = new BatchTypicality.Result(t.batchSizes(), t.alpha(), t.entropy(), t.thresholds(), t.falseAlarms(), d);
            }
            return new Outcome(b, r, s, t);
        }

        /** Score name -> (set name -> mean score), in the order of {@link #scores}. */
        public Map<String, Map<String, Double>> means() {
            Map<String, Map<String, Double>> out = new LinkedHashMap<>();
            scores.forEach((score, sets) -> {
                Map<String, Double> m = new LinkedHashMap<>();
                sets.forEach((set, v) -> m.put(set, Units.mean(v)));
                out.put(score, m);
            });
            return out;
        }
    }

    /** @param scoresDir where per-set score files are cached (null = no cache) */
    public Experiment(GenerativeModel model, Path scoresDir) {
        this(model, scoresDir, null);
    }

    /**
     * @param scoresDir        where per-set score files are cached (null = no cache)
     * @param sharedLikelihood the likelihood the scores share, told a set's cached likelihood column (or null)
     */
    public Experiment(GenerativeModel model, Path scoresDir, densitylab.score.MemoizedDensity sharedLikelihood) {
        this.model = model;
        this.scoresDir = scoresDir;
        this.sharedLikelihood = sharedLikelihood;
    }

    /**
     * The scores of one set: cached columns are reused when the cache file was computed on exactly these
     * images (their SHA-256 is kept beside it in SET.csv.sha256), the others are computed and the file is
     * rewritten after each new column, so a score that fails keeps the columns computed before it. For
     * likelihood models the likelihood column is always present.
     */
    public ScoreTable score(String name, ImageSet set, List<OodScore> scores) throws IOException {
        Path file = scoresDir == null ? null : scoresDir.resolve(ScoreTable.fileName(name));
        Path checksum = file == null ? null : file.resolveSibling(file.getFileName() + ".sha256");
        String sha = set.sha256();
        ScoreTable table = null;
        if (file != null && Files.isRegularFile(file) && Files.isRegularFile(checksum)
                && Files.readString(checksum).strip().equals(sha)) {
            table = ScoreTable.read(file);
        }
        if (table == null) {
            table = new ScoreTable(set.size(), set.labels());
        }
        if (sharedLikelihood != null && table.get("likelihood") != null) {
            sharedLikelihood.rememberBitsPerDim(set, table.get("likelihood")); // a VAE's IWAE is not computed twice
        }
        List<OodScore> all = new ArrayList<>(scores);
        // bits/dim of every set for the tables, where it costs one network pass (a VAE's IWAE is computed only when asked)
        if (model instanceof DensityModel d && all.stream().noneMatch(s -> s.name().equals("likelihood"))
                && densitylab.model.registry.ModelKinds.get(model.kind()).cheapLikelihood()) {
            all.add(0, new LikelihoodScore(d));
        }
        for (OodScore s : all) {
            if (table.get(s.name()) == null) {
                long t0 = System.nanoTime();
                table.put(s.name(), s.score(set));
                LOG.info("scored {} images of {} with {} in {}", set.size(), name, s.name(),
                        String.format("%.1f s", (System.nanoTime() - t0) / 1e9));
                if (file != null) {
                    Files.deleteIfExists(checksum);
                    table.write(file);
                    AtomicFiles.writeString(checksum, sha + "\n");
                }
            }
        }
        return table;
    }

    /**
     * Scores the in set and every OOD set and computes the metrics.
     *
     * @param bootstrap replicates for AUROC confidence intervals (0 = none)
     */
    public Outcome evaluate(String inName, ImageSet in, Map<String, ImageSet> outs, List<OodScore> scores,
                            int bootstrap, long seed) throws IOException {
        Map<String, ScoreTable> tables = new LinkedHashMap<>();
        tables.put(inName, score(inName, in, scores));
        for (var e : outs.entrySet()) {
            tables.put(e.getKey(), score(e.getKey(), e.getValue(), scores));
        }
        Map<String, Double> bpd = new LinkedHashMap<>();
        BatchTypicality.Result typicality = null;
        if (model instanceof DensityModel && tables.get(inName).get("likelihood") != null) {
            tables.forEach((k, t) -> bpd.put(k, Units.mean(t.get("likelihood"))));
            Map<String, double[]> outBpd = new LinkedHashMap<>();
            outs.keySet().forEach(k -> outBpd.put(k, tables.get(k).get("likelihood")));
            if (in.size() >= 4) {
                typicality = BatchTypicality.run(tables.get(inName).get("likelihood"), outBpd, seed);
            }
        }
        Map<String, Map<String, double[]>> byScore = new LinkedHashMap<>();
        List<Row> rows = new ArrayList<>();
        for (OodScore s : scores) {
            Map<String, double[]> perSet = new LinkedHashMap<>();
            tables.forEach((k, t) -> perSet.put(k, t.get(s.name())));
            byScore.put(s.name(), perSet);
            double[] inScores = perSet.get(inName);
            for (String out : outs.keySet()) {
                double[] o = perSet.get(out);
                Interval ci = bootstrap > 0 ? Bootstrap.interval(inScores, o, Metrics::auroc, bootstrap, 0.95, seed) : null;
                rows.add(new Row(s.name(), out, Metrics.evaluate(inScores, o), ci));
            }
        }
        return new Outcome(bpd, rows, byScore, typicality);
    }
}
