package densitylab.train;

import java.util.List;

/**
 * The loss became NaN or infinite; the message says where, which checkpoint is the last good one, and what to try,
 * and {@link #settings()} names the training settings that may help (by their API names).
 */
public class TrainingDivergedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final List<String> settings;

    public TrainingDivergedException(String message, List<String> settings) {
        super(message);
        this.settings = List.copyOf(settings);
    }

    /** The settings that may help: resume (from the last good checkpoint), lr, clip, warmup. */
    public List<String> settings() {
        return settings;
    }
}
