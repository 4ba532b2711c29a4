package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.data.ImageStats;
import densitylab.eval.Experiment;
import densitylab.eval.MetricSet;
import densitylab.eval.Published;
import densitylab.eval.RunFolder;
import densitylab.eval.VarianceCurve;
import densitylab.io.Progress;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.registry.ModelKinds;
import densitylab.report.Charts;
import densitylab.report.HtmlReport;
import densitylab.report.ReportData;
import densitylab.report.Sections;
import densitylab.score.OodScore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
import java.util.concurrent.Callable;

/**
 * {@code densitylab reproduce}: the failure and the published fixes, side by side, for several models on one data set.
 * It composes the other commands: {@code train} (with a background model and an ensemble) and {@code evaluate} per
 * model, then one report over all of them.
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
    /** The models of a full run, deep ones first. */
    static final List<String> FULL_MODELS = List.of("glow", "realnvp", "vae", "gaussian", "ppca", "gmm");
    /** Factors c of the variance experiment. */
    static final double[] FACTORS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

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

    /** What one model's evaluation gave. */
    private record ModelResult(String model, int[] shape, Experiment.Outcome outcome, VarianceCurve curve, BufferedImage samples) {
    }

    @Override
    public Integer call() throws Exception {
        List<String> names = models != null ? models : quick ? List.of("glow", "gaussian") : FULL_MODELS;
        names.forEach(ModelKinds::get); // an unknown model fails before any training
        double mins = minutes != null ? minutes : quick ? 1.5 : 30;
        int k = ensemble != null ? ensemble : quick ? 1 : 3;
        int n = limit != null ? limit : quick ? 2000 : 0;
        Path root = dir != null ? dir : Path.of(quick ? "runs/quick" : "runs/reproduce");
        List<String> ood = outs != null ? outs : List.of(in.equals("cifar10") ? "svhn" : "mnist", "noise", "constant",
                in + "+invert", in + "+vflip");
        if (k < 1 || n < 0 || !(mins > 0)) {
            throw new IllegalArgumentException("--ensemble must be >= 1, --limit >= 0 and --minutes-per-model > 0");
        }
        Files.createDirectories(root);
        long t0 = System.nanoTime();
        List<ModelResult> results = new ArrayList<>();
        for (String m : names) {
            System.out.printf("%n=== %s ===%n", m);
            Path run = root.resolve(m);
            int rc = train(m, run, mins, k, n);
            if (rc != 0) {
                return rc;
            }
            List<String> scores = scoresFor(m, run, k);
            rc = Main.run(evaluateArgs(run, ood, n, scores).toArray(String[]::new));
            if (rc != 0) {
                return rc;
            }
            results.add(collect(m, run, ood, n, scores));
        }
        Path report = root.resolve("report.html");
        writeReport(report, results, ood, mins, k, n, (System.nanoTime() - t0) / 60e9);
        String firstOod = EvaluateCommand.shortNames(in, ood).get(ood.get(0));
        System.out.printf("%n%s%nwrote %s (%.1f minutes)%n", summary(results, firstOod), report, (System.nanoTime() - t0) / 60e9);
        return 0;
    }

    /** Trains model into run unless a finished run with its background (and ensemble) is there; resumes an unfinished one. */
    private int train(String m, Path run, double mins, int k, int n) throws Exception {
        RunFolder rf = new RunFolder(run);
        boolean deep = isDeep(m);
        List<String> a = new ArrayList<>(List.of("train", "--model", m, "--data", in, "--run", run.toString(), "--seed",
                Long.toString(seed), "--background", Double.toString(background), "--eval-limit", Integer.toString(n > 0 ? n : 2000)));
        if (deep) {
            double bgMinutes = quick ? Math.min(1.0, mins) : mins;
            a.addAll(List.of("--minutes-each", Double.toString(mins), "--background-minutes", Double.toString(bgMinutes)));
            if (k > 1) {
                a.addAll(List.of("--ensemble", Integer.toString(k)));
            }
        }
        if (m.equals("glow") || m.equals("realnvp")) {
            a.addAll(List.of("--warmup", "200", "--clip", "50", "--param", "preset=" + (preset != null ? preset : "small")));
        }
        if (offline) {
            a.add("--offline");
        }
        boolean started = rf.hasModel() || Files.isDirectory(rf.checkpoints());
        if (started) {
            boolean complete = "trained".equals(rf.readConfig().get("status")) && rf.background().hasModel()
                    && rf.background().readConfig().get("background") instanceof Map<?, ?> b
                    && b.get("pixel_replacement") instanceof Number rate && rate.doubleValue() == background
                    && (!deep || k == 1 || rf.ensemble().size() >= k);
            if (complete) {
                System.out.println("reusing the trained runs in " + run);
                return 0;
            }
            a.add("--resume");
        }
        return Main.run(a.toArray(String[]::new));
    }

    private static boolean isDeep(String m) {
        return !List.of("gaussian", "ppca", "gmm").contains(m);
    }

    /** Every score that applies to the model and what its run holds. */
    private static List<String> scoresFor(String m, Path run, int k) {
        List<String> s = new ArrayList<>(List.of("likelihood", "typicality", "input-complexity", "input-complexity-bzip2",
                "likelihood-ratio"));
        if (isDeep(m) && k > 1) {
            s.add("waic");
        }
        if (m.equals("vae")) {
            s.addAll(List.of("elbo", "reconstruction", "likelihood-regret", "likelihood-regret-encoder"));
        }
        return s;
    }

    private List<String> evaluateArgs(Path run, List<String> ood, int n, List<String> scores) {
        List<String> a = new ArrayList<>(List.of("evaluate", "--run", run.toString(), "--in", in, "--limit", Integer.toString(n),
                "--seed", Long.toString(seed), "--fit-limit", Integer.toString(n > 0 ? Math.min(n, 10000) : 10000),
                "--score", String.join(",", scores), "--out"));
        a.addAll(ood);
        if (offline) {
            a.add("--offline");
        }
        return a;
    }

    /** Reads back the evaluation (every score is in the run's score files now) and measures the variance curve. */
    private ModelResult collect(String m, Path run, List<String> ood, int n, List<String> scoreNames) throws Exception {
        RunFolder rf = new RunFolder(run);
        GenerativeModel model = rf.loadModel();
        ScoringOptions so = new ScoringOptions();
        so.run = run;
        so.scores = scoreNames;
        so.limit = n;
        so.fitLimit = n > 0 ? Math.min(n, 10000) : 10000;
        DataOptions data = new DataOptions();
        data.offline = offline;
        DataResolver r = data.resolver();
        List<OodScore> scores = so.createScores(model, r, data);
        ImageSet inSet = data.loadFor(r, in, "test", model.shape(), n);
        Map<String, ImageSet> outSets = new LinkedHashMap<>();
        for (String o : ood) {
            outSets.put(o, data.loadFor(r, o, "test", model.shape(), n));
        }
        Experiment.Outcome outcome = new Experiment(model, rf.scores()).evaluate(in, inSet, outSets, scores, 0, seed)
                .relabel(EvaluateCommand.shortNames(in, ood));
        VarianceCurve curve = null;
        if (model instanceof DensityModel d && isDeep(m) && !m.equals("vae")) { // the VAE's IWAE likelihood is ~100x slower
            System.out.println("variance experiment: bits/dim of " + in + " shrunk by c = 0.1 .. 1");
            try (var pb = Progress.bar("variance curve", FACTORS.length)) {
                curve = VarianceCurve.measure(d, inSet.limit(Math.min(inSet.size(), 2000)), FACTORS);
                pb.stepTo(FACTORS.length);
            }
        }
        BufferedImage samples = Files.isRegularFile(rf.samples()) ? ImageIO.read(rf.samples().toFile()) : null;
        return new ModelResult(m, model.shape(), outcome, curve, samples);
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
        Map<String, String> names = EvaluateCommand.shortNames(in, oodSpecs);
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
        DataOptions data = new DataOptions();
        data.offline = offline;
        DataResolver r = data.resolver();
        Map<String, ImageStats> stats = new LinkedHashMap<>();
        int[] shape = results.get(0).shape();
        for (String s : concat(in, oodSpecs)) {
            stats.put(names.get(s), ImageStats.of(data.loadFor(r, s, "test", shape, n)));
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
                + "other architectures and budgets (../shared/SCIENCE.md): compare against ranges. Targets here: plain "
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
