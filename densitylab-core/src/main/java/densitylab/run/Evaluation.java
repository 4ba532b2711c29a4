package densitylab.run;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.data.ImageStats;
import densitylab.eval.Experiment;
import densitylab.eval.ScoreTable;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.nn.NativeMemory;
import densitylab.score.MemoizedDensity;
import densitylab.model.TemperedSampling;
import densitylab.report.HtmlReport;
import densitylab.report.ImageGrid;
import densitylab.report.ReportData;
import densitylab.report.Sections;
import densitylab.score.OodScore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluating a run as {@code densitylab evaluate} does (scores computed only where RUN/scores lacks them, metrics with
 * bootstrap intervals, RUN/results.json and RUN/report.html), and scoring sets as {@code densitylab score} does.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * What an evaluation found.
     *
     * @param run     the run folder (its results.json and report.html are written)
     * @param kind    the registry name of the run's model kind (the model itself is closed when the evaluation ends)
     * @param outcome the metrics per score and OOD set, with sets named by {@link #shortNames}
     * @param results results.json's content
     */
    public record EvaluationResult(RunFolder run, String kind, Experiment.Outcome outcome, Map<String, Object> results) {
    }

    /** The grid of samples train drew into file, when it is at least as new as the run's model. */
    static java.util.Optional<ReportData.Grid> trainGrid(RunFolder rf, Path file, String caption) throws IOException {
        Path stamp = rf.modelDir().resolve(densitylab.nn.ModelFiles.MANIFEST);
        if (Files.isRegularFile(file) && Files.isRegularFile(stamp)
                && Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(stamp)) >= 0) {
            java.awt.image.BufferedImage drawn = javax.imageio.ImageIO.read(file.toFile());
            if (drawn != null) {
                return java.util.Optional.of(new ReportData.Grid(caption + ", drawn by train (" + file.getFileName() + ")", drawn));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * What scoring sets gave.
     *
     * @param scores the scores computed (the run's defaults when none were named)
     * @param tables each set's score table (which may hold other columns computed before), by spec, in order
     */
    public record ScoringResult(List<String> scores, Map<String, ScoreTable> tables) {
    }

    /**
     * Short names for the sets whose spec is a file path (the file or folder name, with the spec's transforms), unless
     * two sets would get the same one; results.json keeps every spec under "data".
     */
    public static Map<String, String> shortNames(String in, List<String> outs) {
        List<String> all = new ArrayList<>(List.of(in));
        all.addAll(outs);
        Map<String, String> names = new LinkedHashMap<>();
        for (String spec : all) {
            names.put(spec, DataResolver.shortName(spec));
        }
        if (new java.util.HashSet<>(names.values()).size() < names.size()) {
            names.replaceAll((k, v) -> k); // ambiguous: keep the specs
        }
        return names;
    }

    /**
     * Scores in-distribution and OOD sets, computes the metrics, and writes results.json and report.html.
     *
     * @throws IllegalArgumentException for an OOD set that is the in-distribution set, an unknown score or a set of
     *                                  another shape than the model's
     */
    public static EvaluationResult evaluate(EvaluateRequest req, RunLog log) throws Exception {
        RunFolder rf = new RunFolder(req.run());
        try (GenerativeModel model = rf.loadModel(); RunModels related = new RunModels(rf, model, req.with())) {
            densitylab.model.ScoreOptions options = RunScores.withAuditFeatures(rf, model, req.scores(), req.dataSettings(),
                    req.dataSettings().resolver(), req.options(), log);
            try {
                return evaluate(req.withSettings(options, req.dataSettings()), log, rf, model, related);
            } finally {
                closeIfNew(options, req.options());
            }
        } finally {
            NativeMemory.release(); // what the models and their scoring freed
        }
    }

    private static EvaluationResult evaluate(EvaluateRequest req, RunLog log, RunFolder rf, GenerativeModel model, RunModels related)
            throws Exception {
        String in = req.in();
        List<String> outs = req.outs();
        long seed = req.seed();
        DataSettings ds = req.dataSettings();
        DataResolver r = ds.resolver();
        MemoizedDensity likelihood = model instanceof DensityModel d ? new MemoizedDensity(d) : null;
        List<OodScore> scores = RunScores.create(rf, model, likelihood, req.scores(), req.options(),
                () -> RunScores.fitImages(rf, ds, r, model.shape(), req.fitLimit(), log), related, log);
        ImageSet inSet = ds.load(r, in, "test", model.shape(), req.selection());
        Map<String, ImageSet> outSets = new LinkedHashMap<>();
        for (String o : outs) {
            if (o.equals(in)) {
                throw new IllegalArgumentException("OOD set '" + o + "' is the in-distribution set");
            }
            outSets.put(o, ds.load(r, o, "test", model.shape(), req.selection()));
        }
        Experiment.Outcome full = new Experiment(model, rf.scores(), likelihood).evaluate(in, inSet, outSets, scores, req.bootstrap(), seed);
        NativeMemory.release(); // scoring's working set, before sampling's
        Map<String, String> names = shortNames(in, outs);
        Experiment.Outcome outcome = full.relabel(names);
        String inName = names.get(in);

        Map<String, Object> config = rf.readConfig();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put(in, RunFolder.describe(in, inSet));
        outSets.forEach((k, v) -> data.put(k, RunFolder.describe(k, v)));

        Map<String, Object> results = new LinkedHashMap<>();
        results.put("in", inName);
        results.put("model", model.kind());
        results.put("bpd", model instanceof densitylab.model.DensityModel ? outcome.bitsPerDim()
                : "not defined: " + model.kind() + " has no likelihood");
        results.put("score_means", outcome.means());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Experiment.Row row : outcome.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("score", row.score());
            m.put("out", row.out());
            m.put("auroc", row.metrics().auroc());
            m.put("aupr_in", row.metrics().auprIn());
            m.put("aupr_out", row.metrics().auprOut());
            m.put("fpr95", row.metrics().fpr95());
            m.put("detection_error", row.metrics().detectionError());
            if (row.aurocCi() != null) {
                m.put("auroc_ci95", new double[] {row.aurocCi().low(), row.aurocCi().high()});
            }
            rows.add(m);
        }
        results.put("results", rows);
        if (outcome.typicalityTest() != null) {
            var t = outcome.typicalityTest();
            Map<String, Object> bt = new LinkedHashMap<>();
            bt.put("alpha", t.alpha());
            bt.put("entropy_bpd", t.entropy());
            bt.put("batch_sizes", t.batchSizes());
            bt.put("thresholds", t.thresholds());
            bt.put("false_alarms", t.falseAlarms());
            bt.put("detection", t.detection());
            results.put("batch_typicality", bt);
        }
        results.put("data", data);
        results.put("evaluation", Map.of("limit", req.selection().limit(), "sample", req.selection().sample(), "bootstrap", req.bootstrap(), "seed", seed,
                "scores", scores.stream().map(OodScore::name).toList(), "with", req.with().stream().map(Object::toString).toList()));
        results.put("config", config);
        results.put("versions", RunFolder.versions());
        rf.writeJson(rf.results(), results);

        List<ReportData.Row> reportRows = outcome.rows().stream()
                .map(x -> new ReportData.Row(x.score(), x.out(), x.metrics())).toList();
        List<ReportData.Grid> grids = new ArrayList<>();
        String caption = "samples from the model (" + model.kind() + ")";
        java.util.Optional<ReportData.Grid> fromTrain = req.freshSamples() ? java.util.Optional.empty() : trainGrid(rf, rf.samples(), caption);
        grids.add(fromTrain.orElseGet(() -> new ReportData.Grid(caption, ImageGrid.render(model.sample(100, seed), 100, 10, 2))));
        if (model instanceof TemperedSampling tempered) {
            String captionT = "samples at temperature 0.7";
            java.util.Optional<ReportData.Grid> t = req.freshSamples() ? java.util.Optional.empty() : trainGrid(rf, rf.temperedSamples(), captionT);
            if (t.isPresent()) {
                grids.add(t.get());
            } else if (fromTrain.isPresent()) { // train drew samples but had no time left for these: do not draw for minutes here
                log.note("no grid at temperature 0.7 in the report: train's time budget left none; --fresh-samples draws one");
            } else {
                grids.add(new ReportData.Grid(captionT, ImageGrid.render(tempered.sample(100, seed, 0.7), 100, 10, 2)));
            }
        }
        grids.add(new ReportData.Grid("in-distribution: " + inName, ImageGrid.render(inSet, 100, 10, 2)));
        outSets.forEach((k, v) -> grids.add(new ReportData.Grid("OOD: " + names.get(k),
                ImageGrid.render(v, 100, 10, 2))));
        List<ReportData.Section> sections = new ArrayList<>();
        if (outcome.typicalityTest() != null) {
            sections.add(Sections.typicality("batch-typicality", "Batch typicality test", outcome.typicalityTest()));
        }
        combinedSection(outcome, inName).ifPresent(sections::add);
        Map<String, ImageStats> stats = new LinkedHashMap<>();
        stats.put(inName, ImageStats.of(inSet));
        outSets.forEach((k, v) -> stats.put(names.get(k), ImageStats.of(v)));
        sections.add(new ReportData.Section("data-statistics", "Data statistics", List.of("Each set's pixel mean and variance "
                + "(0..255 scale) beside its bits/dim: Nalisnick et al. (2019) observed that the sets with the lower variance get "
                + "the higher likelihood."), List.of(Sections.dataStatistics("stats", stats,
                outcome.bitsPerDim().isEmpty() ? Map.of() : Map.of(model.kind(), outcome.bitsPerDim()))), List.of()));
        List<String> notes = new ArrayList<>();
        notes.add("Scores are oriented so that higher = more anomalous; OOD is the positive class. An AUROC below 0.5 means "
                + "the model scores the OOD set as MORE typical than its own test data (Nalisnick et al. 2019).");
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("run", req.run().toString());
        provenance.putAll(config);
        provenance.put("evaluated data", data);
        provenance.put("evaluation", results.get("evaluation"));
        ReportData report = new ReportData("densitylab: " + model.kind() + " trained on "
                + String.valueOf(config.getOrDefault("data", Map.of()) instanceof Map<?, ?> d ? d.get("spec") : "?"),
                inName, model.kind(), provenance, outcome.bitsPerDim(), reportRows, outcome.scores(), grids, notes, sections);
        HtmlReport.write(report, rf.report());
        return new EvaluationResult(rf, model.kind(), outcome, results);
    }

    /** A statistic that is one coordinate of a model's code: latent-J, possibly after a peer's prefix. */
    private static final java.util.regex.Pattern CODE_COORDINATE = java.util.regex.Pattern.compile("(.*latent-)\\d+");

    /**
     * What drives a combined score: per OOD set, each statistic's AUROC alone (either tail: max(AUROC, 1 - AUROC)) beside
     * the combination's, and a scatter of the two statistics that separate the sets best on average.
     */
    static java.util.Optional<ReportData.Section> combinedSection(Experiment.Outcome outcome, String inName) {
        String combined = outcome.scores().keySet().stream().filter(s -> s.startsWith("combined") && !s.contains(":"))
                .findFirst().orElse(null);
        if (combined == null) {
            return java.util.Optional.empty();
        }
        List<String> stats = outcome.scores().keySet().stream().filter(s -> s.startsWith(combined + ":")).toList();
        List<String> outs = outcome.rows().stream().map(Experiment.Row::out).distinct().toList();
        List<String> header = new ArrayList<>(List.of("statistic"));
        header.addAll(outs);
        List<List<String>> rows = new ArrayList<>();
        Map<String, Double> meanSeparation = new LinkedHashMap<>();
        // a code's coordinates (a VAE's latent-1..L) share one row: the best coordinate alone, per set
        Map<String, double[]> groups = new LinkedHashMap<>();
        Map<String, Integer> groupSizes = new LinkedHashMap<>();
        for (String s : java.util.stream.Stream.concat(java.util.stream.Stream.of(combined), stats.stream()).toList()) {
            String label = s.equals(combined) ? combined : s.substring(combined.length() + 1);
            double[] either = new double[outs.size()];
            for (int j = 0; j < outs.size(); j++) {
                String o = outs.get(j);
                double a = outcome.rows().stream().filter(r -> r.score().equals(s) && r.out().equals(o))
                        .mapToDouble(r -> r.metrics().auroc()).findFirst().orElse(Double.NaN);
                either[j] = s.equals(combined) ? a : Math.max(a, 1 - a);
            }
            java.util.regex.Matcher coordinate = CODE_COORDINATE.matcher(label);
            if (coordinate.matches()) {
                groups.merge(coordinate.group(1), either, (x, y) -> {
                    double[] m = new double[x.length];
                    for (int j = 0; j < m.length; j++) {
                        m[j] = Math.max(x[j], y[j]);
                    }
                    return m;
                });
                groupSizes.merge(coordinate.group(1), 1, Integer::sum);
                continue;
            }
            rows.add(aurocRow(label, either));
            if (!s.equals(combined)) {
                meanSeparation.put(s, java.util.Arrays.stream(either).average().orElse(Double.NaN));
            }
        }
        groups.forEach((prefix, best) -> rows.add(aurocRow(prefix + "1.." + groupSizes.get(prefix) + " (the best coordinate alone)", best)));
        java.util.Set<Integer> cols = new java.util.HashSet<>();
        for (int i = 1; i <= outs.size(); i++) {
            cols.add(i);
        }
        List<ReportData.Grid> pictures = new ArrayList<>();
        List<String> best = meanSeparation.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .map(Map.Entry::getKey).limit(2).toList();
        if (best.size() == 2) {
            Map<String, double[][]> points = new LinkedHashMap<>();
            Map<String, double[]> xs = outcome.scores().get(best.get(0));
            Map<String, double[]> ys = outcome.scores().get(best.get(1));
            for (String set : xs.keySet()) {
                if (ys.containsKey(set)) {
                    points.put(set, new double[][] {xs.get(set), ys.get(set)});
                }
            }
            String bx = best.get(0).substring(combined.length() + 1);
            String by = best.get(1).substring(combined.length() + 1);
            pictures.add(new ReportData.Grid("the two statistics that separate the sets best: " + bx + " and " + by,
                    densitylab.report.Charts.scatter(bx + " against " + by + " (in-distribution: " + inName + ")", bx, by, points)));
        }
        return java.util.Optional.of(new ReportData.Section("combined", "What drives " + combined, List.of("Each statistic's "
                + "AUROC alone against each OOD set, taking whichever tail separates better (max(AUROC, 1 - AUROC)), beside the "
                + "combination's (which uses both tails of the joint density by construction). A code's coordinates "
                + "(latent-1..L) share a row: the best single coordinate per set."),
                List.of(new ReportData.Table("combined-table", header, rows, cols)), pictures));
    }

    private static List<String> aurocRow(String label, double[] values) {
        List<String> row = new ArrayList<>(List.of(label));
        for (double v : values) {
            row.add(Sections.fmt(v));
        }
        return row;
    }

    /**
     * What {@code densitylab score} does: per-image scores of each set in specs under the run's model, cached in
     * RUN/scores/SET.csv (existing columns reused).
     */
    public static ScoringResult score(java.nio.file.Path run, List<String> specs, List<String> scoreNames,
                                                DataSettings.Selection selection, int fitLimit, densitylab.model.ScoreOptions options,
                                                DataSettings ds, RunLog log) throws Exception {
        RunFolder rf = new RunFolder(run);
        try (GenerativeModel model = rf.loadModel(); RunModels related = new RunModels(rf, model)) {
            DataResolver r = ds.resolver();
            densitylab.model.ScoreOptions withFeatures = RunScores.withAuditFeatures(rf, model, scoreNames, ds, r, options, log);
            try {
                MemoizedDensity likelihood = model instanceof DensityModel d ? new MemoizedDensity(d) : null;
                List<OodScore> scores = RunScores.create(rf, model, likelihood, scoreNames, withFeatures,
                        () -> RunScores.fitImages(rf, ds, r, model.shape(), fitLimit, log), related, log);
                Experiment ex = new Experiment(model, rf.scores(), likelihood);
                Map<String, ScoreTable> out = new LinkedHashMap<>();
                for (String spec : specs) {
                    out.put(spec, ex.score(spec, ds.load(r, spec, "test", model.shape(), selection), scores));
                }
                return new ScoringResult(scores.stream().map(OodScore::name).toList(), out);
            } finally {
                closeIfNew(withFeatures, options);
            }
        } finally {
            NativeMemory.release();
        }
    }

    /** Closes the feature space of options that {@link RunScores#withAuditFeatures} added (not one the caller gave). */
    private static void closeIfNew(densitylab.model.ScoreOptions options, densitylab.model.ScoreOptions given) {
        if (options.features() != null && options.features() != given.features()) {
            options.features().close();
        }
    }
}
