package densitylab.model;

import densitylab.data.ImageSet;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A trained model of 8-bit images that can draw samples; models with a likelihood extend {@link DensityModel}. Close a
 * model when done with it: networks hold their parameters in native memory that only {@link #close()} frees.
 */
public interface GenerativeModel extends AutoCloseable {
    /** The registry name of the model kind, e.g. "gaussian". */
    String kind();

    /** The image shape [C, H, W] the model was trained on. */
    int[] shape();

    /** n images drawn from the model; the same seed gives the same images. */
    ImageSet sample(int n, long seed);

    /** Writes the model into dir (created if needed) so that {@code ModelKinds.load(dir)} restores it exactly. */
    void save(Path dir) throws IOException;

    /** Frees the model's native memory; the model cannot be used afterwards. Closing twice does nothing. */
    @Override
    default void close() {
    }
}
