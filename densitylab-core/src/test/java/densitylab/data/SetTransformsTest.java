package densitylab.data;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SetTransformsTest {
    private final ImageSet gray = TestImages.random("g", 5, 1, 6, 8, 3, 11);
    private final ImageSet rgb = TestImages.random("c", 5, 3, 6, 8, 3, 12);

    @Test
    void involutionsUndoThemselves() {
        for (String op : new String[] {"invert", "hflip", "vflip"}) {
            ImageSet twice = SetTransforms.apply(SetTransforms.apply(rgb, op), op);
            assertThat(twice.sameContent(rgb)).as(op).isTrue();
            assertThat(SetTransforms.apply(rgb, op).sameContent(rgb)).as(op).isFalse();
        }
    }

    @Test
    void invertAndFlipMovePixelsWhereTheyShould() {
        assertThat(SetTransforms.invert(gray).pixel(2, 0, 3, 4)).isEqualTo(255 - gray.pixel(2, 0, 3, 4));
        assertThat(SetTransforms.flip(rgb, true).pixel(1, 2, 3, 0)).isEqualTo(rgb.pixel(1, 2, 3, 7));
        assertThat(SetTransforms.flip(rgb, false).pixel(1, 2, 0, 5)).isEqualTo(rgb.pixel(1, 2, 5, 5));
    }

    @Test
    void grayOfReplicatedGrayIsIdentityAndUsesLuminance() {
        assertThat(SetTransforms.grayscale(SetTransforms.toRgb(gray)).sameContent(gray)).isTrue();
        ImageSet g = SetTransforms.grayscale(rgb);
        assertThat(g.channels()).isEqualTo(1);
        double lum = 0.299 * rgb.pixel(0, 0, 1, 1) + 0.587 * rgb.pixel(0, 1, 1, 1) + 0.114 * rgb.pixel(0, 2, 1, 1);
        assertThat(g.pixel(0, 0, 1, 1)).isEqualTo((int) Math.round(lum));
    }

    @Test
    void scaleMultipliesTheSpreadAroundTheMean() {
        ImageSet big = TestImages.random("b", 200, 1, 8, 8, 0, 13);
        ImageStats before = ImageStats.of(big);
        ImageStats half = ImageStats.of(SetTransforms.scaleVariance(big, 0.5));
        assertThat(half.mean()[0]).isCloseTo(before.mean()[0], within(0.5));
        assertThat(half.std()[0]).isCloseTo(0.5 * before.std()[0], within(0.5));
        assertThat(SetTransforms.scaleVariance(big, 1.0).sameContent(big)).isTrue();
        ImageSet zero = SetTransforms.scaleVariance(big, 0);
        // every image becomes the (rounded) mean image
        assertThat(zero.image(0)).isEqualTo(zero.image(199));
        double m = 0;
        for (int i = 0; i < 200; i++) {
            m += big.pixel(i, 0, 2, 5);
        }
        assertThat(zero.pixel(7, 0, 2, 5)).isEqualTo((int) Math.round(m / 200));
    }

    @Test
    void resizeKeepsConstantImagesConstantAndChangesShape() {
        ImageSet c = Synthetic.generate("constant", 4, 1, 28, 28, 1);
        ImageSet r = SetTransforms.apply(c, "resize=32x32");
        assertThat(r.shape()).containsExactly(1, 32, 32);
        for (int i = 0; i < 4; i++) {
            assertThat(r.pixel(i, 0, 17, 3)).isEqualTo(c.pixel(i, 0, 0, 0));
        }
        assertThat(SetTransforms.resize(c, 28, 28)).isSameAs(c);
    }

    @Test
    void badTransformsAreNamed() {
        assertThatThrownBy(() -> SetTransforms.apply(gray, "rotate")).hasMessageContaining("unknown transform 'rotate'");
        assertThatThrownBy(() -> SetTransforms.apply(gray, "scale=abc")).hasMessageContaining("scale=0.5");
        assertThatThrownBy(() -> SetTransforms.apply(gray, "resize")).hasMessageContaining("needs a value");
    }
}
