package densitylab.score;

import densitylab.data.ImageSet;

import java.util.zip.Deflater;

/** PNG's row filters (RFC 2083, section 6) and the smallest PNG stream of an image over filter choices. */
final class PngFilters {
    /** Signature (8), IHDR (25), the IDAT chunk's length, type and CRC (12), IEND (12). */
    static final int OVERHEAD = 57;

    private PngFilters() {
    }

    /** The smallest of the six filterings' files (as bytes: overhead plus the zlib stream) of image i of set. */
    static byte[] smallest(ImageSet set, int i) {
        byte[] rows = interleaved(set, i);
        int bpp = set.channels() == 3 ? 3 : 1;
        int stride = (set.channels() == 3 ? set.width() * 3 : set.width());
        int h = rows.length / stride;
        byte[] best = null;
        for (int f = 0; f <= 5; f++) { // 0-4: that filter on every row, 5: per-row minimum sum of absolute values
            byte[] filtered = new byte[h * (stride + 1)];
            for (int y = 0; y < h; y++) {
                int type = f;
                if (f == 5) {
                    long bestSum = Long.MAX_VALUE;
                    for (int t = 0; t <= 4; t++) {
                        long sum = 0;
                        for (int x = 0; x < stride; x++) {
                            sum += Math.abs((byte) filter(t, rows, y, x, stride, bpp));
                        }
                        if (sum < bestSum) {
                            bestSum = sum;
                            type = t;
                        }
                    }
                }
                filtered[y * (stride + 1)] = (byte) type;
                for (int x = 0; x < stride; x++) {
                    filtered[y * (stride + 1) + 1 + x] = (byte) filter(type, rows, y, x, stride, bpp);
                }
            }
            byte[] z = deflate(filtered);
            if (best == null || z.length < best.length) {
                best = z;
            }
        }
        byte[] file = new byte[OVERHEAD + best.length];
        System.arraycopy(best, 0, file, OVERHEAD, best.length);
        return file;
    }

    /** Image i's bytes in PNG row order: grey rows (channels other than 3 stacked as grey pictures), or RGB interleaved. */
    static byte[] interleaved(ImageSet set, int i) {
        byte[] px = set.image(i);
        if (set.channels() != 3) {
            return px;
        }
        int hw = set.height() * set.width();
        byte[] out = new byte[3 * hw];
        for (int k = 0; k < hw; k++) {
            out[3 * k] = px[k];
            out[3 * k + 1] = px[hw + k];
            out[3 * k + 2] = px[2 * hw + k];
        }
        return out;
    }

    /** Filter type t's value (0..255) of byte x of row y. */
    static int filter(int t, byte[] rows, int y, int x, int stride, int bpp) {
        return ((rows[y * stride + x] & 0xff) - predict(t, rows, y, x, stride, bpp)) & 0xff;
    }

    /** The inverse of {@link #filter}: the raw byte from the filtered one and the already reconstructed rows. */
    static int unfilter(int t, int filtered, byte[] rows, int y, int x, int stride, int bpp) {
        return (filtered + predict(t, rows, y, x, stride, bpp)) & 0xff;
    }

    /** Filter type t's prediction of byte x of row y from its left (a), upper (b) and upper-left (c) neighbours. */
    private static int predict(int t, byte[] rows, int y, int x, int stride, int bpp) {
        int a = x >= bpp ? rows[y * stride + x - bpp] & 0xff : 0;
        int b = y > 0 ? rows[(y - 1) * stride + x] & 0xff : 0;
        int c = x >= bpp && y > 0 ? rows[(y - 1) * stride + x - bpp] & 0xff : 0;
        int pred = switch (t) {
            case 0 -> 0;
            case 1 -> a;
            case 2 -> b;
            case 3 -> (a + b) / 2;
            case 4 -> paeth(a, b, c);
            default -> throw new IllegalArgumentException("PNG filter type " + t);
        };
        return pred;
    }

    static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /** One zlib compressor per thread, reset between images: a new one per filtering cost 7 GB of garbage per demo. */
    private static final ThreadLocal<Deflater> DEFLATER = ThreadLocal.withInitial(() -> new Deflater(Deflater.BEST_COMPRESSION));

    private static byte[] deflate(byte[] data) {
        Deflater d = DEFLATER.get(); // zlib wrapper, as PNG's IDAT holds
        d.reset();
        d.setInput(data);
        d.finish();
        byte[] out = new byte[data.length + data.length / 8 + 64]; // more than deflate's worst case for these sizes
        int n = 0;
        while (!d.finished()) {
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, 2 * out.length);
            }
            n += d.deflate(out, n, out.length - n);
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
