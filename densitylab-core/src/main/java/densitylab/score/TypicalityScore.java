package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.nn.Units;

/**
 * {@code typicality}: the single-input typicality test of Nalisnick et al. (2019b),
 * |bpd(x) - E_train[bpd]|: inputs far from the typical set's likelihood, on either side, are anomalous.
 */
public final class TypicalityScore implements FittedScore {
    private final DensityModel model;
    private double trainMean = Double.NaN;

    public TypicalityScore(DensityModel model) {
        this.model = model;
    }

    @Override
    public String name() {
        return "typicality";
    }

    @Override
    public TypicalityScore fit(ImageSet train) {
        trainMean = Units.mean(model.bitsPerDim(train));
        return this;
    }

    /** Sets the mean training bits/dim that fit would learn (a fitted score restored from a saved detector). */
    public TypicalityScore withTrainMean(double mean) {
        if (!Double.isFinite(mean)) {
            throw new IllegalArgumentException("typicality's training mean must be finite, got " + mean);
        }
        trainMean = mean;
        return this;
    }

    /** {"train_mean": the mean bits/dim learned by fit}. */
    @Override
    public java.util.Map<String, Object> fittedState() {
        return java.util.Map.of("train_mean", trainMean);
    }

    @Override
    public void restoreState(java.util.Map<String, Object> state) {
        if (!(state.get("train_mean") instanceof Number n)) {
            throw new IllegalArgumentException("typicality's state needs a number train_mean, got " + state);
        }
        withTrainMean(n.doubleValue());
    }

    /** The mean training bits/dim learned by fit. */
    public double trainMean() {
        return trainMean;
    }

    @Override
    public double[] score(ImageSet images) {
        if (Double.isNaN(trainMean)) {
            throw new NotFittedException(name());
        }
        double[] b = model.bitsPerDim(images);
        for (int i = 0; i < b.length; i++) {
            b[i] = Math.abs(b[i] - trainMean);
        }
        return b;
    }
}
