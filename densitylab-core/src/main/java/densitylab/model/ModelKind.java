package densitylab.model;

import densitylab.train.TrainSettings;

import densitylab.data.ImageSet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A kind of model that can be trained and loaded by name: a factory, not a model. It also carries what the rest of
 * densitylab needs to know about the kind (whether it has a likelihood, how it trains, which scores it computes), so
 * that a new family needs no edit outside its own package and the registry.
 */
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

    /** True when the kind's models have a likelihood ({@link DensityModel}) and so bits/dim. */
    default boolean hasLikelihood() {
        return true;
    }

    /**
     * True when the likelihood is exact and as cheap as one network pass (flows, autoregressive models, the closed-form
     * baselines); false for an estimate that costs many passes (a VAE's importance-weighted bound).
     */
    default boolean cheapLikelihood() {
        return hasLikelihood();
    }

    /**
     * True for networks trained by gradient steps under a time budget (worth a WAIC ensemble and a training recipe);
     * false for closed-form or EM fits that take seconds.
     */
    default boolean trainedByGradient() {
        return true;
    }

    /** Values of the {@code preset} parameter (empty when the kind has no presets). */
    default List<String> presets() {
        return List.of();
    }

    /** Warm-up and gradient clipping the kind trains well with (what {@code reproduce} uses); none by default. */
    default TrainingRecipe recipe() {
        return TrainingRecipe.NONE;
    }

    /**
     * Scores the kind's models compute themselves, by name ({@link OwnScores}), beyond those every likelihood
     * supports (likelihood, typicality, input complexity, likelihood ratio, WAIC).
     */
    default List<String> ownScores() {
        return List.of();
    }

    /**
     * The own scores that are fitted on in-distribution images before they score ({@link OwnScores#derivedScore}),
     * a subset of {@link #ownScores()}; default none.
     */
    default List<String> fittedScores() {
        return List.of();
    }

    /** The scores computed when none are named. */
    default List<String> defaultScores() {
        return hasLikelihood() ? List.of("likelihood", "typicality", "input-complexity") : List.of();
    }

    /**
     * Every score worth comparing in a study of the kind (what {@code reproduce} evaluates), besides the likelihood
     * ratio and WAIC, which depend on the related models a run holds.
     */
    default List<String> studyScores() {
        List<String> s = new ArrayList<>();
        if (hasLikelihood()) {
            s.addAll(List.of("likelihood", "typicality", "input-complexity", "input-complexity-bzip2"));
        }
        s.add("combined");
        return s;
    }
}
