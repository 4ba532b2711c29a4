package densitylab.report;

import densitylab.data.ImageSet;
import densitylab.data.Images;
import densitylab.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Tiles the first images of a set into one picture, with a one-pixel gutter, optionally enlarged. */
public final class ImageGrid {
    private ImageGrid() {
    }

    /**
     * A grid of the first min(count, set.size()) images, cols per row, each pixel drawn as a scale x scale block.
     *
     * @throws IllegalArgumentException when the set is empty
     */
    public static BufferedImage render(ImageSet set, int count, int cols, int scale) {
        int n = Math.min(count, set.size());
        if (n == 0) {
            throw new IllegalArgumentException("cannot draw a grid of an empty set (" + set.name() + ")");
        }
        int c = Math.min(cols, n);
        int rows = (n + c - 1) / c;
        int cw = set.width() * scale + 1;
        int ch = set.height() * scale + 1;
        BufferedImage out = new BufferedImage(c * cw + 1, rows * ch + 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(new Color(90, 90, 90));
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int i = 0; i < n; i++) {
            BufferedImage img = Images.toBufferedImage(set, i);
            g.drawImage(img, 1 + (i % c) * cw, 1 + (i / c) * ch, set.width() * scale, set.height() * scale, null);
        }
        g.dispose();
        return out;
    }

    /** PNG bytes of a picture. */
    public static byte[] png(BufferedImage img) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(img, "png", bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a 10-column grid of the first count images to a PNG file, atomically. */
    public static void writePng(ImageSet set, int count, Path file) throws IOException {
        AtomicFiles.write(file, png(render(set, count, 10, set.height() < 48 ? 2 : 1)));
    }
}
