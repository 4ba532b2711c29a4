package densitylab.data;

import java.io.IOException;

/** A data file exists but its content is not what its format promises (wrong magic, truncated, inconsistent). */
public class DataFormatException extends IOException {
    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
