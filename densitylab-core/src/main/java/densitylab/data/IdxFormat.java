package densitylab.data;

import densitylab.io.AtomicFiles;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX format of MNIST and FashionMNIST (http://yann.lecun.com/exdb/mnist/): a big-endian
 * magic number 0x0000TTDD (TT = 0x08 for unsigned bytes, DD = number of dimensions), the
 * dimension sizes, then the data. Files may be gzip-compressed; that is detected from their content.
 */
public final class IdxFormat {
    private static final int UBYTE = 0x08;

    private IdxFormat() {
    }

    /** Reads an images file (3 dims: N, H, W) and, if labelsFile is not null, its labels file (1 dim: N). */
    public static ImageSet read(String name, Path imagesFile, Path labelsFile) throws IOException {
        Idx images = readIdx(imagesFile);
        if (images.dims.length != 3) {
            throw new DataFormatException(imagesFile + ": an images file has 3 dimensions (N, H, W), this one has "
                    + images.dims.length + " (magic number says so); is it a labels file?");
        }
        int[] labels = null;
        if (labelsFile != null) {
            Idx lab = readIdx(labelsFile);
            if (lab.dims.length != 1) {
                throw new DataFormatException(labelsFile + ": a labels file has 1 dimension, this one has " + lab.dims.length);
            }
            if (lab.dims[0] != images.dims[0]) {
                throw new DataFormatException("count mismatch: " + imagesFile.getFileName() + " holds " + images.dims[0]
                        + " images but " + labelsFile.getFileName() + " holds " + lab.dims[0] + " labels");
            }
            labels = new int[lab.dims[0]];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = lab.data[i] & 0xff;
            }
        }
        return ImageSet.wrap(name, 1, images.dims[1], images.dims[2], images.data, labels);
    }

    /** Writes the images (must have one channel) and, if labelsFile is not null, their labels; gzip when the name ends in .gz. */
    public static void write(ImageSet set, Path imagesFile, Path labelsFile) throws IOException {
        if (set.channels() != 1) {
            throw new IllegalArgumentException("IDX holds single-channel images; " + set.name() + " has " + set.channels());
        }
        writeIdx(imagesFile, new int[] {set.size(), set.height(), set.width()}, set.pixels());
        if (labelsFile != null) {
            int[] labels = set.labels();
            if (labels == null) {
                throw new IllegalArgumentException(set.name() + " has no labels to write");
            }
            byte[] b = new byte[labels.length];
            for (int i = 0; i < b.length; i++) {
                if (labels[i] < 0 || labels[i] > 255) {
                    throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " does not fit an unsigned byte");
                }
                b[i] = (byte) labels[i];
            }
            writeIdx(labelsFile, new int[] {labels.length}, b);
        }
    }

    /** True when the file starts with the gzip magic bytes. */
    static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    /** Opens a file, transparently gunzipping it when its content is gzip. */
    static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (isGzip(file)) {
            return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
        }
        return raw;
    }

    private record Idx(int[] dims, byte[] data) {
    }

    private static Idx readIdx(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(open(file))) {
            int magic;
            try {
                magic = in.readInt();
            } catch (EOFException e) {
                throw new DataFormatException(file + ": empty or shorter than the 4-byte IDX magic number");
            }
            if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != UBYTE || (magic & 0xff) < 1 || (magic & 0xff) > 4) {
                throw new DataFormatException(String.format(
                        "%s: wrong magic number 0x%08x; an IDX file of unsigned bytes starts with 0x000008DD "
                                + "(DD = 01 labels, 03 images). Is this an IDX file?", file, magic));
            }
            int[] dims = new int[magic & 0xff];
            long total = 1;
            for (int i = 0; i < dims.length; i++) {
                try {
                    dims[i] = in.readInt();
                } catch (EOFException e) {
                    throw new DataFormatException(file + ": truncated in the header (dimension " + i + ")");
                }
                if (dims[i] < 0) {
                    throw new DataFormatException(file + ": negative dimension size " + dims[i]);
                }
                total *= dims[i];
            }
            if (total > Integer.MAX_VALUE - 16) {
                throw new DataFormatException(file + ": " + total + " values is more than one array can hold");
            }
            // readNBytes(n) grows its buffer with what arrives: a corrupt header promising 2 billion values costs no
            // 2 GB allocation (a fuzz test found that the up-front array took half a minute to fail)
            byte[] data = in.readNBytes((int) total);
            if (data.length < total) {
                throw new DataFormatException(file + ": truncated: header promises " + total + " values but only "
                        + data.length + " follow (incomplete download?)");
            }
            if (in.read() != -1) {
                throw new DataFormatException(file + ": has bytes after the " + total + " values its header promises");
            }
            return new Idx(dims, data);
        } catch (java.util.zip.ZipException e) {
            throw new DataFormatException(file + ": corrupt gzip stream: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new DataFormatException(file + ": truncated gzip stream (incomplete download?)", e);
        }
    }

    private static void writeIdx(Path file, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(data.length + 32);
        try (OutputStream sink = file.getFileName().toString().endsWith(".gz") ? new GZIPOutputStream(bytes) : bytes;
             DataOutputStream out = new DataOutputStream(sink)) {
            out.writeInt((UBYTE << 8) | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        AtomicFiles.write(file, bytes.toByteArray());
    }
}
