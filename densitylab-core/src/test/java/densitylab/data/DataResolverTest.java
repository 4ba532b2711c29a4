package densitylab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataResolverTest {
    @TempDir
    Path tmp;

    private DataResolver resolver() {
        return new DataResolver(new Fetcher(tmp.resolve("cache"), List.of(), false, false));
    }

    @Test
    void parsesCatalogSplitsShapesAndTransforms() {
        DataResolver.Spec s = DataResolver.parse("mnist:test+invert+scale=0.5");
        assertThat(s.base()).isEqualTo("mnist");
        assertThat(s.split()).isEqualTo("test");
        assertThat(s.transforms()).containsExactly("invert", "scale=0.5");
        DataResolver.Spec n = DataResolver.parse("noise@32x32x3");
        assertThat(n.shape()).containsExactly(3, 32, 32);
        assertThat(n.split()).isNull();
    }

    @Test
    void unknownNamesListTheKnownOnes() {
        assertThatThrownBy(() -> DataResolver.parse("fashion"))
                .hasMessageContaining("unknown data set 'fashion'").hasMessageContaining("fashion-mnist").hasMessageContaining("noise");
        assertThatThrownBy(() -> DataResolver.parse("/no/such/file.mat")).hasMessageContaining("no such file");
    }

    @Test
    void syntheticSetsTakeTheHintedShapeAndAreSeeded() throws IOException {
        assertThatThrownBy(() -> resolver().load("noise", "test")).hasMessageContaining("needs a shape");
        ImageSet a = resolver().withShapeHint(new int[] {1, 28, 28}).withSyntheticCount(50).load("noise", "test");
        ImageSet b = resolver().withSyntheticCount(50).load("noise@28x28x1", "test");
        assertThat(a.size()).isEqualTo(50);
        assertThat(a.sameContent(b)).isTrue();
        ImageSet c = resolver().withSyntheticCount(50).load("constant@4x4x3", "test");
        for (int i = 0; i < 50; i++) {
            assertThat(ImageStats.of(c.subset(i, i + 1)).meanImageVariance()).isZero();
        }
        assertThat(ImageStats.of(c).std()[0]).isGreaterThan(30);
    }

    @Test
    void pathsAreReadByTheirFormatWithTransforms() throws IOException {
        ImageSet set = TestImages.random("x", 6, 1, 5, 5, 10, 3);
        Path img = tmp.resolve("my-images-idx3-ubyte.gz");
        IdxFormat.write(set, img, tmp.resolve("my-labels-idx1-ubyte.gz"));
        ImageSet back = resolver().load(img.toString(), "test");
        assertThat(back.sameContent(set)).isTrue();
        ImageSet inv = resolver().load(img + "+invert", "test");
        assertThat(inv.pixel(3, 0, 2, 2)).isEqualTo(255 - set.pixel(3, 0, 2, 2));
        assertThat(inv.name()).isEqualTo(img + "+invert");
    }
}
