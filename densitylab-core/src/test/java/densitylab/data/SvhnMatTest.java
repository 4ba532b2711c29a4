package densitylab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.format.Mat5File;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SvhnMatTest {
    @TempDir
    Path tmp;

    static ImageSet randomSet(long seed, int n) {
        Random rng = new Random(seed);
        byte[] pixels = new byte[n * 3 * 32 * 32];
        rng.nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(10);
        }
        labels[0] = 0; // make sure the 0 <-> 10 mapping is exercised
        return ImageSet.of("random", 3, 32, 32, pixels, labels);
    }

    @Test
    void roundTripsExactly() throws Exception {
        ImageSet a = randomSet(1, 7);
        Path f = tmp.resolve("train_32x32.mat");
        SvhnMat.write(a, f);
        ImageSet back = SvhnMat.read("svhn", f);
        assertThat(back.sameContent(a)).isTrue();
        assertThat(back.label(0)).isZero();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("train_32x32.mat");
        }
    }

    @Test
    void readsMatlabLayoutAndMapsTenToZero() throws Exception {
        Path f = tmp.resolve("hand.mat");
        try (Mat5File mat = Mat5.newMatFile()) {
            Matrix x = Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8);
            Matrix y = Mat5.newMatrix(2, 1);
            x.setByte(new int[] {2, 5, 1, 1}, (byte) 77);     // X(3, 6, 2, 2) in MATLAB: row 2, col 5, green, image 1
            x.setByte(new int[] {31, 0, 2, 0}, (byte) 250);   // bottom-left blue of image 0
            y.setDouble(0, 10);
            y.setDouble(1, 3);
            mat.addArray("X", x);
            mat.addArray("y", y);
            Mat5.writeToFile(mat, f.toFile());
        }
        ImageSet s = SvhnMat.read("hand", f);
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.pixel(1, 1, 2, 5)).isEqualTo(77);
        assertThat(s.pixel(0, 2, 31, 0)).isEqualTo(250);
        assertThat(s.labels()).containsExactly(0, 3);
    }

    @Test
    void missingXIsRejected() throws Exception {
        Path f = tmp.resolve("noX.mat");
        try (Mat5File mat = Mat5.newMatFile()) {
            mat.addArray("images", Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8));
            mat.addArray("y", Mat5.newMatrix(2, 1));
            Mat5.writeToFile(mat, f.toFile());
        }
        assertThatThrownBy(() -> SvhnMat.read("t", f))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("noX.mat")
                .hasMessageContaining("expected variables X (32x32x3xN uint8) and y")
                .hasMessageContaining("found: images (32x32x3x2 uint8), y (2x1 double)");
    }

    @Test
    void countMismatchIsRejected() throws Exception {
        Path f = tmp.resolve("mismatch.mat");
        try (Mat5File mat = Mat5.newMatFile()) {
            mat.addArray("X", Mat5.newMatrix(new int[] {32, 32, 3, 4}, MatlabType.UInt8));
            Matrix y = Mat5.newMatrix(3, 1);
            for (int i = 0; i < 3; i++) {
                y.setDouble(i, 1);
            }
            mat.addArray("y", y);
            Mat5.writeToFile(mat, f.toFile());
        }
        assertThatThrownBy(() -> SvhnMat.read("t", f))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("count mismatch")
                .hasMessageContaining("X holds 4 images")
                .hasMessageContaining("3 labels");
    }

    @Test
    void wrongDimsAndBadLabelsAreRejected() throws Exception {
        Path f = tmp.resolve("dims.mat");
        try (Mat5File mat = Mat5.newMatFile()) {
            mat.addArray("X", Mat5.newMatrix(new int[] {28, 28, 1, 2}, MatlabType.UInt8));
            mat.addArray("y", Mat5.newMatrix(2, 1));
            Mat5.writeToFile(mat, f.toFile());
        }
        assertThatThrownBy(() -> SvhnMat.read("t", f))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("X is 28x28x1x2 but SVHN cropped digits are 32x32x3xN");

        Path g = tmp.resolve("labels.mat");
        try (Mat5File mat = Mat5.newMatFile()) {
            mat.addArray("X", Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8));
            Matrix y = Mat5.newMatrix(2, 1);
            y.setDouble(0, 1);
            y.setDouble(1, 0);
            mat.addArray("y", y);
            Mat5.writeToFile(mat, g.toFile());
        }
        assertThatThrownBy(() -> SvhnMat.read("t", g))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("label y(2) = 0.0 is not one of the SVHN labels 1..10");
    }

    @Test
    void randomBytesAreNotAMatFile() throws Exception {
        Path f = tmp.resolve("random.mat");
        byte[] junk = new byte[4096];
        new Random(9).nextBytes(junk);
        Files.write(f, junk);
        assertThatThrownBy(() -> SvhnMat.read("t", f))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("random.mat")
                .hasMessageContaining("not a MAT-file");
    }

    @Test
    void corruptBodyAfterAValidHeaderIsWrapped() throws Exception {
        Path f = tmp.resolve("cut.mat");
        SvhnMat.write(randomSet(2, 3), f);
        byte[] all = Files.readAllBytes(f);
        byte[] cut = java.util.Arrays.copyOf(all, 128 + 40);
        Files.write(f, cut);
        assertThatThrownBy(() -> SvhnMat.read("t", f))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("cut.mat");
    }

    @Test
    void hdf5MatFilesAreNamedAsSuch() throws Exception {
        Path f = tmp.resolve("v73.mat");
        byte[] head = new byte[1024];
        byte[] text = "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
                .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, head, 0, text.length);
        Files.write(f, head);
        assertThatThrownBy(() -> SvhnMat.read("t", f))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("v7.3")
                .hasMessageContaining("HDF5");
    }
}
