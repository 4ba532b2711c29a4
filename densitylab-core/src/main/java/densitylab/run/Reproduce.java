package densitylab.run;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.data.ImageStats;
import densitylab.eval.Experiment;
import densitylab.eval.MetricSet;
import densitylab.eval.Published;
import densitylab.eval.ResultTable;
import densitylab.eval.VarianceCurve;
import densitylab.io.Progress;
import densitylab.io.SettingException;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.ModelKind;
import densitylab.model.ScoreOptions;
import densitylab.model.registry.ModelKinds;
import densitylab.report.Charts;
import densitylab.report.HtmlReport;
import densitylab.report.ReportData;
import densitylab.report.Sections;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The failure and the published fixes, side by side, for several models on one data set, as {@code densitylab
 * reproduce} does: each model trained (with a likelihood-ratio background and, for networks, a WAIC ensemble) and
 * evaluated with every score that applies to it, then one report over all of them.
 */
public final class Reproduce {
    /** The models of a full run, networks first. */
    public static final List<String> FULL_MODELS = List.of("glow", "realnvp", "vae", "gaussian", "ppca", "gmm");
    /** The models of a quick run (the demo). */
    public static final List<String> QUICK_MODELS = List.of("glow", "gaussian");
    /** Factors c of the variance experiment. */
    static final double[] FACTORS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

    /**
     * What to reproduce; null settings take their defaults (which --quick changes).
     *
     * @param quick     a small Glow (1.5 minutes, its background 1 minute) and the Gaussian, 2000 images per set
     * @param minutes   training minutes of each network (default 30; quick 1.5)
     * @param models    model kinds (default {@link #FULL_MODELS}; quick {@link #QUICK_MODELS})
     * @param in        in-distribution set (trained on its train split, evaluated on its test split)
     * @param outs      OOD sets (default: mnist, or svhn for cifar10; noise, constant, IN+invert, IN+vflip)
     * @param dir       folder of the runs and the report (default runs/reproduce; quick runs/quick)
     * @param limit     images per evaluated set, 0 = all (default 0; quick 2000)
     * @param background pixel replacement rate of the background models
     * @param ensemble  members of each network's WAIC ensemble (default 3; quick 1)
     * @param preset    preset of the kinds that have presets (default small)
     * @param seed      seed of every run
     * @param data      where data comes from
     */
    public record ReproduceRequest(boolean quick, Double minutes, List<String> models, String in, List<String> outs, Path dir,
                                   Integer limit, double background, Integer ensemble, String preset, long seed, DataSettings data) {
        /** The defaults of a full run (quick = false) or of the demo (quick = true), into dir (null: the default folder). */
        public static ReproduceRequest of(boolean quick, Path dir) {
            return new ReproduceRequest(quick, null, null, "fashion-mnist", null, dir, null, 0.2, null, null, 0, DataSettings.defaults());
        }
    }

    /**
     * What a reproduction wrote.
     *
     * @param report  DIR/report.html
     * @param summary per model, the plain likelihood's AUROC against the first OOD set and the best score's
     */
    public record ReproduceResult(Path report, String summary) {
    }

    private final boolean quick;
    private final Double minutes;
    private final List<String> models;
    private final String in;
    private final List<String> outs;
    private final Path dir;
    private final Integer limit;
    private final double background;
    private final Integer ensemble;
    private final String preset;
    private final long seed;
    private final DataSettings data;
    private final RunLog log;

    private Reproduce(ReproduceRequest r, RunLog log) {
        this.quick = r.quick();
        this.minutes = r.minutes();
        this.models = r.models();
        this.in = r.in();
        this.outs = r.outs();
        this.dir = r.dir();
        this.limit = r.limit();
        this.background = r.background();
        this.ensemble = r.ensemble();
        this.preset = r.preset();
        this.seed = r.seed();
        this.data = r.data();
        this.log = log;
    }

    /** Trains (or reuses, or resumes) and evaluates every model, and writes DIR/report.html. */
    public static ReproduceResult run(ReproduceRequest request, RunLog log) throws Exception {
        return new Reproduce(request, log).call();
    }

    /** What one model's evaluation gave. */
    private record ModelResult(String model, int[] shape, Experiment.Outcome outcome, VarianceCurve curve, BufferedImage samples) {
    }

    ReproduceResult call() throws Exception {
        List<String> names = models != null ? models : quick ? QUICK_MODELS : FULL_MODELS;
        names.forEach(ModelKinds::get); // an unknown model fails before any training
        double mins = minutes != null ? minutes : quick ? 1.5 : 30;
        int k = ensemble != null ? ensemble : quick ? 1 : 3;
        int n = limit != null ? limit : quick ? 2000 : 0;
        Path root = dir != null ? dir : Path.of(quick ? "runs/quick" : "runs/reproduce");
        List<String> ood = outs != null ? outs : List.of(in.equals("cifar10") ? "svhn" : "mnist", "noise", "constant",
                in + "+invert", in + "+vflip");
        if (k < 1 || n < 0 || !(mins > 0)) {
            throw new SettingException("an ensemble needs at least 1 member, the limit must be >= 0 and the minutes per model > 0",
                    "ensemble", "limit", "minutes-per-model");
        }
        Files.createDirectories(root);
        long t0 = System.nanoTime();
        List<ModelResult> results = new ArrayList<>();
        for (String m : names) {
            log.info(String.format("%n=== %s ===", m));
            Path run = root.resolve(m);
            train(m, run, mins, k, n);
            List<String> scores = scoresFor(m, k);
            Evaluation.EvaluationResult evaluated = Evaluation.evaluate(new EvaluateRequest(run, in, ood, scores,
                    DataSettings.Selection.first(n), n > 0 ? Math.min(n, 10000) : 10000, ScoreOptions.defaults(), 200, seed, data), log);
            log.info(ResultTable.format(evaluated.outcome()));
            results.add(collect(m, evaluated, n));
        }
        Path report = root.resolve("report.html");
        writeReport(report, results, ood, mins, k, n, (System.nanoTime() - t0) / 60e9);
        String firstOod = Evaluation.shortNames(in, ood).get(ood.get(0));
        String summary = summary(results, firstOod);
        log.info(String.format(Locale.ROOT, "%n%s%nwrote %s (%.1f minutes)", summary, report, (System.nanoTime() - t0) / 60e9));
        return new ReproduceResult(report, summary);
    }

    /** Training images each model leaves out (at most a tenth), for the scores fitted on in-distribution images. */
    static final int HOLDOUT = 5000;

    /** Trains model into run unless a finished run with its background (and ensemble) is there; resumes an unfinished one. */
    private void train(String m, Path run, double mins, int k, int n) throws Exception {
        RunFolder rf = new RunFolder(run);
        ModelKind kind = ModelKinds.get(m);
        boolean deep = kind.trainedByGradient();
        TrainRequest.Builder a = TrainRequest.builder(m, in, run).seed(seed).background(background)
                .evalLimit(n > 0 ? n : 2000).dataSettings(data);
        if (deep) {
            a.minutesEach(mins).backgroundMinutes(quick ? Math.min(1.0, mins) : mins);
            if (k > 1) {
                a.ensemble(k);
            }
            a.warmup(kind.recipe().warmup()).clip(kind.recipe().clip());
        }
        if (kind.presets().contains(preset != null ? preset : "small")) {
            a.param("preset", preset != null ? preset : "small");
        }
        boolean started = rf.hasModel() || Files.isDirectory(rf.checkpoints());
        if (started) {
            boolean complete = "trained".equals(rf.readConfig().get("status")) && rf.background().hasModel()
                    && rf.background().readConfig().get("background") instanceof Map<?, ?> b
                    && b.get("pixel_replacement") instanceof Number rate && rate.doubleValue() == background
                    && (!deep || k == 1 || rf.ensemble().size() >= k);
            if (complete) {
                log.info("reusing the trained runs in " + run);
                return;
            }
            a.resume(true);
        }
        // the holdout: images no model trains on, which the combined score and typicality are fitted on (counted only here,
        // where the models train, since a folder of images takes a while to read)
        a.holdout(Math.min(HOLDOUT, data.resolver().load(in, "train").size() / 10));
        Training.train(a.build(), log);
    }

    /** Every score that applies to the model kind and what its run holds. */
    private static List<String> scoresFor(String m, int k) {
        ModelKind kind = ModelKinds.get(m);
        List<String> s = new ArrayList<>(kind.studyScores());
        if (kind.hasLikelihood()) { // every run here has a background model; networks an ensemble when k > 1
            s.add("likelihood-ratio");
            if (kind.trainedByGradient() && k > 1) {
                s.add("waic");
            }
        }
        return s;
    }

    /** The evaluation's outcome, the variance curve where the likelihood is cheap, and the samples. */
    private ModelResult collect(String m, Evaluation.EvaluationResult evaluated, int n) throws Exception {
        RunFolder rf = evaluated.run();
        ModelKind kind = ModelKinds.get(m);
        VarianceCurve curve = null;
        int[] shape;
        try (GenerativeModel model = rf.loadModel()) { // each model is open only while it computes: memory of one at a time
            shape = model.shape();
            if (model instanceof DensityModel d && kind.trainedByGradient() && kind.cheapLikelihood()) {
                log.info("variance experiment: bits/dim of " + in + " shrunk by c = 0.1 .. 1");
                ImageSet inSet = data.load(data.resolver(), in, "test", model.shape(), DataSettings.Selection.first(n));
                try (var pb = Progress.bar("variance curve", FACTORS.length)) {
                    curve = VarianceCurve.measure(d, inSet.limit(Math.min(inSet.size(), 2000)), FACTORS);
                    pb.stepTo(FACTORS.length);
                }
            }
        } finally {
            densitylab.nn.NativeMemory.release();
        }
        BufferedImage samples = Files.isRegularFile(rf.samples()) ? ImageIO.read(rf.samples().toFile()) : null;
        return new ModelResult(m, shape, evaluated.outcome(), curve, samples);
    }

    /** Against one OOD set: the plain likelihood's row and the row of the score with the highest AUROC (either may be null). */
    private record Headline(Experiment.Row likelihood, Experiment.Row best) {
        static Headline of(ModelResult r, String ood) {
            Experiment.Row lik = null;
            Experiment.Row best = null;
            for (Experiment.Row row : r.outcome().rows()) {
                if (row.out().equals(ood)) {
                    lik = row.score().equals("likelihood") ? row : lik;
                    best = best == null || row.metrics().auroc() > best.metrics().auroc() ? row : best;
                }
            }
            return new Headline(lik, best);
        }

        String likelihoodAuroc() {
            return likelihood == null ? "" : Sections.fmt(likelihood.metrics().auroc());
        }

        String bestAuroc() {
            return best == null ? "" : Sections.fmt(best.metrics().auroc());
        }

        String bestScore() {
            return best == null ? "" : best.score();
        }
    }

    /** Per model: the plain likelihood's AUROC against the first OOD set, and the best score's. */
    private static ReportData.Table summaryTable(List<ModelResult> results, String firstOod) {
        List<List<String>> rows = new ArrayList<>();
        for (ModelResult r : results) {
            Headline h = Headline.of(r, firstOod);
            rows.add(List.of(r.model(), h.likelihoodAuroc(), h.bestScore(), h.bestAuroc()));
        }
        return new ReportData.Table("summary-table", List.of("model", "likelihood AUROC vs " + firstOod, "best score",
                "its AUROC"), rows, Set.of(1, 3));
    }

    /** One line per model: the plain likelihood's AUROC against the first OOD set and the best score's. */
    static String summary(List<ModelResult> results, String firstOod) {
        StringBuilder b = new StringBuilder(String.format("AUROC against %s: likelihood -> best score%n", firstOod));
        for (ModelResult r : results) {
            Headline h = Headline.of(r, firstOod);
            b.append(String.format(Locale.ROOT, "  %-10s likelihood %s -> %s %s%n", r.model(), h.likelihoodAuroc(), h.bestScore(),
                    h.bestAuroc()));
        }
        return b.toString();
    }

    private void writeReport(Path file, List<ModelResult> results, List<String> oodSpecs, double mins, int k, int n,
                             double wallMinutes) throws Exception {
        Map<String, String> names = Evaluation.shortNames(in, oodSpecs);
        String inName = names.get(in);
        List<String> ood = oodSpecs.stream().map(names::get).toList();
        List<ReportData.Section> sections = new ArrayList<>();
        sections.add(new ReportData.Section("summary", "Summary", List.of(
                "Scores are oriented so that higher = more anomalous; OOD is the positive class. An AUROC below 0.5 means the "
                        + "model finds the OOD set MORE typical than its own test data: the failure Nalisnick et al. (2019) "
                        + "reported. Each model's own report is in its run folder (MODEL/report.html)."),
                List.of(summaryTable(results, ood.get(0))), List.of()));
        sections.add(aurocSection(results, ood));
        sections.add(fullMetrics(results));
        Map<String, Map<String, Double>> bpd = new LinkedHashMap<>();
        results.forEach(r -> {
            if (!r.outcome().bitsPerDim().isEmpty()) {
                bpd.put(r.model(), r.outcome().bitsPerDim());
            }
        });
        DataResolver r = data.resolver();
        Map<String, ImageStats> stats = new LinkedHashMap<>();
        int[] shape = results.get(0).shape();
        for (String s : concat(in, oodSpecs)) {
            stats.put(names.get(s), ImageStats.of(data.load(r, s, "test", shape, DataSettings.Selection.first(n))));
        }
        sections.add(new ReportData.Section("bits-per-dim", "Bits/dim and data statistics", List.of("Mean bits/dim of each set "
                + "under each model, beside the set's pixel mean and variance (0..255 scale): Nalisnick et al. observed that "
                + "the sets with the lower variance get the higher likelihood."),
                List.of(Sections.dataStatistics("bpd", stats, bpd)), List.of()));
        for (ModelResult m : results) {
            if (m.outcome().typicalityTest() != null) {
                sections.add(Sections.typicality("typicality-" + m.model(), "Batch typicality test: " + m.model(),
                        m.outcome().typicalityTest()));
            }
        }
        for (ModelResult m : results) {
            if (m.curve() != null) {
                sections.add(varianceSection(m, inName, ood.get(0)));
            }
        }
        for (ModelResult m : results) {
            List<ReportData.Grid> charts = new ArrayList<>();
            m.outcome().scores().forEach((score, sets) -> charts.add(new ReportData.Grid(m.model() + ": " + score,
                    Charts.histogram(m.model() + ": " + score, inName, sets))));
            if (m.samples() != null) {
                charts.add(new ReportData.Grid("samples from " + m.model(), m.samples()));
            }
            sections.add(new ReportData.Section("histograms-" + m.model(), "Score histograms and samples: " + m.model(),
                    List.of(), List.of(), charts));
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("command", "densitylab reproduce" + (quick ? " --quick" : ""));
        provenance.put("in", in);
        provenance.put("out", ood);
        provenance.put("minutes per network", mins);
        provenance.put("ensemble", k);
        provenance.put("background pixel replacement", background);
        provenance.put("images per set", n == 0 ? "all" : n);
        provenance.put("seed", seed);
        provenance.put("wall minutes", String.format(Locale.ROOT, "%.1f", wallMinutes));
        provenance.put("versions", RunFolder.versions());
        HtmlReport.writePage(file, "densitylab reproduce: trained on " + inName, "The failure of likelihood-based OOD detection and "
                + "the published fixes, for " + String.join(", ", results.stream().map(ModelResult::model).toList()) + ".",
                sections, provenance);
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> l = new ArrayList<>(List.of(first));
        l.addAll(rest);
        return l;
    }

    /** AUROC per (model, score) and OOD set, with the published value against the first OOD set. */
    private ReportData.Section aurocSection(List<ModelResult> results, List<String> ood) {
        List<String> header = new ArrayList<>(List.of("model", "score"));
        ood.forEach(o -> header.add("AUROC vs " + o));
        header.add("published vs " + ood.get(0));
        header.add("source");
        List<List<String>> rows = new ArrayList<>();
        for (ModelResult m : results) {
            for (String score : m.outcome().scores().keySet()) {
                List<String> row = new ArrayList<>(List.of(m.model(), score));
                for (String o : ood) {
                    row.add(m.outcome().rows().stream().filter(x -> x.score().equals(score) && x.out().equals(o)).findFirst()
                            .map(x -> String.format(Locale.ROOT, "%.3f", x.metrics().auroc())).orElse(""));
                }
                var p = Published.find(score, in, ood.get(0));
                row.add(p.map(Published::value).orElse(""));
                row.add(p.map(Published::source).orElse(""));
                rows.add(row);
            }
        }
        Set<Integer> aurocCols = new java.util.HashSet<>();
        for (int i = 0; i < ood.size(); i++) {
            aurocCols.add(2 + i);
        }
        return new ReportData.Section("auroc", "AUROC per model, score and OOD set", List.of("Published values are for "
                + "other architectures and budgets (docs/science.md): compare against ranges. Targets here: plain "
                + "likelihood below 0.3 against MNIST (the failure), likelihood ratio and input complexity at least 0.95 with "
                + "the best model."), List.of(new ReportData.Table("auroc-table", header, rows, aurocCols)), List.of());
    }

    private static ReportData.Section fullMetrics(List<ModelResult> results) {
        List<String> header = List.of("model", "score", "OOD set", "AUROC", "AUPR-in", "AUPR-out", "FPR@95TPR");
        List<List<String>> rows = new ArrayList<>();
        for (ModelResult m : results) {
            for (Experiment.Row x : m.outcome().rows()) {
                MetricSet s = x.metrics();
                rows.add(List.of(m.model(), x.score(), x.out(), Sections.fmt(s.auroc()), Sections.fmt(s.auprIn()), Sections.fmt(s.auprOut()), Sections.fmt(s.fpr95())));
            }
        }
        return new ReportData.Section("metrics", "Every metric", List.of("AUPR-in treats the in-distribution set as positive, "
                + "AUPR-out the OOD set; FPR@95TPR is the fraction of OOD inputs accepted when 95% of in-distribution inputs are."),
                List.of(new ReportData.Table("metrics-table", header, rows, Set.of(3))), List.of());
    }

    private ReportData.Section varianceSection(ModelResult m, String inName, String reference) {
        VarianceCurve c = m.curve();
        Map<String, double[]> ys = new LinkedHashMap<>(c.bpd());
        Double ref = m.outcome().bitsPerDim().get(reference);
        if (ref != null) {
            double[] line = new double[FACTORS.length];
            java.util.Arrays.fill(line, ref);
            ys.put("reference: " + reference + " (unscaled)", line);
        }
        List<String> text = new ArrayList<>();
        text.add("Bits/dim of " + inName + "'s test images shrunk toward a centre by c (c = 1: unchanged), rounded to 0..255. "
                + "For a shrink toward the mean image (same mean, covariance c^2 Sigma) Nalisnick et al.'s second-order "
                + "expansion predicts a straight line in c^2, bits/dim falling (likelihood rising) as the variance shrinks "
                + "when log p is concave around the mean. docs/fixes.md discusses what the curves show.");
        for (String curve : c.bpd().keySet()) {
            double[] y = c.bpd().get(curve);
            String change = String.format(Locale.ROOT, "%s: %.3f bits/dim at c = 0.5 against %.3f at c = 1 (%s)", curve, y[4], y[9],
                    y[4] < y[9] ? "shrinking raised the likelihood" : "shrinking LOWERED the likelihood");
            if (curve.equals(VarianceCurve.MEAN_IMAGE)) { // the expansion's setting: same mean, covariance c^2 Sigma
                VarianceCurve.Fit fit = c.quadraticFit(curve);
                text.add(String.format(Locale.ROOT, "%s; the line a + b c^2 (b = %.3f) misses the curve by up to %.3f bits/dim "
                                + "of its %.3f range, so the second-order expansion %s.", change, fit.b(), fit.maxResidual(),
                        fit.range(), fit.holds() && fit.b() > 0 ? "holds" : "does not hold"));
            } else { // the mean moves with c: the expansion gains a first-order term, no line in c^2 is predicted
                text.add(change + "; this shrink also moves the mean, so the expansion predicts no line in c^2 here.");
            }
        }
        return new ReportData.Section("variance-" + m.model(), "Variance experiment: " + m.model(), text, List.of(),
                List.of(new ReportData.Grid("bits/dim against the shrink factor c", Charts.lines(m.model()
                        + ": bits/dim of shrunk " + inName, "shrink factor c", "bits/dim", FACTORS, ys))));
    }

}
