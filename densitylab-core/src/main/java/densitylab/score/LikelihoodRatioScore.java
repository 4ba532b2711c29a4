package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;

/**
 * {@code likelihood-ratio} (Ren et al. 2019): log p_background(x) - log p_model(x), in bits/dim. The background model
 * is the same model trained on images whose pixels were replaced by uniform noise at a rate mu, so it learns the
 * population-level statistics (smoothness, the share of background pixels) that dominate log p_model; what is left
 * after subtracting it is the semantic part. Higher = more anomalous.
 */
public final class LikelihoodRatioScore implements OodScore {
    private final DensityModel model;
    private final DensityModel background;

    public LikelihoodRatioScore(DensityModel model, DensityModel background) {
        if (!java.util.Arrays.equals(model.shape(), background.shape())) {
            throw new IllegalArgumentException("the background model's shape " + java.util.Arrays.toString(background.shape())
                    + " differs from the model's " + java.util.Arrays.toString(model.shape()));
        }
        this.model = model;
        this.background = background;
    }

    @Override
    public String name() {
        return "likelihood-ratio";
    }

    @Override
    public double[] score(ImageSet images) {
        double[] bpd = model.bitsPerDim(images);
        double[] bg = background.bitsPerDim(images);
        for (int i = 0; i < bpd.length; i++) {
            bpd[i] -= bg[i]; // bpd = -log2 p / D, so this is (log2 p_bg - log2 p_model) / D
        }
        return bpd;
    }
}
