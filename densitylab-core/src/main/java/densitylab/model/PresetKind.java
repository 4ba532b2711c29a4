package densitylab.model;

import densitylab.data.ImageSet;
import densitylab.nn.ModelFiles;
import densitylab.train.TrainSettings;
import densitylab.train.TrainableModel;
import densitylab.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A kind of network trained by the shared {@link Trainer}, whose hyper-parameters are defaults overlaid by a named
 * preset (sizes) and then by the user's: the one kind class of the flows, VAEs, autoregressive models and GANs.
 *
 * @param <M> the model class it builds
 */
public final class PresetKind<M extends GenerativeModel & TrainableModel> implements ModelKind {
    /** Builds an untrained model for an image shape [C, H, W] from complete parameters (defaults, preset, given, seed). */
    @FunctionalInterface
    public interface Factory<M> {
        M build(int[] shape, Map<String, String> params, long seed);
    }

    /** Reads trained weights, written by the model's save, into a freshly built model. */
    @FunctionalInterface
    public interface Restorer<M> {
        void restore(M model, Path dir) throws IOException;
    }

    /** Trains a built model with the Trainer; the default runs {@code new Trainer(settings).train(model, train, test)}. */
    @FunctionalInterface
    public interface Training<M> {
        Trainer.Result train(M model, ImageSet train, ImageSet test, TrainSettings settings) throws IOException;
    }

    private final String name;
    private final String description;
    private final Map<String, String> defaults;
    private final Map<String, Map<String, String>> presets;
    private final String defaultPreset;
    private final Factory<M> factory;
    private final Restorer<M> restorer;
    private final Training<M> training;
    private final Builder<M> traits;

    private PresetKind(Builder<M> b) {
        this.name = b.name;
        this.description = b.description;
        this.defaults = Map.copyOf(b.defaults);
        this.presets = b.presets;
        this.defaultPreset = b.defaultPreset;
        this.factory = b.factory;
        this.restorer = b.restorer;
        this.training = b.training;
        this.traits = b;
    }

    /** A family's kinds by name, in their order. */
    public static <M extends GenerativeModel & TrainableModel> Map<String, PresetKind<M>> byName(List<PresetKind<M>> kinds) {
        Map<String, PresetKind<M>> m = new LinkedHashMap<>();
        kinds.forEach(k -> m.put(k.name(), k));
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * An untrained model of the kind called name among a family's kinds.
     *
     * @param family what the kinds are, for the error ("flow", "GAN")
     * @throws IllegalArgumentException for a name not among them, listing them
     */
    public static <M extends GenerativeModel & TrainableModel> M build(Map<String, PresetKind<M>> kinds, String family, String name,
                                                                       int[] shape, Map<String, String> given, long seed) {
        PresetKind<M> k = kinds.get(name);
        if (k == null) {
            throw new IllegalArgumentException("unknown " + family + " '" + name + "'; known: " + String.join(", ", kinds.keySet()));
        }
        return k.build(shape, given, seed);
    }

    /** A kind called name, built by factory and restored by restorer; the builder sets the rest. */
    public static <M extends GenerativeModel & TrainableModel> Builder<M> builder(String name, String description,
                                                                                  Factory<M> factory, Restorer<M> restorer) {
        return new Builder<>(name, description, factory, restorer);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Map<String, String> defaultParams() {
        Map<String, String> d = new LinkedHashMap<>();
        if (defaultPreset != null) {
            d.put("preset", defaultPreset);
        }
        d.putAll(defaults);
        if (defaultPreset != null) {
            d.putAll(presets.get(defaultPreset));
        }
        return d;
    }

    /**
     * The complete parameters of a model: the defaults, overlaid by the preset's sizes (given's {@code preset} or the
     * default one), then by given, with {@code seed}.
     *
     * @throws IllegalArgumentException for an unknown preset, listing the known ones
     */
    public Map<String, String> resolve(Map<String, String> given, long seed) {
        Map<String, String> p = new LinkedHashMap<>(defaultParams());
        if (defaultPreset != null) {
            String preset = given.getOrDefault("preset", defaultPreset);
            Map<String, String> sizes = presets.get(preset);
            if (sizes == null) {
                throw new IllegalArgumentException("unknown preset '" + preset + "' of " + name + "; known: "
                        + String.join(", ", presets.keySet()));
            }
            p.putAll(sizes);
        }
        p.putAll(given);
        p.put("seed", Long.toString(seed));
        return p;
    }

    /** An untrained model for shape; given parameters are merged over the preset's and the defaults. */
    public M build(int[] shape, Map<String, String> given, long seed) {
        return factory.build(shape, resolve(given, seed), seed);
    }

    @Override
    public TrainedModel train(ImageSet train, ImageSet test, TrainSettings settings) throws IOException {
        resolvedParams(settings); // rejects unknown keys
        M m = build(train.shape(), new LinkedHashMap<>(settings.params()), settings.seed());
        return new TrainedModel(m, training.train(m, train, test, settings));
    }

    @Override
    public M load(Path dir) throws IOException {
        var meta = ModelFiles.readMeta(dir);
        Map<String, String> p = ModelFiles.params(meta);
        M m = build(ModelFiles.shape(meta), p, Long.parseLong(p.get("seed")));
        restorer.restore(m, dir);
        return m;
    }

    @Override
    public double defaultLearningRate() {
        return traits.learningRate;
    }

    @Override
    public double stepShareOfBudget() {
        return traits.stepShare;
    }

    @Override
    public boolean hasLikelihood() {
        return traits.likelihood;
    }

    @Override
    public boolean cheapLikelihood() {
        return traits.likelihood && traits.cheapLikelihood;
    }

    @Override
    public List<String> presets() {
        return List.copyOf(presets.keySet());
    }

    @Override
    public TrainingRecipe recipe() {
        return traits.recipe;
    }

    @Override
    public List<String> ownScores() {
        return traits.ownScores;
    }

    @Override
    public List<String> fittedScores() {
        return traits.fittedScores;
    }

    @Override
    public List<String> defaultScores() {
        return traits.defaultScores != null ? traits.defaultScores : ModelKind.super.defaultScores();
    }

    @Override
    public List<String> studyScores() {
        return traits.studyScores != null ? traits.studyScores : ModelKind.super.studyScores();
    }

    /** Sets a {@link PresetKind}'s parameters and traits; every trait defaults to {@link ModelKind}'s default. */
    public static final class Builder<M extends GenerativeModel & TrainableModel> {
        private final String name;
        private final String description;
        private final Factory<M> factory;
        private final Restorer<M> restorer;
        private Map<String, String> defaults = Map.of();
        private Map<String, Map<String, String>> presets = new LinkedHashMap<>();
        private String defaultPreset;
        private Training<M> training = (m, train, test, s) -> new Trainer(s).train(m, train, test);
        private double learningRate = 1e-3;
        private double stepShare = 0.85;
        private boolean likelihood = true;
        private boolean cheapLikelihood = true;
        private TrainingRecipe recipe = TrainingRecipe.NONE;
        private List<String> ownScores = List.of();
        private List<String> fittedScores = List.of();
        private List<String> defaultScores;
        private List<String> studyScores;

        private Builder(String name, String description, Factory<M> factory, Restorer<M> restorer) {
            this.name = name;
            this.description = description;
            this.factory = factory;
            this.restorer = restorer;
        }

        /** Parameters besides the preset's sizes, with their defaults, in listing order. */
        public Builder<M> defaults(Map<String, String> d) {
            this.defaults = new LinkedHashMap<>(d);
            return this;
        }

        /** Named size presets (in listing order) and the one used when none is given. */
        public Builder<M> presets(Map<String, Map<String, String>> p, String defaultName) {
            if (!p.containsKey(defaultName)) {
                throw new IllegalArgumentException("default preset '" + defaultName + "' is not among " + p.keySet());
            }
            this.presets = new LinkedHashMap<>(p);
            this.defaultPreset = defaultName;
            return this;
        }

        /** How a built model trains (default: the Trainer with the settings as given). */
        public Builder<M> training(Training<M> t) {
            this.training = t;
            return this;
        }

        /** See {@link ModelKind#defaultLearningRate()}. */
        public Builder<M> learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** See {@link ModelKind#stepShareOfBudget()}. */
        public Builder<M> stepShareOfBudget(double share) {
            this.stepShare = share;
            return this;
        }

        /** A kind without a likelihood (GANs). */
        public Builder<M> noLikelihood() {
            this.likelihood = false;
            return this;
        }

        /** A likelihood that costs many network passes (see {@link ModelKind#cheapLikelihood()}). */
        public Builder<M> costlyLikelihood() {
            this.cheapLikelihood = false;
            return this;
        }

        /** See {@link ModelKind#recipe()}. */
        public Builder<M> recipe(TrainingRecipe r) {
            this.recipe = r;
            return this;
        }

        /** See {@link ModelKind#ownScores()}. */
        public Builder<M> ownScores(List<String> names) {
            this.ownScores = List.copyOf(names);
            return this;
        }

        /** See {@link ModelKind#fittedScores()}; each must be among the own scores. */
        public Builder<M> fittedScores(List<String> names) {
            if (!ownScores.containsAll(names)) {
                throw new IllegalArgumentException("fitted scores " + names + " must be among the own scores " + ownScores);
            }
            this.fittedScores = List.copyOf(names);
            return this;
        }

        /** See {@link ModelKind#defaultScores()}. */
        public Builder<M> defaultScores(List<String> names) {
            this.defaultScores = List.copyOf(names);
            return this;
        }

        /** See {@link ModelKind#studyScores()}. */
        public Builder<M> studyScores(List<String> names) {
            this.studyScores = List.copyOf(names);
            return this;
        }

        public PresetKind<M> build() {
            return new PresetKind<>(this);
        }
    }
}
