package densitylab.data;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PixelReplacementTest {
    @Test
    void replacesTheRequestedShareOfPixelValuesByUniformOnesRepeatablyPerSeed() {
        byte[] zero = new byte[200 * 784];
        ImageSet black = ImageSet.of("black", 1, 28, 28, zero, null);
        ImageSet a = new PixelReplacement(0.2).apply(black, 5);
        int changed = 0;
        long sum = 0;
        for (byte b : a.pixels()) {
            if (b != 0) {
                changed++;
                sum += b & 0xff;
            }
        }
        int n = 200 * 784;
        // a replaced value is 0 with probability 1/256, so the visible share is 0.2 * 255/256
        assertThat(changed / (double) n).isCloseTo(0.2 * 255 / 256, org.assertj.core.api.Assertions.within(0.005));
        assertThat(sum / (double) changed).isCloseTo(128.0, org.assertj.core.api.Assertions.within(2.0)); // uniform 1..255
        assertThat(new PixelReplacement(0.2).apply(black, 5).pixels()).isEqualTo(a.pixels());
        assertThat(new PixelReplacement(0.2).apply(black, 6).pixels()).isNotEqualTo(a.pixels());
        assertThat(new PixelReplacement(0).apply(black, 5).pixels()).isEqualTo(zero);
        assertThat(a.shapeString()).isEqualTo("1x28x28");
        assertThatThrownBy(() -> new PixelReplacement(1.5)).hasMessageContaining("[0, 1]");
    }
}
