package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;

/** {@code likelihood}: the model's bits/dim, -log P(x) / (D ln 2); low likelihood = anomalous. */
public final class LikelihoodScore implements OodScore {
    private final DensityModel model;

    public LikelihoodScore(DensityModel model) {
        this.model = model;
    }

    @Override
    public String name() {
        return "likelihood";
    }

    @Override
    public double[] score(ImageSet images) {
        return model.bitsPerDim(images);
    }
}
