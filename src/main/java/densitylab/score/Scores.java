package densitylab.score;

import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;

import java.util.List;

/** Builds scores by name for a model, with errors that say which models a score needs. */
public final class Scores {
    /** Every score name this build knows. */
    public static final List<String> NAMES = List.of("likelihood", "typicality");

    private Scores() {
    }

    /** The scores a model supports by default. */
    public static List<String> defaultsFor(GenerativeModel model) {
        return model instanceof DensityModel ? List.of("likelihood", "typicality") : List.of();
    }

    /** The named score for this model (not yet fitted). */
    public static OodScore create(String name, GenerativeModel model) {
        return switch (name) {
            case "likelihood" -> new LikelihoodScore(density(name, model));
            case "typicality" -> new TypicalityScore(density(name, model));
            default -> throw new IllegalArgumentException("unknown score '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    private static DensityModel density(String score, GenerativeModel model) {
        if (model instanceof DensityModel d) {
            return d;
        }
        throw new IllegalArgumentException("score '" + score + "' needs a likelihood, and model '" + model.kind() + "' has none");
    }
}
