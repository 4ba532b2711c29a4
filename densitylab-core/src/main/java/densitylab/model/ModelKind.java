package densitylab.model;

import densitylab.train.TrainSettings;

import densitylab.data.ImageSet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A kind of model the CLI can train and load by name: a factory, not a model. */
public interface ModelKind {
    /** The name used by {@code --model}. */
    String name();

    /** One line for listings and --help. */
    String description();

    /** Hyper-parameters accepted in {@code --param KEY=VALUE}, with their defaults, for help texts and config.json. */
    Map<String, String> defaultParams();

    /**
     * Trains (or fits) a model on train; test is used only to report held-out bits/dim while training.
     *
     * @throws IllegalArgumentException for an unknown or malformed parameter, naming it
     */
    TrainedModel train(ImageSet train, ImageSet test, TrainSettings settings) throws IOException;

    /**
     * The settings' hyper-parameters merged over {@link #defaultParams()}.
     *
     * @throws IllegalArgumentException for a key this kind does not know, listing the known ones
     */
    default Map<String, String> resolvedParams(TrainSettings settings) {
        return settings.resolvedParams(name(), defaultParams());
    }

    /** Adam's peak learning rate when {@code --lr} is not given: 1e-3, or what the model's recipe calls for (GANs: 2e-4). */
    default double defaultLearningRate() {
        return 1e-3;
    }

    /**
     * The share of a {@code train --minutes} budget its training steps get; the rest is for what follows them (the
     * final bits/dim of up to 2 x 2,000 images, which an IWAE(100) VAE takes minutes for, and samples.png).
     */
    default double stepShareOfBudget() {
        return 0.85;
    }

    /** Restores a model written by {@link GenerativeModel#save}. */
    GenerativeModel load(Path dir) throws IOException;
}
