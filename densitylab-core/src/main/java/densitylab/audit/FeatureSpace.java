package densitylab.audit;

import densitylab.data.ImageSet;

/** A space in which images are compared: pixels, a classifier's features, a VAE's codes. */
public interface FeatureSpace {
    /** A short name for tables and files: "pixel", "classifier", "vae-encoder". */
    String name();

    /** One sentence for the report: what a feature is and how two are compared. */
    String description();

    /**
     * The features of every image, in order.
     *
     * @throws IllegalArgumentException when the images do not have the shape the space takes
     */
    Features embed(ImageSet images);
}
