package densitylab.data;

import densitylab.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary versions of CIFAR-10 and CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html).
 *
 * <p>A CIFAR-10 file ({@code data_batch_1.bin} .. {@code data_batch_5.bin}, {@code test_batch.bin}) is a
 * sequence of 3073-byte records: 1 label byte (0..9), then 3072 pixel bytes: the 1024 red values, the
 * 1024 green values and the 1024 blue values of a 32x32 image, each plane row-major. That is exactly
 * densitylab's (C, H, W) layout. A CIFAR-100 file ({@code train.bin}, {@code test.bin}) has 3074-byte
 * records: a coarse label byte (0..19), a fine label byte (0..99), then the same 3072 pixel bytes.
 *
 * <p>There is no header, so the only checks possible are the file length and the label ranges. Files may
 * be gzip-compressed (detected from their content). The Python ("pickle") versions are not supported.
 */
public final class CifarBinary {
    /** Pixel bytes per record: 3 x 32 x 32. */
    public static final int IMAGE_BYTES = 3 * 32 * 32;

    private CifarBinary() {
    }

    /** Which of the two datasets a file belongs to. */
    public enum Variant {
        /** 1 label byte (0..9) + 3072 pixel bytes per record. */
        CIFAR10(1, 10, "CIFAR-10", "data_batch_N.bin"),
        /** 1 coarse label byte (0..19) + 1 fine label byte (0..99) + 3072 pixel bytes per record. */
        CIFAR100(2, 100, "CIFAR-100", "train.bin / test.bin");

        private final int labelBytes;
        private final int classes;
        private final String title;
        private final String fileNames;

        Variant(int labelBytes, int classes, String title, String fileNames) {
            this.labelBytes = labelBytes;
            this.classes = classes;
            this.title = title;
            this.fileNames = fileNames;
        }

        /** Bytes per record: label byte(s) + 3072 pixel bytes. */
        public int recordBytes() {
            return labelBytes + IMAGE_BYTES;
        }

        /** Number of (fine) classes: 10 or 100. */
        public int classes() {
            return classes;
        }

        Variant other() {
            return this == CIFAR10 ? CIFAR100 : CIFAR10;
        }
    }

    /** Number of coarse classes (superclasses) of CIFAR-100. */
    public static final int CIFAR100_COARSE_CLASSES = 20;

    /**
     * Reads the records of the files in order into one set of 3x32x32 images. CIFAR-10 sets get labels 0..9;
     * CIFAR-100 sets get the fine labels 0..99 (see {@link #readCoarseLabels} for the 20 superclasses).
     *
     * @throws DataFormatException for an empty file, a length that is not a whole number of records, or a label out of range
     */
    public static ImageSet read(String name, List<Path> files, Variant v) throws IOException {
        List<byte[]> contents = readAll(files, v);
        int n = 0;
        for (byte[] c : contents) {
            n += c.length / v.recordBytes();
        }
        byte[] pixels = new byte[Math.multiplyExact(n, IMAGE_BYTES)];
        int[] labels = new int[n];
        int at = 0;
        for (int f = 0; f < contents.size(); f++) {
            byte[] c = contents.get(f);
            contents.set(f, null); // let it be collected while we go on
            int records = c.length / v.recordBytes();
            for (int r = 0; r < records; r++) {
                int off = r * v.recordBytes();
                int label = c[off + v.labelBytes - 1] & 0xff;   // CIFAR-10: the only byte; CIFAR-100: the fine one
                if (label >= v.classes) {
                    throw new DataFormatException(files.get(f) + ": record " + r + " has label " + label + ", but "
                            + v.title + " labels are 0.." + (v.classes - 1)
                            + (v == Variant.CIFAR10 ? "; is this a CIFAR-100 file (use variant CIFAR100)?" : "; is the file corrupt?"));
                }
                if (v == Variant.CIFAR100) {
                    checkCoarse(files.get(f), r, c[off] & 0xff);
                }
                labels[at] = label;
                System.arraycopy(c, off + v.labelBytes, pixels, at * IMAGE_BYTES, IMAGE_BYTES);
                at++;
            }
        }
        return ImageSet.wrap(name, 3, 32, 32, pixels, labels);
    }

    /** Reads a single file; see {@link #read(String, List, Variant)}. */
    public static ImageSet read(String name, Path file, Variant v) throws IOException {
        return read(name, List.of(file), v);
    }

    /**
     * The coarse labels (0..19) of CIFAR-100 files, in the same order as {@link #read} returns the images.
     * Combine them with {@code read(...).withoutLabels()} via {@link ImageSet#of} if a set labelled by superclass is needed.
     */
    public static int[] readCoarseLabels(List<Path> files) throws IOException {
        Variant v = Variant.CIFAR100;
        List<byte[]> contents = readAll(files, v);
        int n = 0;
        for (byte[] c : contents) {
            n += c.length / v.recordBytes();
        }
        int[] coarse = new int[n];
        int at = 0;
        for (int f = 0; f < contents.size(); f++) {
            byte[] c = contents.get(f);
            for (int r = 0; r < c.length / v.recordBytes(); r++) {
                int label = c[r * v.recordBytes()] & 0xff;
                checkCoarse(files.get(f), r, label);
                coarse[at++] = label;
            }
        }
        return coarse;
    }

    /**
     * Writes a labelled set of 3x32x32 images as one binary file (gzip when the name ends in .gz). For CIFAR-100
     * the set's labels are written as the fine labels and every coarse label is 0; use
     * {@link #writeCifar100(ImageSet, int[], Path)} to write both.
     *
     * @throws IllegalArgumentException if the set is not 3x32x32, has no labels, or a label is out of range
     */
    public static void write(ImageSet set, Path file, Variant v) throws IOException {
        write(set, v == Variant.CIFAR100 ? new int[set.size()] : null, file, v);
    }

    /** Writes a CIFAR-100 file with the set's labels as fine labels (0..99) and the given coarse labels (0..19). */
    public static void writeCifar100(ImageSet set, int[] coarseLabels, Path file) throws IOException {
        if (coarseLabels == null || coarseLabels.length != set.size()) {
            throw new IllegalArgumentException("need one coarse label per image: " + set.size() + " images, "
                    + (coarseLabels == null ? "no" : String.valueOf(coarseLabels.length)) + " coarse labels");
        }
        write(set, coarseLabels, file, Variant.CIFAR100);
    }

    private static void write(ImageSet set, int[] coarse, Path file, Variant v) throws IOException {
        if (set.channels() != 3 || set.height() != 32 || set.width() != 32) {
            throw new IllegalArgumentException("CIFAR holds 3x32x32 images; " + set.name() + " has " + set.shapeString());
        }
        if (!set.hasLabels()) {
            throw new IllegalArgumentException("CIFAR records need a label; " + set.name() + " has no labels");
        }
        int[] labels = set.labels();
        int rec = v.recordBytes();
        byte[] out = new byte[Math.multiplyExact(set.size(), rec)];
        for (int i = 0; i < set.size(); i++) {
            if (labels[i] < 0 || labels[i] >= v.classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside " + v.title
                        + "'s 0.." + (v.classes - 1));
            }
            int off = i * rec;
            if (v == Variant.CIFAR100) {
                if (coarse[i] < 0 || coarse[i] >= CIFAR100_COARSE_CLASSES) {
                    throw new IllegalArgumentException("coarse label " + coarse[i] + " of image " + i + " is outside 0.."
                            + (CIFAR100_COARSE_CLASSES - 1));
                }
                out[off] = (byte) coarse[i];
            }
            out[off + v.labelBytes - 1] = (byte) labels[i];
            set.copyImage(i, out, off + v.labelBytes);
        }
        if (file.getFileName().toString().endsWith(".gz")) {
            AtomicFiles.write(file, o -> {
                java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(o, 1 << 16);
                gz.write(out);
                gz.finish();
            });
        } else {
            AtomicFiles.write(file, out);
        }
    }

    private static void checkCoarse(Path file, int record, int coarse) throws DataFormatException {
        if (coarse >= CIFAR100_COARSE_CLASSES) {
            throw new DataFormatException(file + ": record " + record + " has coarse label " + coarse
                    + ", but CIFAR-100 coarse labels are 0.." + (CIFAR100_COARSE_CLASSES - 1) + "; is the file corrupt?");
        }
    }

    private static List<byte[]> readAll(List<Path> files, Variant v) throws IOException {
        if (files == null || files.isEmpty()) {
            throw new DataFormatException("no " + v.title + " files given; pass the binary batch files ("
                    + v.fileNames + ") in order");
        }
        List<byte[]> out = new ArrayList<>(files.size());
        long total = 0;
        for (Path file : files) {
            byte[] c;
            try (InputStream in = IdxFormat.open(file)) {
                c = in.readAllBytes();
            } catch (java.util.zip.ZipException e) {
                throw new DataFormatException(file + ": corrupt gzip stream: " + e.getMessage(), e);
            } catch (java.io.EOFException e) {
                throw new DataFormatException(file + ": truncated gzip stream (incomplete download?)", e);
            }
            if (c.length == 0) {
                throw new DataFormatException(file + ": is empty; expected " + v.title + " records of "
                        + v.recordBytes() + " bytes (incomplete download?)");
            }
            if (c.length % v.recordBytes() != 0) {
                String hint = c.length % v.other().recordBytes() == 0
                        ? " It would be a whole number of " + v.other().recordBytes() + "-byte " + v.other().title
                          + " records: is it a " + v.other().title + " file (variant " + v.other().name() + ")?"
                        : " Is this the binary version (" + v.fileNames + ") and not the Python pickle version?"
                          + " Otherwise the file is incomplete; download it again.";
                throw new DataFormatException(file + ": truncated: " + c.length + " bytes is not a whole number of "
                        + v.recordBytes() + "-byte " + v.title + " records." + hint);
            }
            total += c.length / v.recordBytes();
            if (total * IMAGE_BYTES > Integer.MAX_VALUE - 16) {
                throw new DataFormatException("the files hold more than " + (Integer.MAX_VALUE / IMAGE_BYTES)
                        + " images, more than one set can hold; read them in parts");
            }
            out.add(c);
        }
        return out;
    }
}
