package densitylab.score;

import java.util.Map;

/**
 * A score whose fit learns state from in-distribution images (typicality's mean bits/dim, the combined score's
 * density), which a saved detector keeps as JSON-ready values and restores without the images.
 */
public interface FittedScore extends OodScore {
    /** What fit learned, as maps, lists, numbers and strings. */
    Map<String, Object> fittedState();

    /**
     * Restores what {@link #fittedState()} gave.
     *
     * @throws IllegalArgumentException for a state this score cannot have written, saying what differs
     */
    void restoreState(Map<String, Object> state);
}
