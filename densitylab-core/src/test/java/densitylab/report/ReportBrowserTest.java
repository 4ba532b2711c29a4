package densitylab.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: a real headless Chromium loads the written report, and its DOM and a screenshot are checked.
 * Needs Debian's chromium at /usr/bin/chromium; set DENSITYLAB_SKIP_BROWSER=1 to skip.
 */
class ReportBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final long TIMEOUT_S = 60;

    @TempDir
    Path dir;

    private ReportData data;
    private Path report;

    @BeforeEach
    void writeReport() throws IOException {
        Assumptions.assumeFalse("1".equals(System.getenv("DENSITYLAB_SKIP_BROWSER")), "DENSITYLAB_SKIP_BROWSER=1");
        if (!Files.isExecutable(CHROMIUM)) {
            fail(CHROMIUM + " not found: install Debian's chromium (apt-get install chromium), "
                    + "or set DENSITYLAB_SKIP_BROWSER=1 to skip the browser test");
        }
        data = HtmlReportTest.sample();
        report = dir.resolve("report.html");
        HtmlReport.write(data, report);
    }

    @Test
    void browserParsesTablesAndCharts() throws Exception {
        Path dom = dir.resolve("dom.html");
        chromium(dom, "--dump-dom", report.toUri().toString());
        String page = Files.readString(dom);
        String metrics = HtmlReportTest.table(page, "metrics");
        assertThat(Pattern.compile("<tr>").matcher(metrics).results().count())
                .as("header + one row per result").isEqualTo(1 + data.results().size());
        for (ReportData.Row row : data.results()) {
            assertThat(metrics).contains(HtmlReportTest.fmt(row.metrics().auroc()));
        }
        assertThat(metrics).contains("&lt;b&gt;&amp;x");
        assertThat(page).contains("id=\"bpd\"", "id=\"provenance\"").doesNotContain("<b>&x");
        assertThat(Pattern.compile("<img class=\"chart\"[^>]*src=\"data:image/png;base64,").matcher(page).results().count())
                .isEqualTo(2L * data.scores().size());
    }

    @Test
    void screenshotIsNotBlank() throws Exception {
        Path shot = dir.resolve("shot.png");
        chromium(dir.resolve("screenshot.log"), "--screenshot=" + shot, "--window-size=1280,2000", report.toUri().toString());
        assertThat(shot).exists();
        BufferedImage img = ImageIO.read(shot.toFile());
        assertThat(img).as("decodable screenshot").isNotNull();
        assertThat(img.getWidth()).isEqualTo(1280);
        assertThat(HtmlReportTest.distinctColours(img)).as("distinct colours in the screenshot").isGreaterThan(500);
        String keep = System.getenv("DENSITYLAB_KEEP_SCREENSHOT");
        if (keep != null && !keep.isBlank()) {
            Files.copy(shot, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Runs headless Chromium with a fresh profile, stdout to the given file; fails on timeout or a non-zero exit. */
    private void chromium(Path stdout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + Files.createTempDirectory(dir, "profile")));
        cmd.addAll(List.of(args));
        Path stderr = dir.resolve(stdout.getFileName() + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            boolean done = p.waitFor(TIMEOUT_S, TimeUnit.SECONDS);
            assertThat(done).as("chromium finished within %d s; stderr: %s", TIMEOUT_S, tail(stderr)).isTrue();
            assertThat(p.exitValue()).as("chromium exit status; stderr: %s", tail(stderr)).isZero();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static String tail(Path file) throws IOException {
        String s = Files.exists(file) ? Files.readString(file) : "";
        return s.substring(Math.max(0, s.length() - 2000));
    }
}
