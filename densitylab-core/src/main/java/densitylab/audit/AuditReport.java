package densitylab.audit;

import densitylab.data.ImageSet;
import densitylab.eval.Bootstrap;
import densitylab.io.AtomicFiles;
import densitylab.nn.ModelFiles;
import densitylab.report.Charts;
import densitylab.report.HtmlReport;
import densitylab.report.ImageGrid;
import densitylab.report.ReportData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes an {@link Audit.Result} as a self-contained {@code audit.html}, an {@code audit.json} and terminal lines. */
public final class AuditReport {
    private AuditReport() {
    }

    /** The verdicts and distribution-fit numbers, one line each, for the terminal. */
    public static List<String> summary(Audit.Result r) {
        List<String> lines = new ArrayList<>();
        for (Audit.SpaceAudit s : r.spaces()) {
            lines.add(s.memorization().verdict());
        }
        if (r.coverage() != null) {
            lines.add("coverage: " + r.coverage().summary() + "; held-out images: " + r.testCoverage().covered() + " classes, KL "
                    + fmt(r.testCoverage().kl()));
        }
        lines.add(String.format(Locale.ROOT, "%-22s %12s %12s", "distribution fit (" + r.semanticSpace() + ")", "samples", "held-out"));
        lines.add(String.format(Locale.ROOT, "%-22s %12s %12s", "Frechet distance", fmt(r.frechet().samples()), fmt(r.frechet().heldOut())));
        lines.add(String.format(Locale.ROOT, "%-22s %12s %12s", "precision", fmt(r.precisionRecall().samples().precision()),
                fmt(r.precisionRecall().heldOut().precision())));
        lines.add(String.format(Locale.ROOT, "%-22s %12s %12s", "recall", fmt(r.precisionRecall().samples().recall()),
                fmt(r.precisionRecall().heldOut().recall())));
        lines.add(String.format(Locale.ROOT, "%-22s %12s %12s", "birthday support", support(r.birthday().samples()),
                support(r.birthday().heldOut())));
        return lines;
    }

    private static String support(BirthdayTest b) {
        return (b.isLowerBound() ? ">" : "~") + String.format(Locale.ROOT, "%.3g", b.support());
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** Writes RUN/audit.html and RUN/audit.json, each atomically. */
    public static void write(Audit.Result r, Path html, Path json, Map<String, Object> provenance) throws IOException {
        write(r, html, json, provenance, List.of());
    }

    /** {@link #write(Audit.Result, Path, Path, Map)} with the classes' names in label order (may be empty). */
    public static void write(Audit.Result r, Path html, Path json, Map<String, Object> provenance, List<String> classNames)
            throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", r.model());
        doc.put("provenance", provenance);
        doc.put("result", json(r));
        AtomicFiles.write(json, ModelFiles.JSON.writeValueAsBytes(doc));
        HtmlReport.writePage(html, "Sample audit: " + r.model(), subtitle(r), sections(r, classNames), provenance);
    }

    private static String subtitle(Audit.Result r) {
        return String.format(Locale.ROOT, "%d samples against %d training images and %d held-out images (two halves of %d for "
                        + "the distribution fit); %s", r.samples().size(), r.trainImages(), r.spaces().get(0).memorization().test().count(),
                r.heldOutPerHalf(),
                r.memorized() ? "MEMORIZATION found" : "no sign of memorization");
    }

    /** audit.json's result: every number, no pictures. */
    static Map<String, Object> json(Audit.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("settings", r.settings());
        m.put("samples", r.samples().size());
        m.put("train_images", r.trainImages());
        m.put("held_out_reference", r.spaces().get(0).memorization().test().count());
        m.put("held_out_per_half", r.heldOutPerHalf());
        m.put("memorized", r.memorized());
        Map<String, Object> spaces = new LinkedHashMap<>();
        for (Audit.SpaceAudit s : r.spaces()) {
            Memorization mem = s.memorization();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("description", s.description());
            e.put("metric", s.metric().name());
            e.put("memorized", mem.memorized());
            e.put("by_predicted_class", mem.byGroup());
            e.put("threshold", Memorization.THRESHOLD);
            e.put("fraction_below_test_p1", mem.fractionBelowP1());
            e.put("test_p1", mem.testP1());
            e.put("median_ratio", mem.medianRatio());
            e.put("sample_nearest_quantiles", quantiles(mem.samples().nearest()));
            e.put("test_nearest_quantiles", quantiles(mem.test().nearest()));
            e.put("verdict", mem.verdict());
            spaces.put(s.name(), e);
        }
        m.put("spaces", spaces);
        if (r.coverage() != null) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("covered", r.coverage().covered());
            c.put("classes", r.coverage().trainClasses());
            c.put("kl_train_samples", r.coverage().kl());
            c.put("train_share", r.coverage().trainShare());
            c.put("sample_share", r.coverage().sampleShare());
            c.put("held_out_share", r.testCoverage().sampleShare());
            c.put("held_out_covered", r.testCoverage().covered());
            c.put("held_out_kl", r.testCoverage().kl());
            c.put("classifier_accuracy", r.classifierAccuracy());
            m.put("coverage", c);
        }
        Map<String, Object> fit = new LinkedHashMap<>();
        fit.put("space", r.semanticSpace());
        fit.put("frechet", Map.of("samples", r.frechet().samples(), "held_out", r.frechet().heldOut()));
        fit.put("precision", Map.of("samples", r.precisionRecall().samples().precision(), "held_out",
                r.precisionRecall().heldOut().precision()));
        fit.put("recall", Map.of("samples", r.precisionRecall().samples().recall(), "held_out",
                r.precisionRecall().heldOut().recall()));
        fit.put("k", r.precisionRecall().samples().k());
        m.put("distribution_fit", fit);
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("samples", birthday(r.birthday().samples()));
        b.put("held_out", birthday(r.birthday().heldOut()));
        m.put("birthday", b);
        m.put("seconds", r.seconds());
        m.put("peak_resident_bytes", r.peakResidentBytes());
        return m;
    }

    private static Map<String, Object> birthday(BirthdayTest t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold", t.threshold());
        m.put("batch_size", t.batchSize());
        m.put("batches", t.batches());
        m.put("pairs", t.pairs());
        m.put("batches_with_duplicate", t.batchesWithDuplicate());
        m.put("support", t.support());
        m.put("support_is_lower_bound", t.isLowerBound());
        return m;
    }

    private static Map<String, Double> quantiles(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        Map<String, Double> q = new LinkedHashMap<>();
        for (double p : new double[] {0, 0.01, 0.1, 0.5, 0.9, 1}) {
            q.put("p" + (int) Math.round(p * 100), Bootstrap.quantile(s, p));
        }
        return q;
    }

    private static List<ReportData.Section> sections(Audit.Result r, List<String> classNames) {
        List<ReportData.Section> out = new ArrayList<>();
        out.add(new ReportData.Section("verdict", "Verdict", summaryParagraphs(r), List.of(fitTable(r)), List.of()));
        out.add(new ReportData.Section("samples", "Samples", List.of("The first 100 of the " + r.samples().size() + " samples."),
                List.of(), List.of(new ReportData.Grid("samples from the " + r.model(), grid(r.samples(), 100, 10)))));
        for (Audit.SpaceAudit s : r.spaces()) {
            out.add(memorizationSection(r, s));
        }
        if (r.coverage() != null) {
            out.add(coverageSection(r, classNames));
        }
        out.add(birthdaySection(r));
        out.add(interpolationSection(r));
        List<List<String>> rows = new ArrayList<>();
        r.seconds().forEach((k, v) -> rows.add(List.of(k, String.format(Locale.ROOT, "%.1f", v))));
        List<String> timing = new ArrayList<>();
        if (r.peakResidentBytes() > 0) {
            timing.add(String.format(Locale.ROOT, "Peak resident memory of the process so far: %.2f GB.", r.peakResidentBytes() / 1e9));
        }
        out.add(new ReportData.Section("timing", "Timing", timing,
                List.of(new ReportData.Table("timing-table", List.of("stage", "seconds"), rows, java.util.Set.of())), List.of()));
        return out;
    }

    private static List<String> summaryParagraphs(Audit.Result r) {
        List<String> p = new ArrayList<>();
        for (Audit.SpaceAudit s : r.spaces()) {
            p.add(s.memorization().verdict() + ".");
        }
        if (r.coverage() != null) {
            p.add("Mode coverage: " + r.coverage().summary() + ". The held-out images under the same classifier: "
                    + r.testCoverage().covered() + " classes, KL " + fmt(r.testCoverage().kl()) + " (the classifier's own errors).");
        }
        p.add("Birthday test (" + r.semanticSpace() + " space): " + r.birthday().samples().summary() + ". Held-out images: "
                + r.birthday().heldOut().summary() + ". The threshold is the distance within which only 1% of held-out "
                + "images have a training image.");
        return p;
    }

    private static ReportData.Table fitTable(Audit.Result r) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("Frechet distance", fmt(r.frechet().samples()), fmt(r.frechet().heldOut()),
                "lower is better; held-out B against held-out A is the floor at this sample size"));
        rows.add(List.of("precision", fmt(r.precisionRecall().samples().precision()), fmt(r.precisionRecall().heldOut().precision()),
                "share of samples inside the held-out images' k-NN manifold (realism)"));
        rows.add(List.of("recall", fmt(r.precisionRecall().samples().recall()), fmt(r.precisionRecall().heldOut().recall()),
                "share of held-out images inside the samples' k-NN manifold (variety)"));
        rows.add(List.of("birthday support", support(r.birthday().samples()), support(r.birthday().heldOut()),
                "images the distribution holds, estimated from near-duplicate pairs"));
        return new ReportData.Table("fit", List.of("distribution fit (" + r.semanticSpace() + " space)", "samples",
                "held-out", "meaning"), rows, java.util.Set.of());
    }

    private static ReportData.Section memorizationSection(Audit.Result r, Audit.SpaceAudit s) {
        Memorization m = s.memorization();
        Map<String, double[]> sets = new LinkedHashMap<>();
        sets.put("held-out images", m.test().nearest());
        sets.put("samples", m.samples().nearest());
        List<String> text = List.of("Features: " + s.description() + ".", m.verdict() + ".",
                "Each row: a sample, then its " + m.samples().k() + " nearest training images.");
        return new ReportData.Section("memorization-" + s.name(), "Nearest training images (" + s.name() + " space)", text,
                List.of(), List.of(
                        new ReportData.Grid("distance to the nearest training image", Charts.histogram(
                                "nearest training image (" + s.name() + ")", "distance (" + s.metric() + ")", "held-out images", sets)),
                        new ReportData.Grid("samples and their nearest training images (" + s.name() + ")",
                                grid(s.neighbours(), s.neighbours().size(), m.samples().k() + 1))));
    }

    private static ReportData.Section coverageSection(Audit.Result r, List<String> classNames) {
        Coverage c = r.coverage();
        List<List<String>> rows = new ArrayList<>();
        for (int k = 0; k < c.trainShare().length; k++) {
            boolean covered = c.trainShare()[k] > 0 && c.sampleShare()[k] >= Coverage.COVERED * c.trainShare()[k];
            rows.add(List.of(k < classNames.size() ? k + " " + classNames.get(k) : Integer.toString(k), pct(c.trainShare()[k]), pct(c.sampleShare()[k]), pct(r.testCoverage().sampleShare()[k]),
                    covered ? "yes" : "NO"));
        }
        double[] xs = new double[c.trainShare().length];
        for (int k = 0; k < xs.length; k++) {
            xs[k] = k;
        }
        Map<String, double[]> ys = new LinkedHashMap<>();
        ys.put("reference: training labels", c.trainShare());
        ys.put("samples (predicted)", c.sampleShare());
        ys.put("held-out images (predicted)", r.testCoverage().sampleShare());
        String acc = Double.isNaN(r.classifierAccuracy()) ? "" : String.format(Locale.ROOT, " (held-out accuracy %.3f)", r.classifierAccuracy());
        return new ReportData.Section("coverage", "Mode coverage", List.of(
                "Classes predicted by the audit's classifier" + acc + " for the samples, against the training set's labels.",
                c.summary() + "."),
                List.of(new ReportData.Table("coverage-table", List.of("class", "training", "samples", "held-out", "covered"), rows,
                        java.util.Set.of())),
                List.of(new ReportData.Grid("class shares", Charts.lines("class shares", "class", "share", xs, ys))));
    }

    private static ReportData.Section birthdaySection(Audit.Result r) {
        List<ReportData.Grid> pictures = new ArrayList<>();
        if (r.closestPairs().size() > 0) {
            pictures.add(new ReportData.Grid("the closest pairs among the samples (two per row)", grid(r.closestPairs(), r.closestPairs().size(), 2)));
        }
        return new ReportData.Section("birthday", "Birthday test", List.of(
                "Samples: " + r.birthday().samples().summary() + ".",
                "Held-out images: " + r.birthday().heldOut().summary() + ".",
                "Arora and Zhang (2017): if batches of s samples hold a near-duplicate more often than not, the support is "
                        + "about s^2 images or fewer; counting pairs gives the estimate batches x s(s-1)/2 / pairs."),
                List.of(), pictures);
    }

    private static ReportData.Section interpolationSection(Audit.Result r) {
        List<ReportData.Grid> pictures = new ArrayList<>();
        int steps = r.settings().interpolationSteps();
        if (r.latent() != null) {
            pictures.add(new ReportData.Grid("straight lines in the latent space", grid(r.latent(), r.latent().size(), steps)));
        }
        pictures.add(new ReportData.Grid(r.latent() != null ? "straight lines in pixel space between the same end points"
                : "straight lines in pixel space between samples", grid(r.pixel(), r.pixel().size(), steps)));
        return new ReportData.Section("interpolations", "Interpolations", List.of(r.latent() != null
                ? "Each row runs from one latent vector's image to another's. Images in between that look like data, changing "
                + "smoothly, are what a model of the data gives; the pixel cross-fade below is what blending two images gives."
                : "This model has no latent space; pixel-space cross-fades between samples are shown for reference."), List.of(), pictures);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static java.awt.image.BufferedImage grid(ImageSet set, int count, int cols) {
        return ImageGrid.render(set, count, cols, set.height() < 48 ? 2 : 1);
    }
}
