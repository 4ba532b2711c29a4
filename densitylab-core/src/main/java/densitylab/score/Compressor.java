package densitylab.score;

import densitylab.data.ImageSet;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.Deflater;

/**
 * Lossless compressors that measure an image's complexity L(x) for {@link InputComplexityScore}: the length in bits of
 * the whole compressed file, headers included (as Serra et al. 2020 count it).
 */
public enum Compressor {
    /**
     * PNG at maximum compression (deflate level 9), written by the JDK's ImageIO (its per-row filter heuristic); the
     * default of {@code input-complexity} before the best-filter PNG, now {@code input-complexity-png}.
     */
    PNG("png") {
        @Override
        byte[] compress(ImageSet set, int i) throws IOException {
            BufferedImage img = toImage(set, i);
            ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
            try {
                ImageWriteParam p = w.getDefaultWriteParam();
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(0f); // 0 = smallest file: deflate level 9
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                    w.setOutput(ios);
                    w.write(null, new IIOImage(img, null, null), p);
                }
                return out.toByteArray();
            } finally {
                w.dispose();
            }
        }
    },
    /**
     * PNG with the best filter for the image: the file PNG's five row filters (None, Sub, Up, Average, Paeth) each
     * applied to every row, and the per-row minimum-sum-of-absolute-differences choice, each deflated at level 9; the
     * smallest of the six, with the 57 bytes of a minimal PNG's signature and chunks. ImageIO's writer uses the per-row
     * heuristic only.
     */
    PNG_BEST("png-best") {
        @Override
        byte[] compress(ImageSet set, int i) {
            return PngFilters.smallest(set, i);
        }
    },
    /**
     * bzip2 from Apache commons-compress, on the raw pixels in (C, H, W) order, with the smallest block size that holds the
     * image in one block: the same length as at 900k (the block size is only the header's digit then).
     */
    BZIP2("bzip2") {
        @Override
        byte[] compress(ImageSet set, int i) throws IOException {
            byte[] px = set.image(i);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            // a 900k compressor allocates about 8 MB of work arrays: per image, that garbage grew the evaluation's heap by GBs
            int blockSize = Math.min(BZip2CompressorOutputStream.MAX_BLOCKSIZE, Math.max(BZip2CompressorOutputStream.MIN_BLOCKSIZE,
                    px.length / 90_000 + 1)); // a block holds a little under blockSize * 100k bytes
            try (BZip2CompressorOutputStream z = new BZip2CompressorOutputStream(out, blockSize)) {
                z.write(px);
            }
            return out.toByteArray();
        }
    },
    /** zlib (deflate level 9) from the JDK, on the raw pixels in (C, H, W) order. */
    DEFLATE("deflate") {
        @Override
        byte[] compress(ImageSet set, int i) {
            Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
            try {
                d.setInput(set.image(i));
                d.finish();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[4096];
                while (!d.finished()) {
                    out.write(buf, 0, d.deflate(buf));
                }
                return out.toByteArray();
            } finally {
                d.end();
            }
        }
    };

    private final String id;

    Compressor(String id) {
        this.id = id;
    }

    /** The name used in score names and results. */
    public String id() {
        return id;
    }

    /** The compressor of that name, or an error listing the known ones. */
    public static Compressor of(String id) {
        for (Compressor c : values()) {
            if (c.id.equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown compressor '" + id + "'; known: png, png-best, bzip2, deflate");
    }

    /** The compressed bytes of image i of set. */
    abstract byte[] compress(ImageSet set, int i) throws IOException;

    /** L(x): the compressed length of image i of set, in bits. */
    public long bits(ImageSet set, int i) {
        try {
            return 8L * compress(set, i).length;
        } catch (IOException e) {
            throw new UncheckedIOException("compressing image " + i + " of " + set.name() + " with " + id, e);
        }
    }

    /** Image i as an 8-bit grey or RGB picture (other channel counts are compressed as one grey picture per channel, stacked). */
    static BufferedImage toImage(ImageSet set, int i) {
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        byte[] px = set.image(i);
        if (c == 3) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            byte[] dst = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int k = 0; k < h * w; k++) {
                dst[3 * k] = px[2 * h * w + k];
                dst[3 * k + 1] = px[h * w + k];
                dst[3 * k + 2] = px[k];
            }
            return img;
        }
        BufferedImage img = new BufferedImage(w, h * c, BufferedImage.TYPE_BYTE_GRAY);
        System.arraycopy(px, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, px.length);
        return img;
    }
}
