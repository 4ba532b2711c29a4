package densitylab.data;

import java.io.IOException;
import java.util.List;

/** No source could supply a verified copy of a data file; the message lists every source tried, why it failed, and the remedy. */
public class FetchException extends IOException {
    private final List<String> attempts;

    public FetchException(String message, List<String> attempts) {
        super(message);
        this.attempts = List.copyOf(attempts);
    }

    /** One line per source tried: "source: reason". */
    public List<String> attempts() {
        return attempts;
    }
}
