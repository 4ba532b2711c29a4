package densitylab.detect;

import java.io.IOException;

/** A detector bundle that cannot be loaded: truncated, changed, of another format version, or not a bundle at all. */
public class DetectorBundleException extends IOException {
    public DetectorBundleException(String message) {
        super(message);
    }

    public DetectorBundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
