package densitylab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CifarBinaryTest {
    @TempDir
    Path tmp;

    static ImageSet randomSet(long seed, int n, int classes) {
        Random rng = new Random(seed);
        byte[] pixels = new byte[n * 3 * 32 * 32];
        rng.nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(classes);
        }
        return ImageSet.of("random", 3, 32, 32, pixels, labels);
    }

    @Test
    void cifar10RoundTripsAndConcatenatesFilesInOrder() throws Exception {
        ImageSet a = randomSet(1, 7, 10);
        ImageSet b = randomSet(2, 3, 10);
        Path fa = tmp.resolve("data_batch_1.bin");
        Path fb = tmp.resolve("data_batch_2.bin");
        CifarBinary.write(a, fa, CifarBinary.Variant.CIFAR10);
        CifarBinary.write(b, fb, CifarBinary.Variant.CIFAR10);
        assertThat(Files.size(fa)).isEqualTo(7L * 3073);

        ImageSet one = CifarBinary.read("cifar10", fa, CifarBinary.Variant.CIFAR10);
        assertThat(one.sameContent(a)).isTrue();
        assertThat(one.shapeString()).isEqualTo("3x32x32");

        ImageSet both = CifarBinary.read("cifar10", List.of(fa, fb), CifarBinary.Variant.CIFAR10);
        assertThat(both.size()).isEqualTo(10);
        assertThat(both.subset(0, 7).sameContent(a)).isTrue();
        assertThat(both.subset(7, 10).sameContent(b)).isTrue();
    }

    @Test
    void recordLayoutIsLabelThenRedGreenBluePlanes() throws Exception {
        byte[] rec = new byte[3073];
        rec[0] = 4;
        rec[1] = 11;                         // R(0,0)
        rec[1 + 1024 + 32 * 2 + 5] = 22;     // G(2,5)
        rec[1 + 2048 + 1023] = (byte) 200;   // B(31,31)
        Path f = tmp.resolve("one.bin");
        Files.write(f, rec);
        ImageSet s = CifarBinary.read("x", f, CifarBinary.Variant.CIFAR10);
        assertThat(s.label(0)).isEqualTo(4);
        assertThat(s.pixel(0, 0, 0, 0)).isEqualTo(11);
        assertThat(s.pixel(0, 1, 2, 5)).isEqualTo(22);
        assertThat(s.pixel(0, 2, 31, 31)).isEqualTo(200);
    }

    @Test
    void cifar100RoundTripsFineAndCoarseLabels() throws Exception {
        ImageSet a = randomSet(3, 7, 100);
        int[] coarse = new Random(4).ints(7, 0, 20).toArray();
        Path f = tmp.resolve("train.bin");
        CifarBinary.writeCifar100(a, coarse, f);
        assertThat(Files.size(f)).isEqualTo(7L * 3074);
        ImageSet back = CifarBinary.read("cifar100", List.of(f), CifarBinary.Variant.CIFAR100);
        assertThat(back.sameContent(a)).isTrue();
        assertThat(CifarBinary.readCoarseLabels(List.of(f))).containsExactly(coarse);

        Path g = tmp.resolve("fine_only.bin.gz");
        CifarBinary.write(a, g, CifarBinary.Variant.CIFAR100);
        assertThat(CifarBinary.read("gz", g, CifarBinary.Variant.CIFAR100).sameContent(a)).isTrue();
        assertThat(CifarBinary.readCoarseLabels(List.of(g))).containsOnly(0);
    }

    @Test
    void truncatedFileIsRejected() throws Exception {
        Path f = tmp.resolve("data_batch_1.bin");
        CifarBinary.write(randomSet(5, 3, 10), f, CifarBinary.Variant.CIFAR10);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 100));
        assertThatThrownBy(() -> CifarBinary.read("t", f, CifarBinary.Variant.CIFAR10))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("data_batch_1.bin")
                .hasMessageContaining("truncated: " + (all.length - 100) + " bytes is not a whole number of 3073-byte")
                .hasMessageContaining("pickle");
    }

    @Test
    void cifar10LabelOutOfRangeIsRejected() throws Exception {
        Path f = tmp.resolve("bad.bin");
        CifarBinary.write(randomSet(6, 4, 10), f, CifarBinary.Variant.CIFAR10);
        byte[] all = Files.readAllBytes(f);
        all[2 * 3073] = 12;
        Files.write(f, all);
        assertThatThrownBy(() -> CifarBinary.read("t", f, CifarBinary.Variant.CIFAR10))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("bad.bin")
                .hasMessageContaining("record 2 has label 12")
                .hasMessageContaining("0..9");
    }

    @Test
    void emptyFileListAndBadWritesAreRejected() {
        assertThatThrownBy(() -> CifarBinary.read("t", List.of(), CifarBinary.Variant.CIFAR10))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("no CIFAR-10 files given");
        ImageSet gray = ImageSet.of("g", 1, 32, 32, new byte[1024], new int[] {0});
        assertThatThrownBy(() -> CifarBinary.write(gray, tmp.resolve("g.bin"), CifarBinary.Variant.CIFAR10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3x32x32");
        ImageSet unlabelled = randomSet(7, 2, 10).withoutLabels();
        assertThatThrownBy(() -> CifarBinary.write(unlabelled, tmp.resolve("u.bin"), CifarBinary.Variant.CIFAR10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no labels");
        ImageSet hundred = randomSet(8, 20, 100);
        assertThatThrownBy(() -> CifarBinary.write(hundred, tmp.resolve("h.bin"), CifarBinary.Variant.CIFAR10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..9");
        assertThat(tmp.resolve("h.bin")).doesNotExist();
    }
}
