package densitylab.serve;

import densitylab.detect.Calibration;
import densitylab.detect.OodDetector;
import densitylab.nn.ModelFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static densitylab.report.HtmlReport.escape;

/** The service's one page: a drop zone per detector and the runs under --runs; plain HTML, CSS and script, nothing external. */
final class WebPage {
    private static final String CSS = resource("page.css");
    private static final String SCRIPT = resource("page.js");

    private WebPage() {
    }

    static String render(String version, Collection<ServedDetector> detectors, List<RunIndex.Run> runs, boolean hasRunsFolder) {
        StringBuilder b = new StringBuilder(8192);
        b.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">")
                .append("<title>densitylab serve</title><style>").append(CSS).append("</style></head><body>\n")
                .append("<header><h1>densitylab</h1><p>version ").append(escape(version)).append(" &middot; ")
                .append(detectors.size()).append(detectors.size() == 1 ? " detector" : " detectors").append(" &middot; ")
                .append(runs.size()).append(runs.size() == 1 ? " run" : " runs").append("</p></header>\n");
        b.append("<section id=\"detectors\"><h2>Detectors</h2>\n");
        if (detectors.isEmpty()) {
            b.append("<p class=\"none\">No detector loaded (serve --detector B.zip).</p>\n");
        }
        for (ServedDetector s : detectors) {
            OodDetector d = s.detector();
            Calibration c = d.calibration();
            b.append("<article class=\"detector\" id=\"detector-").append(escape(s.name())).append("\" data-name=\"").append(escape(s.name()))
                    .append("\"><h3>").append(escape(s.name())).append("</h3><p class=\"meta\">").append(escape(d.scoreName()))
                    .append(" of a ").append(escape(d.model().kind())).append("; threshold ").append(num(c.threshold()))
                    .append(" keeps ").append(String.format(Locale.ROOT, "%.4f", c.achievedTpr())).append(" of ").append(c.n())
                    .append(" validation images (").append(escape(String.valueOf(c.data()))).append("); images ")
                    .append(d.preprocessing().channels()).append('x').append(d.preprocessing().height()).append('x')
                    .append(d.preprocessing().width()).append(", other sizes: ").append(d.preprocessing().resize().name().toLowerCase(Locale.ROOT))
                    .append("</p>\n<label class=\"drop\">Drop an image here, or choose one: <input type=\"file\" accept=\"image/*\"></label>")
                    .append("<canvas class=\"calibration\" role=\"img\" aria-label=\"validation scores and threshold\"></canvas>")
                    .append("<p class=\"verdict\" aria-live=\"polite\"></p><script type=\"application/json\" class=\"calibration-data\">")
                    .append(json(c)).append("</script></article>\n");
        }
        b.append("</section>\n<section id=\"runs\"><h2>Runs</h2>\n");
        if (!hasRunsFolder) {
            b.append("<p class=\"none\">No runs folder given (serve --runs DIR).</p>\n");
        } else if (runs.isEmpty()) {
            b.append("<p class=\"none\">No runs in the runs folder yet.</p>\n");
        } else {
            b.append("<table id=\"runs-table\"><tr><th>run</th><th>model</th><th>data</th><th>bits/dim</th><th>date</th>")
                    .append("<th>best AUROC</th><th>pages</th></tr>\n");
            for (RunIndex.Run r : runs) {
                String href = "runs/" + (r.path().isEmpty() ? "" : escapePath(r.path()) + "/");
                b.append("<tr><td>").append(r.path().isEmpty() ? "." : escape(r.path())).append("</td><td>").append(opt(r.model()))
                        .append("</td><td>").append(opt(r.data())).append("</td><td class=\"num\">")
                        .append(r.bpd() == null ? "<span class=\"none\">-</span>" : String.format(Locale.ROOT, "%.3f", r.bpd()))
                        .append("</td><td>").append(escape(r.date())).append("</td><td>");
                if (r.bestAuroc() == null) {
                    b.append("<span class=\"none\">not evaluated</span>");
                } else {
                    b.append(String.format(Locale.ROOT, "%.3f", r.bestAuroc())).append(" <span class=\"none\">(")
                            .append(escape(r.bestScore())).append(" vs ").append(escape(r.bestOut())).append(")</span>");
                }
                b.append("</td><td>");
                if (r.report()) {
                    b.append("<a href=\"").append(href).append("report.html\">report</a> ");
                }
                if (r.audit()) {
                    b.append("<a href=\"").append(href).append("audit.html\">audit</a>");
                }
                b.append("</td></tr>\n");
            }
            b.append("</table>\n");
        }
        b.append("</section>\n<script>").append(SCRIPT).append("</script>\n</body></html>\n");
        return b.toString();
    }

    private static String json(Calibration c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold", c.threshold());
        m.put("n", c.n());
        m.put("quantiles", c.quantiles());
        m.put("histogram", c.histogram());
        try {
            // inside <script>: no "</" may end the element early
            return ModelFiles.JSON.writeValueAsString(m).replace("</", "<\\/");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    private static String opt(String s) {
        return s == null ? "<span class=\"none\">-</span>" : escape(s);
    }

    private static String escapePath(String relative) {
        StringBuilder b = new StringBuilder();
        for (String part : relative.split("/")) {
            if (!b.isEmpty()) {
                b.append('/');
            }
            b.append(java.net.URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return escape(b.toString());
    }

    private static String resource(String name) {
        try (InputStream in = WebPage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("densitylab-serve's jar lacks its resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
