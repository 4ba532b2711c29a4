package densitylab.model.ar;

import densitylab.model.ModelKind;
import densitylab.model.PresetKind;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import org.slf4j.LoggerFactory;

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

    private static final Map<String, PresetKind<AutoregressiveModel>> KINDS = PresetKind.byName(List.of(
                kind(PIXELCNN, "gated PixelCNN (van den Oord et al. 2016): vertical and horizontal stacks, 256-way softmax per sub-pixel"),
                kind(PIXELCNNPP, "PixelCNN++ (Salimans et al. 2017): gated resnets at three resolutions, discretized logistic mixture")));

    /** Both kinds. */
    public static List<ModelKind> all() {
        return List.copyOf(KINDS.values());
    }

    private static PresetKind<AutoregressiveModel> kind(String name, String description) {
        return PresetKind.<AutoregressiveModel>builder(name, description, (shape, p, seed) -> create(name, shape, p, seed),
                        AutoregressiveModel::restore)
                .defaults(Map.of("temperature", "1.0")).presets(presets(name), "small")
                .training((m, train, test, s) -> {
                    LoggerFactory.getLogger(ArKinds.class).info("{}: {} parameters, {}", name, m.parameterCount(), m.params());
                    return new Trainer(s).withEvalLimit(500).train(m, train, test);
                }).build();
    }

    /**
     * Sizes of the presets. tiny: tests. small: CPU minutes (pixelcnnpp small is the CPU-sized configuration of
     * issue 16's peer: 1 block per resolution, 32 filters, 5 components). medium: for users with more time.
     */
    private static Map<String, Map<String, String>> presets(String kind) {
        boolean pp = kind.equals(PIXELCNNPP);
        Map<String, Map<String, String>> p = new LinkedHashMap<>();
        p.put("tiny", pp ? Map.of("resnets", "1", "filters", "8", "mixture", "2", "dropout", "0")
                : Map.of("layers", "2", "filters", "8", "kernel", "3", "head", "16"));
        p.put("small", pp ? Map.of("resnets", "1", "filters", "32", "mixture", "5", "dropout", "0")
                : Map.of("layers", "6", "filters", "32", "kernel", "5", "head", "64"));
        p.put("medium", pp ? Map.of("resnets", "2", "filters", "64", "mixture", "10", "dropout", "0")
                : Map.of("layers", "12", "filters", "64", "kernel", "5", "head", "128"));
        return p;
    }

    /** Builds an untrained model of a kind for a shape [C, H, W]; given params are merged over the preset's. */
    public static AutoregressiveModel build(String kind, int[] shape, Map<String, String> given, long seed) {
        return PresetKind.build(KINDS, "autoregressive model", kind, shape, given, seed);
    }

    private static AutoregressiveModel create(String kind, int[] shape, Map<String, String> p, long seed) {
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
}
