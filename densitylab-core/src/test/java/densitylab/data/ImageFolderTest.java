package densitylab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageFolderTest {
    @TempDir
    Path tmp;

    static ImageSet randomSet(long seed, int n, int c, int h, int w, int classes) {
        Random rng = new Random(seed);
        byte[] pixels = new byte[n * c * h * w];
        rng.nextBytes(pixels);
        int[] labels = null;
        if (classes > 0) {
            labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = i < classes ? i : rng.nextInt(classes); // every class present
            }
            // shuffle so that the set is not sorted by label
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = labels[i];
                labels[i] = labels[j];
                labels[j] = t;
            }
        }
        return ImageSet.of("random", c, h, w, pixels, labels);
    }

    /** x stably sorted by label: the order read(write(x)) gives back. */
    static ImageSet sortedByLabel(ImageSet x) {
        int[] order = IntStream.range(0, x.size()).boxed()
                .sorted(Comparator.comparingInt(x::label)).mapToInt(Integer::intValue).toArray();
        return x.select(order);
    }

    static void writeRgb(Path file, int h, int w, int rgb) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        Files.createDirectories(file.getParent());
        assertThat(ImageIO.write(img, "png", file.toFile())).isTrue();
    }

    @Test
    void unlabelledRgbRoundTripsExactly() throws Exception {
        ImageSet a = randomSet(1, 7, 3, 9, 11, 0);
        Path dir = tmp.resolve("out");
        ImageFolder.write(a, dir);
        assertThat(dir.resolve("00000.png")).exists();
        ImageSet back = ImageFolder.read("back", dir);
        assertThat(back.sameContent(a)).isTrue();
        assertThat(ImageFolder.classNames(dir)).isEmpty();
    }

    @Test
    void labelledGrayRoundTripsGroupedByLabel() throws Exception {
        ImageSet a = randomSet(2, 7, 1, 8, 6, 3);
        Path dir = tmp.resolve("out");
        ImageFolder.write(a, dir);
        ImageSet back = ImageFolder.read("back", dir);
        assertThat(back.shapeString()).isEqualTo("1x8x6");
        assertThat(back.sameContent(sortedByLabel(a))).isTrue();
        assertThat(ImageFolder.classNames(dir)).containsExactly("0", "1", "2");

        ImageSet sorted = sortedByLabel(a);
        Path dir2 = tmp.resolve("out2");
        ImageFolder.write(sorted, dir2);
        assertThat(ImageFolder.read("back2", dir2).sameContent(sorted)).isTrue();
    }

    @Test
    void moreThanTenClassesKeepTheirNumbers() throws Exception {
        ImageSet a = randomSet(3, 14, 3, 4, 4, 12);
        Path dir = tmp.resolve("out");
        ImageFolder.write(a, dir);
        assertThat(ImageFolder.classNames(dir)).startsWith("00", "01").endsWith("11");
        assertThat(ImageFolder.read("back", dir).sameContent(sortedByLabel(a))).isTrue();
    }

    @Test
    void writingIntoAFolderWithImagesIsRefused() throws Exception {
        ImageSet a = randomSet(4, 2, 1, 4, 4, 0);
        ImageFolder.write(a, tmp);
        assertThatThrownBy(() -> ImageFolder.write(a, tmp)).hasMessageContaining("already holds 2 image files");
    }

    @Test
    void corruptFileIsSkippedOrFails() throws Exception {
        ImageSet a = randomSet(5, 3, 3, 5, 5, 0);
        Path dir = tmp.resolve("imgs");
        ImageFolder.write(a, dir);
        Path bad = dir.resolve("00001b.png");   // sorts between 00001 and 00002
        byte[] good = Files.readAllBytes(dir.resolve("00000.png"));
        Files.write(bad, Arrays.copyOf(good, 40)); // a PNG cut short
        Files.writeString(dir.resolve("notes.txt"), "not an image, ignored");

        ImageSet skipped = ImageFolder.read("s", dir, ImageFolder.Options.defaults().withOnBadFile(ImageFolder.OnBadFile.SKIP));
        assertThat(skipped.sameContent(a)).isTrue();

        assertThatThrownBy(() -> ImageFolder.read("f", dir, ImageFolder.Options.defaults()))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("00001b.png");

        Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});  // not any image format
        assertThatThrownBy(() -> ImageFolder.read("f", dir, ImageFolder.Options.defaults()))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("00001b.png")
                .hasMessageContaining("not a readable image");
    }

    @Test
    void mixedSizesNeedResize() throws Exception {
        Path dir = tmp.resolve("mixed");
        writeRgb(dir.resolve("a.png"), 8, 8, 0x336699);
        writeRgb(dir.resolve("b.png"), 10, 12, 0x336699);
        assertThatThrownBy(() -> ImageFolder.read("m", dir))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("a.png").hasMessageContaining("8x8")
                .hasMessageContaining("b.png").hasMessageContaining("10x12")
                .hasMessageContaining("resize");

        ImageSet s = ImageFolder.read("m", dir, ImageFolder.Options.defaults().withResize(6, 7));
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.shapeString()).isEqualTo("3x6x7");
        assertThat(s.hasLabels()).isFalse();
        // a uniform image stays uniform under bilinear resizing
        for (int i = 0; i < 2; i++) {
            assertThat(s.pixel(i, 0, 3, 3)).isEqualTo(0x33);
            assertThat(s.pixel(i, 1, 5, 6)).isEqualTo(0x66);
            assertThat(s.pixel(i, 2, 0, 0)).isEqualTo(0x99);
        }
    }

    @Test
    void grayOptionGivesLuminance() throws Exception {
        Path dir = tmp.resolve("colour");
        writeRgb(dir.resolve("c.png"), 4, 5, (200 << 16) | (100 << 8) | 50);
        ImageSet s = ImageFolder.read("g", dir, ImageFolder.Options.defaults().withChannels(ImageFolder.Channels.GRAY));
        assertThat(s.shapeString()).isEqualTo("1x4x5");
        // 0.299*200 + 0.587*100 + 0.114*50 = 124.2
        assertThat(s.pixel(0, 0, 2, 3)).isEqualTo(124);
    }

    @Test
    void mixedGrayAndRgbKeepBecomesRgb() throws Exception {
        Path dir = tmp.resolve("classes");
        writeRgb(dir.resolve("cat/x.png"), 3, 3, 0x102030);
        BufferedImage gray = new BufferedImage(3, 3, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(1, 1, 0, 77);
        assertThat(ImageIO.write(gray, "png", mkdirs(dir.resolve("ant/y.png")).toFile())).isTrue();
        ImageSet s = ImageFolder.read("k", dir);
        assertThat(s.shapeString()).isEqualTo("3x3x3");
        assertThat(ImageFolder.classNames(dir)).containsExactly("ant", "cat");
        assertThat(s.labels()).containsExactly(0, 1);
        assertThat(List.of(s.pixel(0, 0, 1, 1), s.pixel(0, 1, 1, 1), s.pixel(0, 2, 1, 1))).containsExactly(77, 77, 77);
        assertThat(List.of(s.pixel(1, 0, 0, 0), s.pixel(1, 1, 0, 0), s.pixel(1, 2, 0, 0))).containsExactly(0x10, 0x20, 0x30);

        ImageSet g = ImageFolder.read("k", dir.resolve("ant"));
        assertThat(g.shapeString()).isEqualTo("1x3x3");
        assertThat(g.pixel(0, 0, 1, 1)).isEqualTo(77);
    }

    @Test
    void emptyFolderIsAnError() throws Exception {
        Files.writeString(tmp.resolve("readme.txt"), "no images here");
        assertThatThrownBy(() -> ImageFolder.read("e", tmp))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("no image files found");
    }

    private static Path mkdirs(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        return file;
    }
}
