package densitylab.io;

import java.util.List;

/**
 * A request that cannot be carried out as given, with the settings (by their API names, e.g. {@code resume},
 * {@code resize}) that would fix it, so that a front end can name them in its own terms (the command line as flags).
 */
public class SettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final List<String> settings;

    /** message says what is wrong in API terms; settings name what would fix it. */
    public SettingException(String message, String... settings) {
        super(message);
        this.settings = List.of(settings);
    }

    /** The settings that would fix the request, by their API names. */
    public List<String> settings() {
        return settings;
    }
}
