package densitylab.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/**
 * Conversions between densitylab's CHW byte images and {@link BufferedImage}s.
 *
 * <p>Pixel values are moved as raw samples: a 1-channel image becomes a {@code TYPE_BYTE_GRAY} image whose
 * raster holds exactly the bytes (no colour-space conversion, which {@code getRGB} on gray images would apply),
 * and a 3-channel image a {@code TYPE_3BYTE_BGR} image with the same R, G, B values. So a PNG written from
 * {@link #toBufferedImage} and decoded again gives back the same bytes.
 */
public final class Images {
    private Images() {
    }

    /** Image i of the set as a BufferedImage: TYPE_BYTE_GRAY for 1 channel, TYPE_3BYTE_BGR for 3. */
    public static BufferedImage toBufferedImage(ImageSet set, int i) {
        return toBufferedImage(set.image(i), set.channels(), set.height(), set.width());
    }

    /**
     * A BufferedImage from C*H*W bytes in CHW order: TYPE_BYTE_GRAY for 1 channel, TYPE_3BYTE_BGR for 3.
     *
     * @throws IllegalArgumentException for other channel counts or a wrong array length
     */
    public static BufferedImage toBufferedImage(byte[] chw, int channels, int height, int width) {
        int plane = height * width;
        if (chw.length != channels * plane) {
            throw new IllegalArgumentException(chw.length + " bytes is not one " + channels + "x" + height + "x" + width + " image");
        }
        BufferedImage img;
        if (channels == 1) {
            img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        } else if (channels == 3) {
            img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        } else {
            throw new IllegalArgumentException("only 1- or 3-channel images can become a BufferedImage, got " + channels);
        }
        WritableRaster r = img.getRaster();
        int[] row = new int[width * channels];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < channels; c++) {
                    row[x * channels + c] = chw[c * plane + y * width + x] & 0xff;
                }
            }
            r.setPixels(0, y, width, 1, row); // raster bands are R, G, B (or gray), whatever the byte layout
        }
        return img;
    }

    /** A decoded image: 1 (gray) or 3 (RGB) channels, CHW bytes. */
    record Decoded(int channels, int height, int width, byte[] chw) {
        String shapeString() {
            return channels + "x" + height + "x" + width;
        }
    }

    /**
     * Decodes a BufferedImage to CHW bytes: gray images (a gray colour space, or a palette of grays only) give
     * 1 channel read from the raw samples (scaled to 8 bits), everything else 3 sRGB channels; alpha is ignored.
     */
    static Decoded fromBufferedImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm instanceof ComponentColorModel && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            int bits = cm.getComponentSize(0);
            int max = (1 << bits) - 1;
            byte[] out = new byte[h * w];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int s = row[x];
                    out[y * w + x] = (byte) (bits == 8 ? s : (int) Math.round(s * 255.0 / max));
                }
            }
            return new Decoded(1, h, w, out);
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        if (cm instanceof IndexColorModel icm && grayPalette(icm)) {
            byte[] out = new byte[h * w];
            for (int p = 0; p < argb.length; p++) {
                out[p] = (byte) (argb[p] >> 16);
            }
            return new Decoded(1, h, w, out);
        }
        int plane = h * w;
        byte[] out = new byte[3 * plane];
        for (int p = 0; p < plane; p++) {
            int v = argb[p];
            out[p] = (byte) (v >> 16);
            out[plane + p] = (byte) (v >> 8);
            out[2 * plane + p] = (byte) v;
        }
        return new Decoded(3, h, w, out);
    }

    private static boolean grayPalette(IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            int r = icm.getRed(i);
            if (r != icm.getGreen(i) || r != icm.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    /** Luminance round(0.299 R + 0.587 G + 0.114 B) of a 3-channel CHW image, as one channel. */
    static byte[] rgbToGray(byte[] chw, int height, int width) {
        int plane = height * width;
        byte[] out = new byte[plane];
        for (int p = 0; p < plane; p++) {
            int r = chw[p] & 0xff;
            int g = chw[plane + p] & 0xff;
            int b = chw[2 * plane + p] & 0xff;
            out[p] = (byte) ((299 * r + 587 * g + 114 * b + 500) / 1000);
        }
        return out;
    }

    /** A 1-channel image replicated into 3 identical channels. */
    static byte[] grayToRgb(byte[] gray) {
        byte[] out = new byte[3 * gray.length];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(gray, 0, out, c * gray.length, gray.length);
        }
        return out;
    }

    /**
     * Bilinear resize of a CHW image, pixel centres aligned (align_corners = false, as in OpenCV's INTER_LINEAR
     * and PyTorch's interpolate), edges clamped, results rounded. No anti-aliasing when shrinking.
     */
    static byte[] resizeBilinear(byte[] chw, int channels, int height, int width, int newHeight, int newWidth) {
        if (height == newHeight && width == newWidth) {
            return chw;
        }
        int[] x0 = new int[newWidth];
        int[] x1 = new int[newWidth];
        double[] fx = new double[newWidth];
        axis(width, newWidth, x0, x1, fx);
        int[] y0 = new int[newHeight];
        int[] y1 = new int[newHeight];
        double[] fy = new double[newHeight];
        axis(height, newHeight, y0, y1, fy);
        byte[] out = new byte[channels * newHeight * newWidth];
        for (int c = 0; c < channels; c++) {
            int in = c * height * width;
            int o = c * newHeight * newWidth;
            for (int y = 0; y < newHeight; y++) {
                int r0 = in + y0[y] * width;
                int r1 = in + y1[y] * width;
                for (int x = 0; x < newWidth; x++) {
                    double top = (chw[r0 + x0[x]] & 0xff) * (1 - fx[x]) + (chw[r0 + x1[x]] & 0xff) * fx[x];
                    double bottom = (chw[r1 + x0[x]] & 0xff) * (1 - fx[x]) + (chw[r1 + x1[x]] & 0xff) * fx[x];
                    long v = Math.round(top * (1 - fy[y]) + bottom * fy[y]);
                    out[o + y * newWidth + x] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        return out;
    }

    private static void axis(int in, int out, int[] i0, int[] i1, double[] f) {
        double scale = (double) in / out;
        for (int i = 0; i < out; i++) {
            double src = Math.max(0, (i + 0.5) * scale - 0.5);
            int lo = Math.min((int) src, in - 1);
            i0[i] = lo;
            i1[i] = Math.min(lo + 1, in - 1);
            f[i] = src - lo;
            if (i1[i] == lo) {
                f[i] = 0;
            }
        }
    }

    /**
     * One image as a set of its own shape: 1 channel for a gray image, else 3 (see {@link #fromBufferedImage}).
     *
     * @throws DataFormatException naming source when the image has no pixels or cannot be converted
     */
    public static ImageSet fromImage(BufferedImage img, String source) throws DataFormatException {
        if (img == null || img.getWidth() <= 0 || img.getHeight() <= 0) {
            throw new DataFormatException(source + ": image has no pixels");
        }
        Decoded d;
        try {
            d = fromBufferedImage(img);
        } catch (RuntimeException e) {
            throw new DataFormatException(source + ": cannot convert its pixels (" + e + ")", e);
        }
        return ImageSet.wrap(source, d.channels(), d.height(), d.width(), d.chw(), null);
    }

    /**
     * Decodes an encoded image (PNG, JPEG, BMP, GIF: what javax.imageio reads) to a set of one image.
     *
     * @throws DataFormatException naming source when the bytes are no image, corrupt or truncated
     */
    public static ImageSet decode(byte[] encoded, String source) throws DataFormatException {
        BufferedImage img = null;
        try (javax.imageio.stream.ImageInputStream in = javax.imageio.ImageIO.createImageInputStream(
                new java.io.ByteArrayInputStream(encoded))) {
            java.util.Iterator<javax.imageio.ImageReader> readers = javax.imageio.ImageIO.getImageReaders(in);
            if (readers.hasNext()) {
                javax.imageio.ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    img = reader.read(0, reader.getDefaultReadParam());
                } finally {
                    reader.dispose();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            throw new DataFormatException(source + ": corrupt or unsupported image (" + e.getMessage() + ")", e);
        }
        if (img == null) {
            throw new DataFormatException(source + ": not a readable image: no javax.imageio decoder recognises its content");
        }
        return fromImage(img, source);
    }
}
