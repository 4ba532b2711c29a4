package densitylab.audit;

import densitylab.data.ImageSet;

import java.util.Locale;

/** The audit classifier's penultimate layer as features, compared by Euclidean distance. */
public final class ClassifierSpace implements FeatureSpace {
    private final Classifier classifier;
    private final double accuracy;

    /** @param accuracy the classifier's held-out accuracy, for the description (NaN when unknown) */
    public ClassifierSpace(Classifier classifier, double accuracy) {
        this.classifier = classifier;
        this.accuracy = accuracy;
    }

    @Override
    public String name() {
        return "classifier";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "the %d ReLU features before the last layer of a small CNN classifier trained on the "
                + "training set's labels%s, compared by Euclidean distance", Classifier.FEATURES,
                Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, " (held-out accuracy %.3f)", accuracy));
    }

    @Override
    public Features embed(ImageSet images) {
        return classifier.embed(images);
    }
}
