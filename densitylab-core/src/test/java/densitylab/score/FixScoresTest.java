package densitylab.score;

import densitylab.model.ScoreOptions;
import densitylab.data.ImageSet;
import densitylab.data.Synthetic;
import densitylab.model.DensityModel;
import densitylab.nn.Units;
import densitylab.model.classic.DiagonalGaussian;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The published fixes on hand-made cases with known answers. */
class FixScoresTest {
    /** A density with a known log P(x): -(100 + sum of pixel values / 10) nats. */
    static class KnownDensity implements DensityModel {
        @Override
        public double[] logProb(ImageSet images) {
            double[] out = new double[images.size()];
            for (int i = 0; i < out.length; i++) {
                double s = 0;
                for (byte b : images.image(i)) {
                    s += b & 0xff;
                }
                out[i] = -(100 + s / 10);
            }
            return out;
        }

        @Override
        public String kind() {
            return "known";
        }

        @Override
        public int[] shape() {
            return new int[] {1, 8, 8};
        }

        @Override
        public ImageSet sample(int n, long seed) {
            return Synthetic.generate("noise", n, 1, 8, 8, seed);
        }

        @Override
        public void save(Path dir) {
            throw new UnsupportedOperationException();
        }
    }

    private static ImageSet images(long seed) {
        return Synthetic.generate("gaussian-noise", 300, 1, 8, 8, seed);
    }

    @Test
    void aBackgroundIdenticalToTheModelGivesAConstantLikelihoodRatio() {
        DiagonalGaussian g = DiagonalGaussian.fit(images(1), 0);
        double[] s = new LikelihoodRatioScore(g, g).score(Synthetic.generate("noise", 50, 1, 8, 8, 2));
        assertThat(Arrays.stream(s).distinct().count()).isEqualTo(1);
        assertThat(s[0]).isZero();
    }

    @Test
    void theLikelihoodRatioIsTheModelsBitsPerDimMinusTheBackgrounds() {
        DiagonalGaussian model = DiagonalGaussian.fit(images(1), 0);
        DiagonalGaussian background = DiagonalGaussian.fit(Synthetic.generate("noise", 300, 1, 8, 8, 3), 0);
        ImageSet x = Synthetic.generate("constant", 40, 1, 8, 8, 4);
        double[] s = new LikelihoodRatioScore(model, background).score(x);
        double[] m = model.bitsPerDim(x);
        double[] b = background.bitsPerDim(x);
        for (int i = 0; i < s.length; i++) {
            assertThat(s[i]).isCloseTo(m[i] - b[i], within(1e-12));
        }
        assertThat(s).as("the ratio must vary between images for distinct models").isNotEqualTo(new double[s.length]);
    }

    @Test
    void everyCompressorCodesAConstantImageInFewerBitsThanNoise() {
        ImageSet constant = Synthetic.generate("constant", 5, 1, 28, 28, 1);
        ImageSet noise = Synthetic.generate("noise", 5, 1, 28, 28, 1);
        for (Compressor c : Compressor.values()) {
            for (int i = 0; i < 5; i++) {
                assertThat(c.bits(constant, i)).as(c.id()).isLessThan(c.bits(noise, i));
                // uniform noise cannot be compressed below its entropy, 8 bits a pixel
                assertThat(c.bits(noise, i)).as(c.id()).isGreaterThan(8L * 784);
            }
        }
    }

    @Test
    void bzip2CodesEachImageInAsManyBitsAsAt900kAndDecodesToItsPixels() throws Exception {
        for (ImageSet set : List.of(Synthetic.generate("noise", 3, 3, 32, 32, 4), Synthetic.generate("constant", 2, 1, 28, 28, 5),
                images(6))) {
            for (int i = 0; i < set.size(); i++) {
                java.io.ByteArrayOutputStream at900k = new java.io.ByteArrayOutputStream();
                try (var z = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(at900k, 9)) {
                    z.write(set.image(i));
                }
                byte[] ours = Compressor.BZIP2.compress(set, i);
                assertThat(Compressor.BZIP2.bits(set, i)).isEqualTo(8L * at900k.size());
                try (var in = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream(
                        new java.io.ByteArrayInputStream(ours))) {
                    assertThat(in.readAllBytes()).isEqualTo(set.image(i));
                }
            }
        }
    }

    @Test
    void pngCompressesRgbImagesLosslesslyRoundTripped() throws Exception {
        ImageSet rgb = Synthetic.generate("noise", 2, 3, 4, 5, 7);
        byte[] png = Compressor.PNG.compress(rgb, 1);
        java.awt.image.BufferedImage back = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 5; x++) {
                int p = back.getRGB(x, y);
                assertThat((p >> 16) & 0xff).isEqualTo(rgb.pixel(1, 0, y, x));
                assertThat((p >> 8) & 0xff).isEqualTo(rgb.pixel(1, 1, y, x));
                assertThat(p & 0xff).isEqualTo(rgb.pixel(1, 2, y, x));
            }
        }
    }

    @Test
    void inputComplexityIsMinusLog2POverDMinusTheCodeLengthOverD() {
        KnownDensity p = new KnownDensity();
        ImageSet x = Synthetic.generate("noise", 6, 1, 8, 8, 9);
        for (Compressor c : Compressor.values()) {
            InputComplexityScore score = (InputComplexityScore) Scores.create(InputComplexityScore.nameFor(c), p);
            double[] s = score.score(x);
            double[] lp = p.logProb(x);
            for (int i = 0; i < s.length; i++) {
                double expected = (-lp[i] / Math.log(2) - c.bits(x, i)) / 64.0;
                assertThat(s[i]).as(c.id()).isCloseTo(expected, within(1e-9));
            }
        }
        assertThat(Scores.create("input-complexity", p).name()).isEqualTo("input-complexity");
        assertThat(Scores.create("input-complexity-bzip2", p).name()).isEqualTo("input-complexity-bzip2");
        assertThatThrownBy(() -> Scores.create("input-complexity-lzw", p)).hasMessageContaining("unknown compressor 'lzw'");
    }

    @Test
    void waicOfIdenticalMembersIsTheLikelihoodAndDisagreementRaisesIt() {
        DiagonalGaussian a = DiagonalGaussian.fit(images(1), 0);
        ImageSet x = Synthetic.generate("gaussian-noise", 30, 1, 8, 8, 5);
        double[] waic = new WaicScore(List.of(a, a, a)).score(x);
        double[] bpd = a.bitsPerDim(x);
        for (int i = 0; i < x.size(); i++) {
            assertThat(waic[i]).isCloseTo(bpd[i], within(1e-9));
        }
        DiagonalGaussian b = DiagonalGaussian.fit(Synthetic.generate("noise", 300, 1, 8, 8, 6), 0);
        double[] mixed = new WaicScore(List.of(a, b)).score(x);
        double[] ba = a.bitsPerDim(x);
        double[] bb = b.bitsPerDim(x);
        for (int i = 0; i < x.size(); i++) {
            double meanBpd = (ba[i] + bb[i]) / 2;
            assertThat(mixed[i]).isGreaterThan(meanBpd); // the variance term is positive where they disagree
            double lpa = -ba[i] * 64 * Math.log(2);
            double lpb = -bb[i] * 64 * Math.log(2);
            double var = (lpa - lpb) * (lpa - lpb) / 4;
            assertThat(mixed[i]).isCloseTo(meanBpd + var / (64 * Math.log(2)), within(1e-6 * Math.abs(mixed[i])));
        }
    }

    @Test
    void scoresNeedingRelatedModelsSayHowToTrainThem() {
        DiagonalGaussian g = DiagonalGaussian.fit(images(1), 0);
        assertThatThrownBy(() -> Scores.create("likelihood-ratio", g)).hasMessageContaining("background model");
        assertThatThrownBy(() -> Scores.create("waic", g)).hasMessageContaining("ensemble");
        OodScore lr = Scores.create("likelihood-ratio", g, ScoreOptions.defaults(), RelatedModels.of(g, List.of()));
        assertThat(Units.mean(lr.score(images(2)))).isZero();
    }

    @Test
    void scoresOfOneSetShareOneLikelihoodPass() {
        int[] calls = {0};
        KnownDensity counted = new KnownDensity() {
            @Override
            public double[] logProb(ImageSet images) {
                calls[0]++;
                return super.logProb(images);
            }
        };
        MemoizedDensity m = new MemoizedDensity(counted);
        ImageSet x = Synthetic.generate("noise", 5, 1, 8, 8, 1);
        double[] a = Scores.create("likelihood", m).score(x);
        double[] b = Scores.create("input-complexity", m).score(x);
        assertThat(calls[0]).isEqualTo(1);
        assertThat(a).isEqualTo(counted.bitsPerDim(x));
        assertThat(b[0]).isLessThan(a[0]);
        Scores.create("likelihood", m).score(Synthetic.generate("noise", 5, 1, 8, 8, 2)); // another set: a new pass
        assertThat(calls[0]).isEqualTo(3);
    }
}
