package densitylab.run;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.eval.Metrics;
import densitylab.io.AtomicFiles;
import densitylab.io.SettingException;
import densitylab.model.ScoreOptions;
import densitylab.model.registry.ModelKinds;
import densitylab.model.vae.ConvVae;
import densitylab.model.vae.LikelihoodRegret;
import densitylab.model.vae.LikelihoodRegret.Variant;
import densitylab.nn.ModelFiles;
import densitylab.nn.Units;
import densitylab.report.Charts;
import densitylab.report.HtmlReport;
import densitylab.report.ReportData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Why likelihood regret weakens as the VAE trains: trains one VAE in stages, scores each stage's model, sweeps the
 * regret's own settings on the last one, and writes DIR/stage-M.json, DIR/sweep.json and DIR/report.html; a rerun
 * reuses what is there. See docs/regret.md.
 */
public final class RegretStudy {
    /**
     * What to study; see {@code densitylab regret-study --help} for each setting.
     *
     * @param dir          study folder
     * @param in           in-distribution set
     * @param outs         OOD sets (null: mnist, noise, constant, IN+vflip)
     * @param minutes      total training minutes at each stage
     * @param limit        test images per set at each stage (0 = whole test splits)
     * @param regretSteps  Adam steps of the posterior variant
     * @param regretLr     its learning rate
     * @param encoderSteps Adam steps of the encoder variant
     * @param encoderLr    its learning rate
     * @param sweepLimit   images per set in the settings sweep (0 = no sweep)
     * @param sweepSteps   Adam steps of the sweep
     * @param sweepLrs     learning rates of the sweep (a tenth of each for the encoder)
     * @param sweepSamples what the sweep's regret compares: 0 = best one-sample ELBO, K = K-sample bounds
     * @param seed         training seed
     * @param data         where data comes from
     */
    public record RegretStudyRequest(Path dir, String in, List<String> outs, List<Double> minutes, int limit, int regretSteps,
                                     double regretLr, int encoderSteps, double encoderLr, int sweepLimit, List<Integer> sweepSteps,
                                     List<Double> sweepLrs, List<Integer> sweepSamples, long seed, DataSettings data) {
    }

    private final Path dir;
    private final String in;
    private final List<String> outs;
    private final List<Double> minutes;
    private final int limit;
    private final int regretSteps;
    private final double regretLr;
    private final int encoderSteps;
    private final double encoderLr;
    private final int sweepLimit;
    private final List<Integer> sweepSteps;
    private final List<Double> sweepLrs;
    private final List<Integer> sweepSamples;
    private final long seed;
    private final DataSettings data;
    private final RunLog log;

    private RegretStudy(RegretStudyRequest r, RunLog log) {
        this.dir = r.dir();
        this.in = r.in();
        this.outs = r.outs();
        this.minutes = r.minutes();
        this.limit = r.limit();
        this.regretSteps = r.regretSteps();
        this.regretLr = r.regretLr();
        this.encoderSteps = r.encoderSteps();
        this.encoderLr = r.encoderLr();
        this.sweepLimit = r.sweepLimit();
        this.sweepSteps = r.sweepSteps();
        this.sweepLrs = r.sweepLrs();
        this.sweepSamples = r.sweepSamples();
        this.seed = r.seed();
        this.data = r.data();
        this.log = log;
    }

    /** Runs the study (reusing stages and a sweep already in the folder) and returns the report's path. */
    public static Path run(RegretStudyRequest request, RunLog log) throws Exception {
        return new RegretStudy(request, log).call();
    }

    private static final List<String> SCORES = List.of("likelihood", "reconstruction", "regret-posterior", "regret-encoder");

    @SuppressWarnings("unchecked")
    Path call() throws Exception {
        List<String> ood = outs != null ? outs : List.of("mnist", "noise", "constant", in + "+vflip");
        if (minutes.isEmpty() || minutes.stream().anyMatch(m -> !(m > 0)) || limit < 0 || sweepLimit < 0
                || sweepSamples.isEmpty() || sweepSamples.stream().anyMatch(k -> k < 0)) {
            throw new SettingException("the stage minutes must be positive, the limits and sweep samples >= 0",
                    "minutes", "limit", "sweep-limit", "sweep-samples");
        }
        List<Double> stages = minutes.stream().sorted().distinct().toList();
        Files.createDirectories(dir);
        Path run = dir.resolve("train");
        DataResolver resolver = data.resolver();
        Map<Double, Stage> done = new TreeMap<>(); // minutes -> the stage's AUROCs and timings
        Map<String, Object> settings = stageSettings(ood);
        double trained = 0;
        for (double m : stages) {
            Path stageFile = dir.resolve(String.format(Locale.ROOT, "stage-%s.json", label(m)));
            if (Files.isRegularFile(stageFile)) {
                done.put(m, readStage(stageFile, settings));
                trained = m;
                continue;
            }
            boolean resume = Files.isDirectory(new RunFolder(run).checkpoints());
            // train's --minutes bounds the whole command and gives the steps a share of it: ask for as much more as
            // makes the steps themselves train (m - trained) minutes, the unit of the stages
            double budget = (m - trained) / ModelKinds.get("vae").stepShareOfBudget();
            log.info(String.format("%nstage: VAE trained %s minutes in all", label(m)));
            Training.train(TrainRequest.builder("vae", in, run).epochs(100000).minutes(budget).evalLimit(500).seed(seed)
                    .resume(resume).dataSettings(data).build(), log);
            trained = m;
            Stage stage;
            try (ConvVae vae = (ConvVae) new RunFolder(run).loadModel()) {
                stage = scoreStage(vae, resolver, ood);
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("minutes", m);
            json.put("settings", settings);
            json.put("auroc", stage.auroc());
            json.put("seconds_per_1000_images", stage.secondsPer1000());
            logf("  seconds per 1,000 images: %s%n", stage.secondsPer1000());
            AtomicFiles.writeString(stageFile, ModelFiles.JSON.writeValueAsString(json));
            done.put(m, stage);
        }
        Path sweepFile = dir.resolve("sweep.json");
        List<Map<String, Object>> sweep = new ArrayList<>();
        if (sweepLimit > 0) {
            Map<String, Object> sweepSettings = new LinkedHashMap<>(settings);
            sweepSettings.put("after_minutes", stages.get(stages.size() - 1));
            sweepSettings.put("sweep_limit", sweepLimit);
            sweepSettings.put("sweep_steps", sweepSteps);
            sweepSettings.put("sweep_lrs", sweepLrs);
            sweepSettings.put("sweep_samples", sweepSamples);
            Map<?, ?> old = Files.isRegularFile(sweepFile) ? ModelFiles.JSON.readValue(sweepFile.toFile(), Map.class) : Map.of();
            if (same(old.get("settings"), sweepSettings)) {
                sweep = (List<Map<String, Object>>) old.get("rows");
            } else {
                if (!old.isEmpty()) {
                    log.info("the sweep's settings changed since " + sweepFile + ": sweeping again");
                }
                try (ConvVae vae = (ConvVae) new RunFolder(run).loadModel()) {
                    sweep = sweep(vae, resolver, ood.get(0));
                }
                AtomicFiles.writeString(sweepFile, ModelFiles.JSON.writeValueAsString(Map.of("settings", sweepSettings, "rows", sweep)));
            }
        }
        Path report = dir.resolve("report.html");
        writeReport(report, done, sweep, ood);
        log.info("wrote " + report);
        return report;
    }

    private static String compared(int k) {
        return k == 0 ? "best 1-sample ELBO" : k + "-sample bound";
    }

    private static String label(double m) {
        return m == Math.rint(m) ? Long.toString((long) m) : Double.toString(m);
    }

    /** One stage's AUROCs (score -> OOD set -> AUROC) and seconds per 1,000 images of each score. */
    private record Stage(Map<String, Map<String, Double>> auroc, Map<String, Double> secondsPer1000) {
    }

    /** What a stage's scores depend on besides the training: a stage file scored otherwise is not reused. */
    private Map<String, Object> stageSettings(List<String> ood) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("in", in);
        m.put("out", ood);
        m.put("limit", limit);
        m.put("seed", seed);
        m.put("regret_steps", regretSteps);
        m.put("regret_lr", regretLr);
        m.put("encoder_steps", encoderSteps);
        m.put("encoder_lr", encoderLr);
        return m;
    }

    /** Whether a value read from a file equals a current one, as JSON (the current one written and read back). */
    private static boolean same(Object read, Object now) {
        try {
            return read != null && ModelFiles.JSON.valueToTree(read).equals(ModelFiles.JSON.readTree(ModelFiles.JSON.writeValueAsString(now)));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A stage file, if it was scored with the current settings; otherwise an error naming what differs (its model
     * cannot be scored again: the training has moved on). Files written before settings were recorded are reused.
     */
    @SuppressWarnings("unchecked")
    private static Stage readStage(Path f, Map<String, Object> settings) throws java.io.IOException {
        Map<String, Object> json = ModelFiles.JSON.readValue(f.toFile(), Map.class);
        Object read = json.get("settings");
        if (read != null && !same(read, settings)) {
            List<String> diff = new ArrayList<>();
            Map<String, Object> was = (Map<String, Object>) read;
            for (var e : settings.entrySet()) {
                if (!same(was.get(e.getKey()), e.getValue())) {
                    diff.add(e.getKey() + " " + was.get(e.getKey()) + " there, " + e.getValue() + " now");
                }
            }
            throw new IllegalArgumentException(f + " was scored with other settings (" + String.join("; ", diff)
                    + "): give the same options, or another --dir for a new study");
        }
        Map<String, Double> seconds = (Map<String, Double>) json.getOrDefault("seconds_per_1000_images", Map.of());
        return new Stage((Map<String, Map<String, Double>>) json.get("auroc"), seconds);
    }

    /** The four scores (higher = more anomalous) of one set; adds each score's seconds to seconds. */
    private Map<String, double[]> scores(ConvVae vae, ImageSet x, Map<String, Double> seconds) {
        Map<String, double[]> s = new LinkedHashMap<>();
        timed(s, seconds, "likelihood", () -> Units.bitsPerDim(vae.logProb(x), x.dims()));
        timed(s, seconds, "reconstruction", () -> vae.reconstructionError(x));
        timed(s, seconds, "regret-posterior", () -> new LikelihoodRegret(vae, regretSteps, regretLr, Variant.POSTERIOR).regret(x));
        timed(s, seconds, "regret-encoder", () -> new LikelihoodRegret(vae, encoderSteps, encoderLr, Variant.ENCODER).regret(x));
        return s;
    }

    private static void timed(Map<String, double[]> out, Map<String, Double> seconds, String score, Supplier<double[]> fn) {
        long t0 = System.nanoTime();
        out.put(score, fn.get());
        seconds.merge(score, (System.nanoTime() - t0) / 1e9, Double::sum);
    }

    private Stage scoreStage(ConvVae vae, DataResolver r, List<String> ood) throws Exception {
        Map<String, Double> seconds = new LinkedHashMap<>();
        ImageSet inSet = data.load(r, in, "test", vae.shape(), DataSettings.Selection.first(limit));
        long images = inSet.size();
        Map<String, double[]> inScores = scores(vae, inSet, seconds);
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (String o : ood) {
            ImageSet oSet = data.load(r, o, "test", vae.shape(), DataSettings.Selection.first(limit));
            images += oSet.size();
            Map<String, double[]> oScores = scores(vae, oSet, seconds);
            for (String s : SCORES) {
                out.computeIfAbsent(s, k -> new LinkedHashMap<>()).put(o, Metrics.auroc(inScores.get(s), oScores.get(s)));
            }
            logf("  vs %s: %s%n", o, String.join(", ", SCORES.stream()
                    .map(s -> String.format(Locale.ROOT, "%s %.3f", s, out.get(s).get(o))).toList()));
        }
        Map<String, Double> per1000 = new LinkedHashMap<>();
        for (String sc : SCORES) {
            per1000.put(sc, seconds.getOrDefault(sc, 0.0) * 1000 / Math.max(1, images));
        }
        return new Stage(out, per1000);
    }

    /** AUROC and seconds per 1,000 images of each variant, step count and learning rate. */
    private List<Map<String, Object>> sweep(ConvVae vae, DataResolver r, String o) throws Exception {
        ImageSet inSet = data.load(r, in, "test", vae.shape(), DataSettings.Selection.first(sweepLimit));
        ImageSet outSet = data.load(r, o, "test", vae.shape(), DataSettings.Selection.first(sweepLimit));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Variant v : Variant.values()) {
            for (double baseLr : sweepLrs) {
                double lr = v == Variant.ENCODER ? baseLr / 10 : baseLr;
                for (int steps : sweepSteps) {
                    for (int k : sweepSamples) {
                        long t0 = System.nanoTime();
                        LikelihoodRegret lr1 = new LikelihoodRegret(vae, steps, lr, v, k);
                        double[] a = lr1.regret(inSet);
                        double[] b = lr1.regret(outSet);
                        double secs = (System.nanoTime() - t0) / 1e9;
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("variant", v.name().toLowerCase(Locale.ROOT));
                        row.put("steps", steps);
                        row.put("lr", lr);
                        row.put("compared_samples", k);
                        row.put("auroc", Metrics.auroc(a, b));
                        row.put("seconds_per_1000", secs * 1000 / (inSet.size() + outSet.size()));
                        row.put("mean_regret_in", Units.mean(a));
                        row.put("mean_regret_out", Units.mean(b));
                        logf("  sweep %s steps %d lr %.0e compared %s: AUROC %.3f (%.1f s per 1000 images)%n",
                                row.get("variant"), steps, lr, compared(k), (double) row.get("auroc"), (double) row.get("seconds_per_1000"));
                        rows.add(row);
                    }
                }
            }
        }
        return rows;
    }

    private void writeReport(Path file, Map<Double, Stage> stages, List<Map<String, Object>> sweep,
                             List<String> ood) throws java.io.IOException {
        List<ReportData.Section> sections = new ArrayList<>();
        double[] xs = stages.keySet().stream().mapToDouble(Double::doubleValue).toArray();
        List<ReportData.Grid> charts = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        for (String o : ood) {
            Map<String, double[]> ys = new LinkedHashMap<>();
            for (String s : SCORES) {
                ys.put(s, stages.values().stream().mapToDouble(st -> value(st.auroc(), s, o)).toArray());
            }
            charts.add(new ReportData.Grid("AUROC against training minutes: " + in + " vs " + o,
                    Charts.lines("vs " + o, "training minutes", "AUROC", xs, ys)));
        }
        for (var e : stages.entrySet()) {
            for (String s : SCORES) {
                Object secs = e.getValue().secondsPer1000().get(s);
                List<String> row = new ArrayList<>(List.of(label(e.getKey()), s,
                        secs instanceof Number n ? String.format(Locale.ROOT, "%.1f", n.doubleValue()) : "-"));
                for (String o : ood) {
                    row.add(String.format(Locale.ROOT, "%.3f", value(e.getValue().auroc(), s, o)));
                }
                rows.add(row);
            }
        }
        List<String> header = new ArrayList<>(List.of("minutes", "score", "s per 1000 images"));
        header.addAll(ood);
        Set<Integer> aurocCols = new java.util.HashSet<>();
        for (int i = 0; i < ood.size(); i++) {
            aurocCols.add(3 + i);
        }
        sections.add(new ReportData.Section("stages", "AUROC against training time", List.of(String.format(Locale.ROOT,
                "One VAE trained on %s, scored after each stage on %s test images per set. likelihood: -log p(x) by IWAE; "
                        + "regret-posterior: %d Adam steps at %s on each input's posterior mean and log-variance; regret-encoder: "
                        + "%d steps at %s on a copy of the encoder's weights per input.", in, limit == 0 ? "all" : Integer.toString(limit),
                regretSteps, regretLr, encoderSteps, encoderLr)), List.of(new ReportData.Table("stages-table", header, rows, aurocCols)), charts));
        if (!sweep.isEmpty()) {
            List<List<String>> sr = new ArrayList<>();
            for (Map<String, Object> row : sweep) {
                sr.add(List.of(String.valueOf(row.get("variant")), String.valueOf(row.get("steps")),
                        String.format(Locale.ROOT, "%.0e", ((Number) row.get("lr")).doubleValue()),
                        compared(row.get("compared_samples") instanceof Number k ? k.intValue() : 0),
                        String.format(Locale.ROOT, "%.3f", ((Number) row.get("auroc")).doubleValue()),
                        String.format(Locale.ROOT, "%.4f", ((Number) row.get("mean_regret_in")).doubleValue()),
                        String.format(Locale.ROOT, "%.4f", ((Number) row.get("mean_regret_out")).doubleValue()),
                        String.format(Locale.ROOT, "%.1f", ((Number) row.get("seconds_per_1000")).doubleValue())));
            }
            sections.add(new ReportData.Section("sweep", "Regret settings on the last stage's model", List.of(String.format(Locale.ROOT,
                    "%d images of %s against %d of %s. Mean regret in bits/dim.", sweepLimit, in, sweepLimit, ood.get(0))),
                    List.of(new ReportData.Table("sweep-table", List.of("optimised", "steps", "lr", "compared", "AUROC",
                            "mean regret in", "mean regret out", "s per 1000 images"), sr, Set.of(4))), List.of()));
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("stages (minutes)", stages.keySet());
        provenance.put("seed", seed);
        provenance.put("versions", RunFolder.versions());
        HtmlReport.writePage(file, "densitylab regret-study: " + in, "Likelihood regret against training time and its own settings.",
                sections, provenance);
    }

    private static double value(Map<String, Map<String, Double>> stage, String score, String o) {
        Map<String, Double> m = stage.get(score);
        Object v = m == null ? null : m.get(o);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private void logf(String format, Object... args) {
        String s = String.format(Locale.ROOT, format, args);
        log.info(s.endsWith("\n") ? s.substring(0, s.length() - 1) : s);
    }
}
