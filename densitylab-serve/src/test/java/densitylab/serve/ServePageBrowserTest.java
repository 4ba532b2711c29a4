package densitylab.serve;

import densitylab.data.Synthetic;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A real headless Chromium loads the service's page, a file goes through a detector's file input, and the verdict the
 * page shows is read back. Needs Debian's chromium at /usr/bin/chromium; set DENSITYLAB_SKIP_BROWSER=1 to skip.
 */
class ServePageBrowserTest {
    @TempDir
    Path tmp;

    @Test
    void droppingAnImageShowsTheDetectorsVerdictAndScore() throws Exception {
        Assumptions.assumeFalse("1".equals(System.getenv("DENSITYLAB_SKIP_BROWSER")), "DENSITYLAB_SKIP_BROWSER=1");
        if (!Files.isExecutable(Chromium.BINARY)) {
            fail(Chromium.BINARY + " not found: install Debian's chromium (apt-get install chromium), "
                    + "or set DENSITYLAB_SKIP_BROWSER=1 to skip the browser test");
        }
        Fixtures fx = Fixtures.get();
        Path runs = Files.createDirectories(tmp.resolve("runs").resolve("glow"));
        Files.writeString(runs.resolve("config.json"), "{\"model\":\"glow\",\"data\":{\"spec\":\"fashion-mnist\"}}");
        Path shirt = tmp.resolve("shirt.png");
        Files.write(shirt, Fixtures.png(fx.fashion, 0));
        Path noise = tmp.resolve("noise.png");
        Files.write(noise, Fixtures.png(Synthetic.generate("noise", 1, 1, 28, 28, 3), 0));
        Path big = tmp.resolve("big.png");
        Files.write(big, Fixtures.png(Synthetic.generate("noise", 1, 1, 32, 32, 3), 0));
        double shirtScore = fx.detector.score(fx.fashion.subset(0, 1))[0];

        try (DetectionServer server = DetectionServer.start(List.of(ServedDetector.load(fx.bundle.toString(), List.of())),
                DetectionServer.Settings.defaults().withPort(0).withRuns(tmp.resolve("runs")));
             Chromium browser = new Chromium()) {
            browser.open(server.url());
            assertThat(browser.eval("document.querySelectorAll('#runs-table tr').length").asInt()).as("header + one run").isEqualTo(2);
            String verdict = "document.querySelector('#detector-fm .verdict')";

            browser.chooseFile("#detector-fm input[type=file]", shirt);
            browser.waitFor(verdict + ".dataset.verdict !== undefined", 30);
            assertThat(browser.eval(verdict + ".dataset.verdict").asText()).isEqualTo(fx.detector.isOutOfDistribution(shirtScore) ? "ood" : "in");
            assertThat(browser.eval(verdict + ".dataset.score").asDouble()).isEqualTo(shirtScore);
            assertThat(browser.eval(verdict + ".textContent").asText()).startsWith("shirt.png: ");

            browser.chooseFile("#detector-fm input[type=file]", noise);
            browser.waitFor(verdict + ".textContent.startsWith('noise.png')", 30);
            assertThat(browser.eval(verdict + ".dataset.verdict").asText()).isEqualTo("ood");
            assertThat(browser.eval(verdict + ".textContent").asText()).contains("out of distribution");
            byte[] shot = browser.screenshot();

            browser.chooseFile("#detector-fm input[type=file]", big);
            browser.waitFor(verdict + ".textContent.startsWith('big.png')", 30);
            assertThat(browser.eval(verdict + ".dataset.verdict").asText()).isEqualTo("error");
            assertThat(browser.eval(verdict + ".textContent").asText()).contains("32x32 pixels, and the model takes 28x28");

            BufferedImage img = ImageIO.read(new ByteArrayInputStream(shot));
            assertThat(img).as("a decodable screenshot").isNotNull();
            String keep = System.getenv("DENSITYLAB_KEEP_SCREENSHOT");
            if (keep != null && !keep.isBlank()) {
                Files.write(Path.of(keep), shot);
            }
        }
    }
}
