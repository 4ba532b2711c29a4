package densitylab.report;

import densitylab.eval.MetricSet;
import densitylab.io.AtomicFiles;
import densitylab.nn.Units;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Renders a {@link ReportData} as one self-contained HTML page: inline CSS, every picture inlined as a
 * {@code data:image/png;base64} URI, no scripts and no external references, every string HTML-escaped.
 */
public final class HtmlReport {
    /** AUROC below this is coloured red: the model finds the OOD set less anomalous than the in-distribution set. */
    public static final double AUROC_BAD = 0.5;
    /** AUROC below this (and not below {@link #AUROC_BAD}) is coloured amber. */
    public static final double AUROC_WEAK = 0.8;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String CSS = """
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:1320px;padding:0 16px}
            h1{margin-bottom:4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
            .sub{color:#555;margin-top:0}
            table{border-collapse:collapse;margin:8px 0}
            th,td{border:1px solid #ccc;padding:4px 10px;text-align:left;vertical-align:top}
            th{background:#f2f2f2}
            td.num{text-align:right;font-family:"DejaVu Sans Mono",monospace}
            .bad{background:#f6c6c6}.weak{background:#fbe3a6}.good{background:#c9eccb}
            .swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;border:1px solid #999;vertical-align:middle}
            .legend,.caption{color:#555;font-size:90%}
            .charts{display:flex;flex-wrap:wrap;gap:16px}
            img{max-width:100%}img.chart{border:1px solid #eee;flex:1 1 480px;min-width:0;max-width:640px;height:auto}
            figure{display:inline-block;margin:8px 16px 8px 0}figure img{image-rendering:pixelated}
            figcaption{color:#444;font-size:90%;margin-top:4px}
            .note{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 10px}
            #provenance td:last-child{font-family:"DejaVu Sans Mono",monospace;font-size:90%;word-break:break-all}
            """;

    private HtmlReport() {
    }

    /** Writes the report for data to file atomically (UTF-8), replacing any file there. */
    public static void write(ReportData data, Path file) throws IOException {
        AtomicFiles.writeString(file, render(data));
    }

    /** The report for data as one HTML document. */
    public static String render(ReportData data) {
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(escape(data.title())).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(escape(data.title())).append("</h1>\n<p class=\"sub\">model <b>").append(escape(data.model()))
                .append("</b>, in-distribution set <b>").append(escape(data.inSet()))
                .append("</b>; scores are oriented so that higher = more anomalous, OOD is the positive class.</p>\n");
        metrics(h, data.results());
        bitsPerDim(h, data.bitsPerDim(), data.inSet());
        means(h, data.scores(), data.inSet());
        scores(h, data.scores(), data.inSet());
        data.sections().forEach(x -> section(h, x));
        grids(h, data.grids());
        notes(h, data.notes());
        provenance(h, data.provenance());
        return h.append("</body>\n</html>\n").toString();
    }

    /**
     * A page of sections only (the reproduce report): a heading, a subtitle, the sections in order and the provenance.
     */
    public static String renderPage(String title, String subtitle, List<ReportData.Section> sections, Map<String, Object> provenance) {
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(escape(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(escape(title)).append("</h1>\n<p class=\"sub\">").append(escape(subtitle)).append("</p>\n");
        sections.forEach(x -> section(h, x));
        provenance(h, provenance);
        return h.append("</body>\n</html>\n").toString();
    }

    /** Writes {@link #renderPage} to file atomically. */
    public static void writePage(Path file, String title, String subtitle, List<ReportData.Section> sections,
                                 Map<String, Object> provenance) throws IOException {
        AtomicFiles.writeString(file, renderPage(title, subtitle, sections, provenance));
    }

    private static void section(StringBuilder h, ReportData.Section s) {
        h.append("<h2 id=\"").append(s.id()).append("\">").append(escape(s.title())).append("</h2>\n");
        s.paragraphs().forEach(p -> h.append("<p>").append(escape(p)).append("</p>\n"));
        for (ReportData.Table t : s.tables()) {
            h.append("<table id=\"").append(escape(t.id())).append("\">\n<thead><tr>");
            t.header().forEach(c -> h.append("<th>").append(escape(c)).append("</th>"));
            h.append("</tr></thead>\n<tbody>\n");
            for (List<String> row : t.rows()) {
                h.append("<tr>");
                for (int i = 0; i < row.size(); i++) {
                    String c = row.get(i);
                    Double v = number(c);
                    if (v == null) {
                        h.append(cell(c));
                    } else {
                        String cls = t.aurocColumns().contains(i) ? aurocClass(v) : "";
                        h.append("<td class=\"num").append(cls.isEmpty() ? "" : " " + cls).append("\">").append(escape(c)).append("</td>");
                    }
                }
                h.append("</tr>\n");
            }
            h.append("</tbody>\n</table>\n");
        }
        if (!s.pictures().isEmpty()) {
            h.append("<div class=\"charts\">\n");
            for (ReportData.Grid g : s.pictures()) {
                h.append("<figure>");
                image(h, g.image().getWidth() >= Charts.WIDTH ? "chart" : "grid", g.caption(), g.image());
                h.append("<figcaption>").append(escape(g.caption())).append("</figcaption></figure>\n");
            }
            h.append("</div>\n");
        }
    }

    /** A number, optionally followed by a range, interval or alternative: "0.912", "0.08-0.26", "0.998 / 0.967", "0.9 [0.8, 1]". */
    private static final java.util.regex.Pattern NUMERIC =
            java.util.regex.Pattern.compile("([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)(?:\\s*[/\\[(].*|-\\d.*)?");

    /** The number a numeric cell starts with, or null for a text cell (such as "5 VAEs (Choi 2018)"). */
    private static Double number(String cell) {
        java.util.regex.Matcher m = NUMERIC.matcher(cell.strip());
        return m.matches() ? Double.valueOf(m.group(1)) : null;
    }

    /** The text with &amp;, &lt;, &gt;, &quot; and &#39; replaced by character references; null becomes "null". */
    public static String escape(String text) {
        String s = String.valueOf(text);
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static void metrics(StringBuilder h, List<ReportData.Row> rows) {
        h.append("<h2>OOD detection</h2>\n");
        if (rows.isEmpty()) {
            h.append("<p>No OOD results.</p>\n");
            return;
        }
        h.append("<table id=\"metrics\">\n<thead><tr><th>score</th><th>OOD set</th><th>AUROC</th><th>AUPR-in</th>"
                + "<th>AUPR-out</th><th>FPR@95TPR</th><th>detection error</th></tr></thead>\n<tbody>\n");
        for (ReportData.Row r : rows) {
            MetricSet m = r.metrics();
            h.append("<tr>").append(cell(r.score())).append(cell(r.out()))
                    .append("<td class=\"num ").append(aurocClass(m.auroc())).append("\">").append(fmt(m.auroc())).append("</td>")
                    .append(num(m.auprIn())).append(num(m.auprOut())).append(num(m.fpr95())).append(num(m.detectionError()))
                    .append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n<p class=\"legend\">AUROC:")
                .append("<span class=\"swatch bad\"></span>red &lt; ").append(fmt(AUROC_BAD))
                .append(" means the model prefers the OOD set (finds it less anomalous than the in-distribution set);")
                .append("<span class=\"swatch weak\"></span>amber &lt; ").append(fmt(AUROC_WEAK)).append(" is weak;")
                .append("<span class=\"swatch good\"></span>green is good. ")
                .append("FPR@95TPR: fraction of OOD inputs accepted when 95% of in-distribution inputs are.</p>\n");
    }

    private static String aurocClass(double auroc) {
        if (Double.isNaN(auroc)) {
            return "";
        }
        if (auroc < AUROC_BAD) {
            return "bad";
        }
        return auroc < AUROC_WEAK ? "weak" : "good";
    }

    private static void bitsPerDim(StringBuilder h, Map<String, Double> bpd, String inSet) {
        h.append("<h2>Bits per dimension</h2>\n");
        if (bpd.isEmpty()) {
            h.append("<p>No bits/dim: this model has no likelihood.</p>\n");
            return;
        }
        h.append("<table id=\"bpd\">\n<thead><tr><th>set</th><th>mean bits/dim</th></tr></thead>\n<tbody>\n");
        bpd.forEach((set, v) -> h.append("<tr>")
                .append(cell(set.equals(inSet) ? set + " (in-distribution)" : set))
                .append(num(v == null ? Double.NaN : v)).append("</tr>\n"));
        h.append("</tbody>\n</table>\n");
    }

    /** One row per set, one column per score: the mean score (bits/dim for likelihood, elbo, iwae). */
    private static void means(StringBuilder h, Map<String, Map<String, double[]>> scores, String inSet) {
        if (scores.isEmpty()) {
            return;
        }
        h.append("<h2>Mean scores</h2>\n<table id=\"means\">\n<thead><tr><th>set</th>");
        scores.keySet().forEach(k -> h.append("<th>").append(escape(k)).append("</th>"));
        h.append("</tr></thead>\n<tbody>\n");
        for (String set : scores.values().iterator().next().keySet()) {
            h.append("<tr>").append(cell(set.equals(inSet) ? set + " (in-distribution)" : set));
            for (Map<String, double[]> sets : scores.values()) {
                double[] v = sets.get(set);
                h.append(num(v == null ? Double.NaN : Units.mean(v)));
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n<p class=\"legend\">likelihood, typicality, elbo, iwae and likelihood-regret are in bits/dim; "
                + "reconstruction is a mean squared error per pixel on the 0..1 scale.</p>\n");
    }

    private static void scores(StringBuilder h, Map<String, Map<String, double[]>> scores, String inSet) {
        for (Map.Entry<String, Map<String, double[]>> e : scores.entrySet()) {
            String score = e.getKey();
            Map<String, double[]> sets = e.getValue();
            h.append("<h2>Score: ").append(escape(score)).append("</h2>\n<div class=\"charts\">\n");
            image(h, "chart", "histogram of " + score + " per set", Charts.histogram(score, inSet, sets));
            image(h, "chart", "ROC curves of " + score + " against " + inSet, Charts.roc(score, inSet, sets));
            h.append("</div>\n");
            StringJoiner dropped = new StringJoiner(", ");
            sets.forEach((set, v) -> {
                int n = Charts.nonFinite(v);
                if (n > 0) {
                    dropped.add(set + ": " + n);
                }
            });
            if (dropped.length() > 0) {
                h.append("<p class=\"caption\">The histogram leaves out non-finite scores (")
                        .append(escape(dropped.toString())).append("); the ROC curves and metrics keep infinities.</p>\n");
            }
        }
    }

    private static void grids(StringBuilder h, List<ReportData.Grid> grids) {
        if (grids.isEmpty()) {
            return;
        }
        h.append("<h2>Samples and data</h2>\n");
        for (ReportData.Grid g : grids) {
            h.append("<figure>");
            image(h, "grid", g.caption(), g.image());
            h.append("<figcaption>").append(escape(g.caption())).append("</figcaption></figure>\n");
        }
    }

    private static void notes(StringBuilder h, List<String> notes) {
        if (notes.isEmpty()) {
            return;
        }
        h.append("<h2>Notes</h2>\n");
        notes.forEach(n -> h.append("<p class=\"note\">").append(escape(n)).append("</p>\n"));
    }

    private static void provenance(StringBuilder h, Map<String, Object> provenance) {
        h.append("<h2>Provenance</h2>\n<table id=\"provenance\">\n<tbody>\n");
        provenance.forEach((k, v) -> h.append("<tr><th>").append(escape(k)).append("</th>").append(cell(valueText(v))).append("</tr>\n"));
        h.append("</tbody>\n</table>\n");
    }

    /** Maps, collections and arrays as compact JSON; anything else as String.valueOf. */
    static String valueText(Object v) {
        if (v instanceof Map<?, ?> || v instanceof Collection<?> || (v != null && v.getClass().isArray())) {
            try {
                return JSON.writeValueAsString(v);
            } catch (JsonProcessingException e) {
                return String.valueOf(v);
            }
        }
        return String.valueOf(v);
    }

    private static void image(StringBuilder h, String cssClass, String alt, BufferedImage img) {
        h.append("<img class=\"").append(cssClass).append("\" width=\"").append(img.getWidth())
                .append("\" height=\"").append(img.getHeight()).append("\" alt=\"").append(escape(alt))
                .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(ImageGrid.png(img)))
                .append("\">\n");
    }

    private static String cell(String text) {
        return "<td>" + escape(text) + "</td>";
    }

    private static String num(double v) {
        return "<td class=\"num\">" + fmt(v) + "</td>";
    }

    /** Three decimals, locale-independent. */
    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
