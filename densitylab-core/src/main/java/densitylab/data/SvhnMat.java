package densitylab.data;

import densitylab.io.AtomicFiles;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.format.Mat5File;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cropped-digits files of SVHN (http://ufldl.stanford.edu/housenumbers/, {@code train_32x32.mat},
 * {@code test_32x32.mat}, {@code extra_32x32.mat}): MATLAB v5 MAT-files holding
 * <ul>
 *   <li>{@code X}: uint8 of size 32x32x3xN, indexed X(row, column, channel, image) in column-major order;</li>
 *   <li>{@code y}: N labels (Nx1, usually double) in 1..10, where 10 stands for the digit 0.</li>
 * </ul>
 * Reading maps the labels to the digits 0..9 (10 becomes 0); writing maps 0 back to 10.
 * MATLAB v7.3 files (HDF5 containers) are not supported.
 */
public final class SvhnMat {
    private static final int SIDE = 32;
    private static final int CHANNELS = 3;
    private static final int IMAGE_BYTES = CHANNELS * SIDE * SIDE;
    private static final String EXPECTED = "expected variables X (32x32x3xN uint8) and y (Nx1 labels 1..10)";

    private SvhnMat() {
    }

    /**
     * Reads an SVHN cropped-digits MAT-file into 3x32x32 images labelled with the digits 0..9.
     *
     * @throws DataFormatException if the file is not a MATLAB v5 MAT-file, lacks X or y, or they have the wrong
     *                             types, sizes or label values
     */
    public static ImageSet read(String name, Path file) throws IOException {
        checkHeader(file);
        Map<String, Array> vars = new LinkedHashMap<>();
        Mat5File mat;
        try {
            mat = Mat5.readFromFile(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new DataFormatException(file + ": not a readable MATLAB v5 MAT-file (" + e + "); "
                    + "is the download complete?", e);
        }
        try {
            for (MatFile.Entry entry : mat.getEntries()) {
                vars.put(entry.getName(), entry.getValue());
            }
            Array xa = vars.get("X");
            Array ya = vars.get("y");
            if (xa == null || ya == null) {
                throw new DataFormatException(file + ": " + EXPECTED + "; found: "
                        + (vars.isEmpty() ? "no variables" : String.join(", ", describe(vars)))
                        + "; is this an SVHN cropped-digits file (train_32x32.mat), and is the download complete?");
            }
            if (!(xa instanceof Matrix x) || xa.getType() != MatlabType.UInt8) {
                throw new DataFormatException(file + ": X must be a uint8 array (32x32x3xN), found " + describe(xa));
            }
            int n = imageCount(file, x);
            if (!(ya instanceof Matrix y) || !isNumeric(ya.getType()) || y.isComplex()) {
                throw new DataFormatException(file + ": y must be a real numeric array of labels (Nx1), found " + describe(ya));
            }
            int[] yd = y.getDimensions();
            if (y.getNumElements() != n || (yd.length == 2 && yd[0] != 1 && yd[1] != 1) || yd.length > 2) {
                throw new DataFormatException("count mismatch: " + file + ": X holds " + n + " images but y is "
                        + dimString(yd) + " (" + y.getNumElements() + " labels); expected " + n + "x1");
            }
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                double v = y.getDouble(i);
                if (!(v >= 1 && v <= 10) || v != Math.rint(v)) {
                    throw new DataFormatException(file + ": label y(" + (i + 1) + ") = " + v
                            + " is not one of the SVHN labels 1..10 (10 stands for the digit 0)");
                }
                labels[i] = (int) v == 10 ? 0 : (int) v;
            }
            byte[] pixels = new byte[Math.multiplyExact(n, IMAGE_BYTES)];
            // X(row, col, ch, i), 0-based, column-major: linear = row + 32*col + 1024*ch + 3072*i.
            int at = 0;
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < CHANNELS; ch++) {
                    int base = i * IMAGE_BYTES + ch * SIDE * SIDE;
                    for (int row = 0; row < SIDE; row++) {
                        for (int col = 0; col < SIDE; col++) {
                            pixels[at++] = x.getByte(base + row + SIDE * col);
                        }
                    }
                }
            }
            return ImageSet.wrap(name, CHANNELS, SIDE, SIDE, pixels, labels);
        } finally {
            mat.close();
        }
    }

    /**
     * Writes a labelled set of 3x32x32 images as an SVHN-style MAT-file (v5): X uint8 32x32x3xN and y double Nx1
     * with the digit 0 written as 10.
     *
     * @throws IllegalArgumentException if the set is not 3x32x32, has no labels, or a label is outside 0..9
     */
    public static void write(ImageSet set, Path file) throws IOException {
        if (set.channels() != CHANNELS || set.height() != SIDE || set.width() != SIDE) {
            throw new IllegalArgumentException("SVHN holds 3x32x32 images; " + set.name() + " has " + set.shapeString());
        }
        if (!set.hasLabels()) {
            throw new IllegalArgumentException("SVHN files need labels; " + set.name() + " has no labels");
        }
        int n = set.size();
        int[] labels = set.labels();
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] > 9) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is not a digit 0..9");
            }
        }
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".part");
        try (Mat5File mat = Mat5.newMatFile()) {
            Matrix x = Mat5.newMatrix(new int[] {SIDE, SIDE, CHANNELS, n}, MatlabType.UInt8);
            Matrix y = Mat5.newMatrix(n, 1);
            byte[] img = new byte[IMAGE_BYTES];
            for (int i = 0; i < n; i++) {
                set.copyImage(i, img, 0);
                int at = 0;
                for (int ch = 0; ch < CHANNELS; ch++) {
                    int base = i * IMAGE_BYTES + ch * SIDE * SIDE;
                    for (int row = 0; row < SIDE; row++) {
                        for (int col = 0; col < SIDE; col++) {
                            x.setByte(base + row + SIDE * col, img[at++]);
                        }
                    }
                }
                y.setDouble(i, labels[i] == 0 ? 10 : labels[i]);
            }
            mat.addArray("X", x);
            mat.addArray("y", y);
            Mat5.writeToFile(mat, tmp.toFile());
            AtomicFiles.moveIntoPlace(tmp, abs);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Rejects HDF5 (v7.3) files and files without a MAT-file header before mfl-core sees them. */
    private static void checkHeader(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(128);
        }
        String text = new String(head, 0, Math.min(head.length, 116), StandardCharsets.ISO_8859_1);
        boolean hdf5 = head.length >= 8 && (head[0] & 0xff) == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F';
        if (hdf5 || text.startsWith("MATLAB 7.3")) {
            throw new DataFormatException(file + ": is a MATLAB v7.3 MAT-file (an HDF5 container), but only v5 MAT-files "
                    + "are supported (the SVHN downloads are v5); re-save it in MATLAB with save(..., '-v7') or in "
                    + "Python with scipy.io.savemat");
        }
        if (head.length < 128) {
            throw new DataFormatException(file + ": not a MAT-file: " + head.length
                    + " bytes is shorter than the 128-byte MAT-file header (incomplete download?)");
        }
        boolean endian = (head[126] == 'I' && head[127] == 'M') || (head[126] == 'M' && head[127] == 'I');
        if (!endian) {
            throw new DataFormatException(file + ": not a MAT-file: its 128-byte header lacks the MI/IM byte-order mark"
                    + (text.startsWith("MATLAB") ? "" : " and does not start with \"MATLAB\"")
                    + "; expected a MATLAB v5 file such as train_32x32.mat");
        }
    }

    private static int imageCount(Path file, Matrix x) throws DataFormatException {
        int[] d = x.getDimensions();
        boolean ok = d.length >= 3 && d.length <= 4 && d[0] == SIDE && d[1] == SIDE && d[2] == CHANNELS;
        if (!ok) {
            throw new DataFormatException(file + ": X is " + dimString(d) + " but SVHN cropped digits are 32x32x3xN "
                    + "(row, column, channel, image); is this the full-numbers format or another dataset?");
        }
        return d.length == 4 ? d[3] : 1; // MATLAB drops a trailing singleton dimension: 32x32x3 is one image
    }

    private static boolean isNumeric(MatlabType t) {
        return switch (t) {
            case Double, Single, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64 -> true;
            default -> false;
        };
    }

    private static List<String> describe(Map<String, Array> vars) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Array> e : vars.entrySet()) {
            out.add(e.getKey() + " (" + describe(e.getValue()) + ")");
        }
        return out;
    }

    private static String describe(Array a) {
        return dimString(a.getDimensions()) + " " + a.getType();
    }

    private static String dimString(int[] d) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < d.length; i++) {
            sb.append(i == 0 ? "" : "x").append(d[i]);
        }
        return sb.toString();
    }
}
