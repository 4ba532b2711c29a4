package densitylab.score;

import densitylab.data.ImageSet;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.zip.Inflater;

import static org.assertj.core.api.Assertions.assertThat;

/** The best-filter PNG coder: its stream decodes back to the image, and it is never longer than ImageIO's PNG. */
class PngFiltersTest {
    /** Grey images with smooth structure, and RGB ones. */
    private static ImageSet images(int channels) {
        Random r = new Random(channels);
        int n = 6;
        int h = 12;
        int w = 10;
        byte[] px = new byte[n * channels * h * w];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int v = i % 3 == 0 ? r.nextInt(256) : (int) (120 + 60 * Math.sin(0.3 * x * (c + 1) + 0.2 * y * i)) + r.nextInt(3);
                        px[((i * channels + c) * h + y) * w + x] = (byte) v;
                    }
                }
            }
        }
        return ImageSet.of("t", channels, h, w, px, null);
    }

    @Test
    void everyFilterInvertsAndTheSmallestStreamDecodesToTheImage() throws Exception {
        for (int channels : new int[] {1, 3}) {
            ImageSet set = images(channels);
            int bpp = channels == 3 ? 3 : 1;
            int stride = set.width() * bpp;
            for (int i = 0; i < set.size(); i++) {
                byte[] raw = PngFilters.interleaved(set, i);
                int h = raw.length / stride;
                for (int t = 0; t <= 4; t++) { // unfiltering row by row reconstructs the raw bytes exactly
                    byte[] back = new byte[raw.length];
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < stride; x++) {
                            back[y * stride + x] = (byte) PngFilters.unfilter(t, PngFilters.filter(t, raw, y, x, stride, bpp), back, y, x,
                                    stride, bpp);
                        }
                    }
                    assertThat(back).isEqualTo(raw);
                }
                byte[] file = PngFilters.smallest(set, i);
                Inflater inf = new Inflater();
                inf.setInput(file, PngFilters.OVERHEAD, file.length - PngFilters.OVERHEAD);
                byte[] filtered = new byte[h * (stride + 1)];
                assertThat(inf.inflate(filtered)).isEqualTo(filtered.length);
                assertThat(inf.finished()).isTrue();
                byte[] back = new byte[raw.length];
                for (int y = 0; y < h; y++) {
                    int type = filtered[y * (stride + 1)];
                    assertThat(type).isBetween(0, 4);
                    for (int x = 0; x < stride; x++) {
                        back[y * stride + x] = (byte) PngFilters.unfilter(type, filtered[y * (stride + 1) + 1 + x] & 0xff, back, y, x, stride, bpp);
                    }
                }
                assertThat(back).isEqualTo(raw);
                assertThat(Compressor.PNG_BEST.bits(set, i)).isLessThanOrEqualTo(Compressor.PNG.bits(set, i));
            }
        }
    }
}
