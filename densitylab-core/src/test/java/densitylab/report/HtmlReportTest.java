package densitylab.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import densitylab.data.ImageSet;
import densitylab.eval.Metrics;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks the HTML report: self-contained, real inlined pictures, escaping, formatting and colour coding. */
class HtmlReportTest {

    /** An OOD set name that must come out escaped. */
    static final String NASTY = "<b>&x";
    static final String NOTE = "Warning: <script>alert('x')</script> & \"quotes\"";

    private static final Pattern DATA_PNG = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    @TempDir
    static Path dir;

    private static ReportData data;
    private static String html;

    @BeforeAll
    static void writeReport() throws IOException {
        data = sample();
        HtmlReport.write(data, dir.resolve("report.html"));
        html = Files.readString(dir.resolve("report.html"));
    }

    /**
     * A seeded report: in ~ N(0,1), "near" ~ N(1,1) with one +Inf, "far" ~ N(3,1), NASTY all equal, under a score
     * "nll" and its negation (which makes "far" red); two random image grids, notes and nested provenance.
     */
    static ReportData sample() {
        Random r = new Random(42);
        Map<String, double[]> nll = new LinkedHashMap<>();
        nll.put("train", gaussian(r, 500, 0.0));
        double[] near = gaussian(r, 300, 1.0);
        near[7] = Double.POSITIVE_INFINITY;
        nll.put("near", near);
        nll.put("far", gaussian(r, 200, 3.0));
        double[] constant = new double[50];
        java.util.Arrays.fill(constant, 0.25);
        nll.put(NASTY, constant);
        Map<String, double[]> negated = new LinkedHashMap<>();
        nll.forEach((set, v) -> negated.put(set, java.util.Arrays.stream(v).map(x -> -x).toArray()));
        Map<String, Map<String, double[]>> scores = new LinkedHashMap<>();
        scores.put("nll", nll);
        scores.put("-nll", negated);

        List<ReportData.Row> rows = new ArrayList<>();
        scores.forEach((score, sets) -> sets.forEach((set, v) -> {
            if (!set.equals("train")) {
                rows.add(new ReportData.Row(score, set, Metrics.evaluate(sets.get("train"), v)));
            }
        }));
        Map<String, Double> bpd = new LinkedHashMap<>();
        bpd.put("train", 3.1234);
        bpd.put("near", 2.5);
        bpd.put(NASTY, 4.0);
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("seed", 42);
        provenance.put("config", Map.of("lr", 0.001));
        provenance.put("versions", List.of("java 17", "djl 0.32.0"));
        provenance.put("sha256 train", "ab12");
        List<ReportData.Grid> grids = List.of(
                new ReportData.Grid("samples from the model", ImageGrid.render(randomImages(r, "samples", 1, 20), 20, 10, 2)),
                new ReportData.Grid("data: " + NASTY, ImageGrid.render(randomImages(r, NASTY, 3, 12), 12, 6, 2)));
        return new ReportData("densitylab test report", "train", "glow-tiny", provenance, bpd, rows, scores, grids,
                List.of(NOTE, "second note"));
    }

    private static double[] gaussian(Random r, int n, double mean) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = mean + r.nextGaussian();
        }
        return v;
    }

    private static ImageSet randomImages(Random r, String name, int channels, int n) {
        byte[] px = new byte[n * channels * 16 * 16];
        r.nextBytes(px);
        return ImageSet.of(name, channels, 16, 16, px, null);
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** Number of distinct RGB values in a picture. */
    static int distinctColours(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                colours.add(img.getRGB(x, y) & 0xffffff);
            }
        }
        return colours.size();
    }

    /** The HTML of the table with the given id. */
    static String table(String page, String id) {
        int from = page.indexOf("<table id=\"" + id + "\">");
        assertThat(from).as("table #%s", id).isNotNegative();
        return page.substring(from, page.indexOf("</table>", from));
    }

    @Test
    void sectionTablesAlignNumbersColourAurocColumnsAndEscapeText() {
        ReportData.Table t = new ReportData.Table("t", List.of("model", "AUROC", "published", "source"), List.of(
                List.of("glow<1>", "0.055", "0.08-0.26", "5 VAEs (Choi 2018)"),
                List.of("gmm", "0.912 [0.90, 0.93]", "0.998 / 0.967", "x")), Set.of(1));
        String html = HtmlReport.renderPage("T", "sub", List.of(new ReportData.Section("s-1", "Section", List.of("p & q"),
                List.of(t), List.of())), Map.of("k", "v"));
        assertThat(html).contains("<td>glow&lt;1&gt;</td>", "<td class=\"num bad\">0.055</td>", "<td class=\"num\">0.08-0.26</td>",
                "<td>5 VAEs (Choi 2018)</td>", "<td class=\"num good\">0.912 [0.90, 0.93]</td>", "<td class=\"num\">0.998 / 0.967</td>",
                "<p>p &amp; q</p>", "id=\"s-1\"");
        assertThatThrownBy(() -> new ReportData.Section("bad id", "x", List.of(), List.of(), List.of())).hasMessageContaining("id");
        assertThatThrownBy(() -> new ReportData.Table("t", List.of("a"), List.of(List.of("1", "2")), Set.of()))
                .hasMessageContaining("2 cells");
    }

    @Test
    void isSelfContained() {
        // Base64 text may spell anything ("http" in some case mix), so look at the page without the picture data.
        String lower = DATA_PNG.matcher(html).replaceAll("src=\"data:\"").toLowerCase(Locale.ROOT);
        assertThat(lower).startsWith("<!doctype html>").doesNotContain("http", "<script", "url(", "href", "@import",
                "<link", "<iframe", "<object", "file:");
        Matcher src = Pattern.compile("src=\"([^\"]*)\"").matcher(html);
        int n = 0;
        while (src.find()) {
            assertThat(src.group(1)).startsWith("data:image/png;base64,");
            n++;
        }
        assertThat(n).isEqualTo(2 * data.scores().size() + data.grids().size());
    }

    @Test
    void everyInlinedPictureIsARealPicture() throws IOException {
        Matcher m = DATA_PNG.matcher(html);
        List<BufferedImage> images = new ArrayList<>();
        while (m.find()) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertThat(img).as("decodable PNG").isNotNull();
            assertThat(distinctColours(img)).as("colours in a %dx%d picture", img.getWidth(), img.getHeight())
                    .isGreaterThan(10);
            images.add(img);
        }
        assertThat(images).hasSize(2 * data.scores().size() + data.grids().size());
        assertThat(images.subList(0, 4)).allSatisfy(img -> {
            assertThat(img.getWidth()).isEqualTo(Charts.WIDTH);
            assertThat(img.getHeight()).isEqualTo(Charts.HEIGHT);
        });
        assertThat(html).contains("<img class=\"chart\"").contains("<figure>").contains("<figcaption>samples from the model</figcaption>");
    }

    @Test
    void escapesEveryString() {
        assertThat(html).doesNotContain(NASTY).doesNotContain("<script")
                .contains("&lt;b&gt;&amp;x")
                .contains("Warning: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;")
                .contains("<figcaption>data: &lt;b&gt;&amp;x</figcaption>");
        assertThat(table(html, "metrics")).contains("<td>&lt;b&gt;&amp;x</td>");
        assertThat(HtmlReport.escape("a<b>&\"'")).isEqualTo("a&lt;b&gt;&amp;&quot;&#39;");
    }

    @Test
    void metricTableShowsEveryRowWithThreeDecimalsAndColours() {
        String metrics = table(html, "metrics");
        assertThat(metrics).contains("<th>score</th><th>OOD set</th><th>AUROC</th><th>AUPR-in</th><th>AUPR-out</th>"
                + "<th>FPR@95TPR</th><th>detection error</th>");
        String[] rows = metrics.split("<tr>");
        List<String> body = List.of(rows).subList(2, rows.length); // [0] before the first row, [1] the header
        assertThat(body).hasSize(data.results().size());
        Set<String> colours = new HashSet<>();
        for (int i = 0; i < body.size(); i++) {
            ReportData.Row row = data.results().get(i);
            var m = row.metrics();
            String colour = m.auroc() < 0.5 ? "bad" : m.auroc() < 0.8 ? "weak" : "good";
            colours.add(colour);
            assertThat(body.get(i)).contains("<td>" + HtmlReport.escape(row.score()) + "</td>")
                    .contains("<td class=\"num " + colour + "\">" + fmt(m.auroc()) + "</td>")
                    .contains(Stream.of(m.auprIn(), m.auprOut(), m.fpr95(), m.detectionError())
                            .map(v -> "<td class=\"num\">" + fmt(v) + "</td>").toList());
        }
        assertThat(colours).as("the sample covers all three colours").containsExactlyInAnyOrder("bad", "weak", "good");
        assertThat(html).contains("means the model prefers the OOD set");
    }

    @Test
    void bitsPerDimAndProvenanceTables() {
        assertThat(table(html, "bpd")).contains("<td>train (in-distribution)</td><td class=\"num\">3.123</td>")
                .contains("<td class=\"num\">2.500</td>").contains("<td>&lt;b&gt;&amp;x</td><td class=\"num\">4.000</td>");
        assertThat(table(html, "provenance")).contains("<th>seed</th><td>42</td>")
                .contains("<td>{&quot;lr&quot;:0.001}</td>")
                .contains("<td>[&quot;java 17&quot;,&quot;djl 0.32.0&quot;]</td>");
        assertThat(html).contains("near: 1").contains("The histogram leaves out non-finite scores");
    }

    @Test
    void meanScoresTableHasOneColumnPerScoreAndOneRowPerSet() {
        String means = table(html, "means");
        assertThat(means).contains("<th>nll</th><th>-nll</th>")
                .contains("<td>&lt;b&gt;&amp;x</td><td class=\"num\">" + fmt(0.25) + "</td><td class=\"num\">" + fmt(-0.25) + "</td>");
        double[] far = data.scores().get("nll").get("far");
        double farMean = java.util.Arrays.stream(far).sum() / far.length;
        assertThat(means).contains("<td>far</td><td class=\"num\">" + fmt(farMean) + "</td><td class=\"num\">" + fmt(-farMean) + "</td>");
    }

    @Test
    void writesAtomicallyWithoutLeftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("report.html");
        }
    }

    @Test
    void modelWithoutLikelihoodOrResults() throws IOException {
        ReportData bare = new ReportData("bare", "in", "classifier", Map.of(), Map.of(), List.of(),
                Map.of("msp", Map.of("in", new double[] {1, 1, 1}, "out", new double[] {1, 1})), List.of(), List.of());
        String page = HtmlReport.render(bare);
        assertThat(page).doesNotContain("id=\"bpd\"").contains("this model has no likelihood").contains("No OOD results");
        assertThat(DATA_PNG.matcher(page).results().count()).isEqualTo(2);
    }

    @Test
    void histogramCopesWithDegenerateScores() {
        Map<String, double[]> sets = new LinkedHashMap<>();
        sets.put("in", new double[] {2.0, 2.0, 2.0, Double.NEGATIVE_INFINITY});
        sets.put("one", new double[] {2.0});
        sets.put("infinite", new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
        sets.put("empty", new double[0]);
        BufferedImage img = Charts.histogram("s", "in", sets);
        assertThat(img.getWidth()).isEqualTo(Charts.WIDTH);
        assertThat(distinctColours(img)).isGreaterThan(10);
        Map<String, double[]> none = Map.of("in", new double[] {Double.NaN, Double.POSITIVE_INFINITY});
        assertThat(distinctColours(Charts.histogram("s", "in", none))).isGreaterThan(10);
        assertThat(distinctColours(Charts.roc("s", "in", Map.of("in", new double[] {1.0})))).isGreaterThan(10);
    }

    @Test
    void reportDataIsASnapshotAndNeedsTheInSet() {
        double[] in = {1, 2, 3};
        Map<String, Map<String, double[]>> scores = new LinkedHashMap<>();
        scores.put("s", new LinkedHashMap<>(Map.of("in", in)));
        ReportData d = new ReportData("t", "in", "m", Map.of(), Map.of(), List.of(), scores, List.of(), List.of());
        in[0] = 99;
        d.scores().get("s").get("in")[1] = 99;
        assertThat(d.scores().get("s").get("in")).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> new ReportData("t", "other", "m", Map.of(), Map.of(), List.of(), scores, List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("other");
        assertThatThrownBy(() -> Charts.roc("s", "nope", scores.get("s"))).isInstanceOf(IllegalArgumentException.class);
    }
}
