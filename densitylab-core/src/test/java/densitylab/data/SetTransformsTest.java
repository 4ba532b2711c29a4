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

    /** n random images of c x h x w, seeded. */
    @Test
    void fourQuarterTurnsAreTheIdentityAndOneTurnMovesTheCornersCounterClockwise() {
        ImageSet x = TestImages.random("r", 3, 2, 5, 5, 0, 1);
        ImageSet r = x;
        for (int i = 0; i < 4; i++) {
            r = SetTransforms.apply(r, "rot90");
        }
        assertThat(r.pixels()).isEqualTo(x.pixels());
        ImageSet once = SetTransforms.rotate90(x);
        // the top-right corner goes to the top-left, the top-left to the bottom-left
        assertThat(once.pixel(1, 1, 0, 0)).isEqualTo(x.pixel(1, 1, 0, 4));
        assertThat(once.pixel(1, 1, 4, 0)).isEqualTo(x.pixel(1, 1, 0, 0));
        assertThatThrownBy(() -> SetTransforms.rotate90(TestImages.random("r", 1, 1, 4, 6, 0, 1))).hasMessageContaining("square");
    }

    @Test
    void blurKeepsConstantImagesAndTheMeanAndLowersTheVariance() {
        byte[] flat = new byte[2 * 8 * 8];
        java.util.Arrays.fill(flat, (byte) 77);
        assertThat(SetTransforms.blur(ImageSet.of("c", 2, 8, 8, flat, null), 1.5).pixels()).isEqualTo(flat);
        ImageSet x = TestImages.random("r", 20, 1, 16, 16, 0, 2);
        ImageSet b = SetTransforms.apply(x, "blur=1");
        ImageStats sx = ImageStats.of(x);
        ImageStats sb = ImageStats.of(b);
        assertThat(sb.mean()[0]).isCloseTo(sx.mean()[0], within(3.0));
        assertThat(sb.meanImageVariance()).isLessThan(sx.meanImageVariance() / 3);
    }

    @Test
    void shufflesKeepEveryPixelValueAndEachPatchButNotThePositions() {
        ImageSet x = TestImages.random("r", 4, 3, 8, 8, 0, 3);
        ImageSet p = SetTransforms.apply(x, "pixel-shuffle");
        assertThat(p.pixels()).isNotEqualTo(x.pixels());
        assertThat(SetTransforms.pixelShuffle(x).pixels()).isEqualTo(p.pixels()); // seeded by the image index
        for (int i = 0; i < x.size(); i++) {
            java.util.Set<String> before = new java.util.HashSet<>();
            java.util.Set<String> after = new java.util.HashSet<>();
            for (int y = 0; y < 8; y++) {
                for (int xx = 0; xx < 8; xx++) { // a pixel's three channels move together
                    before.add(x.pixel(i, 0, y, xx) + "," + x.pixel(i, 1, y, xx) + "," + x.pixel(i, 2, y, xx));
                    after.add(p.pixel(i, 0, y, xx) + "," + p.pixel(i, 1, y, xx) + "," + p.pixel(i, 2, y, xx));
                }
            }
            assertThat(after).isEqualTo(before);
        }
        ImageSet q = SetTransforms.apply(x, "patch-shuffle=2"); // 4 patches of 4x4
        for (int i = 0; i < x.size(); i++) {
            java.util.List<String> before = new java.util.ArrayList<>();
            java.util.List<String> after = new java.util.ArrayList<>();
            for (int b = 0; b < 4; b++) {
                before.add(patch(x, i, b / 2, b % 2));
                after.add(patch(q, i, b / 2, b % 2));
            }
            assertThat(after).containsExactlyInAnyOrderElementsOf(before);
        }
        assertThatThrownBy(() -> SetTransforms.apply(x, "patch-shuffle=3")).hasMessageContaining("divides");
    }

    private static String patch(ImageSet s, int i, int py, int px) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    b.append(s.pixel(i, c, py * 4 + y, px * 4 + x)).append(' ');
                }
            }
        }
        return b.toString();
    }

    @Test
    void classSelectionsPartitionTheSetInOrder() {
        ImageSet x = TestImages.random("l", 40, 1, 4, 4, 3, 21);
        ImageSet only = SetTransforms.apply(x, "class=1");
        ImageSet rest = SetTransforms.apply(x, "without-class=1");
        assertThat(only.size() + rest.size()).isEqualTo(x.size());
        assertThat(only.size()).isPositive();
        int a = 0;
        int b = 0;
        for (int i = 0; i < x.size(); i++) { // both keep the original order, each image in exactly one of them
            ImageSet into = x.label(i) == 1 ? only : rest;
            int at = x.label(i) == 1 ? a++ : b++;
            assertThat(into.label(at)).isEqualTo(x.label(i));
            assertThat(into.subset(at, at + 1).sameContent(x.subset(i, i + 1))).isTrue();
        }
        assertThat(only.name()).isEqualTo("l+class=1");
        assertThatThrownBy(() -> SetTransforms.apply(x, "class=7")).hasMessageContaining("no image of class 7");
        assertThatThrownBy(() -> SetTransforms.apply(TestImages.random("u", 3, 1, 4, 4, 0, 1), "class=0"))
                .hasMessageContaining("has no labels");
        assertThatThrownBy(() -> SetTransforms.apply(x, "class=one")).hasMessageContaining("class number");
    }
}
