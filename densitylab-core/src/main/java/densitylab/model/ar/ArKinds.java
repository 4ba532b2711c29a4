package densitylab.model.ar;

import densitylab.data.ImageSet;
import densitylab.model.ModelKind;
import densitylab.model.NamedKind;
import densitylab.model.TrainedModel;
import densitylab.nn.ModelFiles;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code pixelcnn} and {@code pixelcnnpp}: autoregressive models with exact likelihoods, sizes as presets. */
public final class ArKinds {
    /** The gated PixelCNN with a 256-way softmax per sub-pixel. */
    public static final String PIXELCNN = "pixelcnn";
    /** PixelCNN++ with the discretized logistic mixture. */
    public static final String PIXELCNNPP = "pixelcnnpp";

    private ArKinds() {
    }

    /** Both kinds. */
    public static List<ModelKind> all() {
        return List.of(new Kind(PIXELCNN, "gated PixelCNN (van den Oord et al. 2016): vertical and horizontal stacks, 256-way softmax per sub-pixel"),
                new Kind(PIXELCNNPP, "PixelCNN++ (Salimans et al. 2017): gated resnets at three resolutions, discretized logistic mixture"));
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("preset", "small");
        d.put("temperature", "1.0");
        return d;
    }

    /**
     * Sizes of the presets. tiny: tests. small: CPU minutes (pixelcnnpp small is the CPU-sized configuration of
     * issue 16's peer: 1 block per resolution, 32 filters, 5 components). medium: for users with more time.
     */
    private static Map<String, String> preset(String kind, String name) {
        boolean pp = kind.equals(PIXELCNNPP);
        return switch (name) {
            case "tiny" -> pp ? Map.of("resnets", "1", "filters", "8", "mixture", "2", "dropout", "0")
                    : Map.of("layers", "2", "filters", "8", "kernel", "3", "head", "16");
            case "small" -> pp ? Map.of("resnets", "1", "filters", "32", "mixture", "5", "dropout", "0")
                    : Map.of("layers", "6", "filters", "32", "kernel", "5", "head", "64");
            case "medium" -> pp ? Map.of("resnets", "2", "filters", "64", "mixture", "10", "dropout", "0")
                    : Map.of("layers", "12", "filters", "64", "kernel", "5", "head", "128");
            default -> throw new IllegalArgumentException("unknown preset '" + name + "'; known: tiny, small, medium");
        };
    }

    /** Builds an untrained model of a kind for a shape [C, H, W]; given params are merged over the preset's. */
    public static AutoregressiveModel build(String kind, int[] shape, Map<String, String> given, long seed) {
        Map<String, String> p = new LinkedHashMap<>(defaults());
        p.putAll(preset(kind, given.getOrDefault("preset", p.get("preset"))));
        p.putAll(given);
        p.put("seed", Long.toString(seed));
        double temperature = TrainSettings.doubleParam(p, "temperature");
        int c = shape[0];
        if (kind.equals(PIXELCNNPP)) {
            LogisticMixturePixels lik = new LogisticMixturePixels(TrainSettings.intParam(p, "mixture"), c);
            int resnets = TrainSettings.intParam(p, "resnets");
            int filters = TrainSettings.intParam(p, "filters");
            double dropout = TrainSettings.doubleParam(p, "dropout");
            return new AutoregressiveModel(kind, shape, p, seed, temperature, lik,
                    f -> new PixelCnnPlusPlus(f, c, resnets, filters, dropout, lik.parameterChannels(c)));
        }
        if (!kind.equals(PIXELCNN)) {
            throw new IllegalArgumentException("unknown autoregressive model '" + kind + "'; known: pixelcnn, pixelcnnpp");
        }
        int layers = TrainSettings.intParam(p, "layers");
        int filters = TrainSettings.intParam(p, "filters");
        int kernel = TrainSettings.intParam(p, "kernel");
        int head = TrainSettings.intParam(p, "head");
        return new AutoregressiveModel(kind, shape, p, seed, temperature, new CategoricalPixels(),
                f -> new GatedPixelCnn(f, c, layers, filters, kernel, head));
    }

    private static final class Kind extends NamedKind {
        Kind(String name, String description) {
            super(name, description);
        }

        @Override
        public Map<String, String> defaultParams() {
            Map<String, String> d = new LinkedHashMap<>(defaults());
            d.putAll(preset(name(), "small"));
            return d;
        }

        @Override
        public TrainedModel train(ImageSet train, ImageSet test, TrainSettings settings) throws IOException {
            Map<String, String> given = new LinkedHashMap<>(settings.params());
            resolvedParams(settings); // rejects unknown keys
            AutoregressiveModel m = build(name(), train.shape(), given, settings.seed());
            LoggerFactory.getLogger(ArKinds.class).info("{}: {} parameters, {}", name(), m.parameterCount(), m.params());
            return new TrainedModel(m, new Trainer(settings).withEvalLimit(500).train(m, train, test));
        }

        @Override
        public AutoregressiveModel load(Path dir) throws IOException {
            var meta = ModelFiles.readMeta(dir);
            Map<String, String> p = ModelFiles.params(meta);
            AutoregressiveModel m = build(name(), ModelFiles.shape(meta), p, Long.parseLong(p.get("seed")));
            m.restore(dir);
            return m;
        }
    }
}
