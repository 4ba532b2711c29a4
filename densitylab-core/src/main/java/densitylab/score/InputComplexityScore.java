package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;

/**
 * {@code input-complexity} (Serra et al. 2020): S(x) = -log2 P(x) - L(x), with L(x) the length in bits of x
 * compressed losslessly by a general-purpose compressor; both terms are divided by the image's dimension D, so the
 * score is bits/dim(x) - L(x)/D. Simple images (constant, mostly background) have high likelihood and short codes;
 * subtracting the code length compares the model with a generic compressor: in-distribution inputs, which the model
 * codes in far fewer bits than the compressor, get low scores. Higher = more anomalous. The compressor is named in the score:
 * {@code input-complexity} (PNG), {@code input-complexity-bzip2}, {@code input-complexity-deflate}.
 */
public final class InputComplexityScore implements OodScore {
    private final DensityModel model;
    private final Compressor compressor;

    public InputComplexityScore(DensityModel model, Compressor compressor) {
        this.model = model;
        this.compressor = compressor;
    }

    /** The score name for a compressor: {@code input-complexity} for the best-filter PNG, else {@code input-complexity-ID}. */
    public static String nameFor(Compressor c) {
        return c == Compressor.PNG_BEST ? "input-complexity" : "input-complexity-" + c.id();
    }

    @Override
    public String name() {
        return nameFor(compressor);
    }

    /** L(x)/D of every image: the compressed length in bits per dimension. */
    public double[] complexity(ImageSet images) {
        return complexity(images, compressor);
    }

    /** L(x)/D of every image under compressor c: the compressed length in bits per dimension. */
    public static double[] complexity(ImageSet images, Compressor c) {
        double[] out = new double[images.size()];
        java.util.stream.IntStream.range(0, out.length).parallel()
                .forEach(i -> out[i] = c.bits(images, i) / (double) images.dims());
        return out;
    }

    @Override
    public double[] score(ImageSet images) {
        double[] s = model.bitsPerDim(images);
        double[] l = complexity(images);
        for (int i = 0; i < s.length; i++) {
            s[i] -= l[i];
        }
        return s;
    }
}
