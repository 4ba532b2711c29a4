package densitylab.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageSetTest {
    private final ImageSet set = TestImages.random("s", 10, 2, 3, 4, 5, 21);

    @Test
    void viewsSeeTheRightImages() {
        ImageSet sub = set.subset(3, 7);
        assertThat(sub.size()).isEqualTo(4);
        assertThat(sub.image(0)).isEqualTo(set.image(3));
        assertThat(sub.label(3)).isEqualTo(set.label(6));
        ImageSet sel = sub.select(new int[] {2, 2, 0});
        assertThat(sel.image(1)).isEqualTo(set.image(5));
        assertThat(sel.image(2)).isEqualTo(set.image(3));
        assertThat(set.batches(4)).extracting(ImageSet::size).containsExactly(4, 4, 2);
    }

    @Test
    void shuffleIsASeededPermutation() {
        ImageSet a = set.shuffle(5);
        assertThat(a.sameContent(set.shuffle(5))).isTrue();
        assertThat(a.sameContent(set.shuffle(6))).isFalse();
        assertThat(a.sameContent(set)).isFalse();
        int[] la = a.labels();
        int[] l = set.labels();
        Arrays.sort(la);
        Arrays.sort(l);
        assertThat(la).isEqualTo(l);
        assertThat(a.sha256()).isNotEqualTo(set.sha256());
        assertThat(set.shuffle(5).sha256()).isEqualTo(a.sha256());
    }

    @Test
    void isImmutableAgainstTheCallersArray() {
        byte[] px = new byte[2 * 4];
        ImageSet s = ImageSet.of("x", 1, 2, 2, px, null);
        px[0] = 9;
        assertThat(s.pixel(0, 0, 0, 0)).isZero();
        s.pixels()[0] = 7;
        assertThat(s.pixel(0, 0, 0, 0)).isZero();
    }

    @Test
    void rejectsInconsistentShapes() {
        assertThatThrownBy(() -> ImageSet.of("x", 1, 2, 2, new byte[7], null)).hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> ImageSet.of("x", 1, 2, 2, new byte[8], new int[3])).hasMessageContaining("2 images but 3 labels");
    }

    @Test
    void convertsToNdArrayInNchwOrder() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = set.subset(2, 5).toNDArray(m);
            assertThat(x.getShape().getShape()).containsExactly(3, 2, 3, 4);
            assertThat(x.getFloat(1, 1, 2, 3)).isEqualTo((float) set.pixel(3, 1, 2, 3));
        }
    }
}
