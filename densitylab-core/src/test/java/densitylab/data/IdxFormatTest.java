package densitylab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdxFormatTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsRawAndGzip() throws IOException {
        ImageSet set = TestImages.random("x", 9, 1, 5, 7, 10, 1);
        for (String ext : new String[] {"", ".gz"}) {
            Path img = dir.resolve("a-images-idx3-ubyte" + ext);
            Path lab = dir.resolve("a-labels-idx1-ubyte" + ext);
            IdxFormat.write(set, img, lab);
            assertThat(IdxFormat.isGzip(img)).isEqualTo(!ext.isEmpty());
            ImageSet back = IdxFormat.read("y", img, lab);
            assertThat(back.sameContent(set)).isTrue();
            assertThat(back.shape()).containsExactly(1, 5, 7);
        }
    }

    @Test
    void headerFollowsTheFormat() throws IOException {
        ImageSet set = TestImages.random("x", 2, 1, 3, 4, 0, 2);
        Path img = dir.resolve("i");
        IdxFormat.write(set, img, null);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(img));
        assertThat(b.getInt()).isEqualTo(0x00000803);
        assertThat(new int[] {b.getInt(), b.getInt(), b.getInt()}).containsExactly(2, 3, 4);
        assertThat(b.remaining()).isEqualTo(24);
        assertThat(Arrays.copyOfRange(b.array(), 16, 40)).isEqualTo(set.pixels());
    }

    @Test
    void wrongMagicIsNamed() throws IOException {
        Path f = dir.resolve("bad");
        Files.write(f, new byte[] {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 5});
        assertThatThrownBy(() -> IdxFormat.read("x", f, null))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("wrong magic number 0x12345678");
    }

    @Test
    void truncatedFileIsNamed() throws IOException {
        ImageSet set = TestImages.random("x", 4, 1, 6, 6, 3, 3);
        Path img = dir.resolve("t-images-idx3-ubyte");
        IdxFormat.write(set, img, null);
        byte[] all = Files.readAllBytes(img);
        Files.write(img, Arrays.copyOf(all, all.length - 10));
        assertThatThrownBy(() -> IdxFormat.read("x", img, null))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("truncated").hasMessageContaining("144 values");
    }

    @Test
    void truncatedGzipIsNamed() throws IOException {
        ImageSet set = TestImages.random("x", 40, 1, 6, 6, 3, 3);
        Path img = dir.resolve("t-images-idx3-ubyte.gz");
        IdxFormat.write(set, img, null);
        byte[] all = Files.readAllBytes(img);
        Files.write(img, Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> IdxFormat.read("x", img, null))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("truncated");
    }

    @Test
    void countMismatchBetweenImagesAndLabels() throws IOException {
        Path img = dir.resolve("m-images-idx3-ubyte");
        Path lab = dir.resolve("m-labels-idx1-ubyte");
        IdxFormat.write(TestImages.random("x", 5, 1, 4, 4, 10, 4), img, null);
        IdxFormat.write(TestImages.random("x", 6, 1, 4, 4, 10, 5), dir.resolve("other"), lab);
        assertThatThrownBy(() -> IdxFormat.read("x", img, lab))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("5 images but").hasMessageContaining("6 labels");
    }

    @Test
    void labelsFileGivenAsImagesIsNamed() throws IOException {
        Path lab = dir.resolve("l");
        IdxFormat.write(TestImages.random("x", 5, 1, 4, 4, 10, 4), dir.resolve("i"), lab);
        assertThatThrownBy(() -> IdxFormat.read("x", lab, null))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("labels file?");
    }

    @Test
    void emptyFileIsNamed() throws IOException {
        Path f = Files.createFile(dir.resolve("empty"));
        assertThatThrownBy(() -> IdxFormat.read("x", f, null))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("empty");
    }
}
