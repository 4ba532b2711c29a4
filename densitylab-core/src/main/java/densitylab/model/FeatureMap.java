package densitylab.model;

import densitylab.data.ImageSet;

/**
 * Images to feature vectors, such as a classifier's last hidden layer: a space in which scores measure how far two
 * images are apart (by Euclidean distance).
 */
public interface FeatureMap extends AutoCloseable {
    /** What the space is, for logs and the signatures of cached scores (e.g. the classifier's cache folder). */
    String name();

    /** The features of every image: images.size() rows of {@link #dims()} values, row-major. */
    float[] features(ImageSet images);

    /** Values per image. */
    int dims();

    /** Frees what the map holds (a network's native memory); by default nothing. */
    @Override
    default void close() {
    }
}
