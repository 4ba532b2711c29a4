package densitylab.model.gan;

import densitylab.data.ImageSet;
import densitylab.model.ModelKind;
import densitylab.model.NamedKind;
import densitylab.model.TrainedModel;
import densitylab.nn.ModelFiles;
import densitylab.train.Player;
import densitylab.train.TrainSettings;
import densitylab.train.TrainableModel;
import densitylab.train.Trainer;

import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code dcgan} and {@code ganomaly}: GANs trained by the shared Trainer as two players, sizes as presets. */
public final class GanKinds {
    public static final String DCGAN = "dcgan";
    public static final String GANOMALY = "ganomaly";
    /** DCGAN's learning rate (Radford et al. 2016), GANomaly's too. */
    static final double LEARNING_RATE = 2e-4;

    private GanKinds() {
    }

    /** Both kinds. */
    public static List<ModelKind> all() {
        return List.of(new Kind(DCGAN, "DCGAN (Radford et al. 2016): generator and discriminator; logistic loss or WGAN-GP (gp=10), "
                        + "spectral=true; no likelihood, a discriminator score"),
                new Kind(GANOMALY, "GANomaly (Akcay et al. 2018): encoder-decoder-encoder generator and discriminator; "
                        + "latent-distance, reconstruction and discriminator scores"));
    }

    private static Map<String, String> defaults(String kind) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("preset", "small");
        if (kind.equals(DCGAN)) {
            d.put("spectral", "false");
            d.put("gp", "0");
        } else {
            d.put("w-adv", "1");
            d.put("w-con", "50");
            d.put("w-enc", "1");
        }
        d.put("beta1", "0.5");
        return d;
    }

    /**
     * Sizes: tiny (tests), small (CPU minutes), medium (DCGAN's 64 base filters, 100 latents). Tiny keeps 16 channels
     * in the first layer: with 8, a DCGAN's generator gradients differed between identical calls under libtorch
     * 2.5.1's oneDNN (AVX-512) for 8x8 and 16x16 images, while width 16 and 32 repeated exactly (docs/gans.md).
     */
    private static Map<String, String> preset(String name) {
        return switch (name) {
            case "tiny" -> Map.of("latent", "8", "width", "16");
            case "small" -> Map.of("latent", "64", "width", "32");
            case "medium" -> Map.of("latent", "100", "width", "64");
            default -> throw new IllegalArgumentException("unknown preset '" + name + "'; known: tiny, small, medium");
        };
    }

    /** Builds an untrained GAN of a kind for a shape [C, H, W]; given params are merged over the preset's. */
    public static TrainableModel build(String kind, int[] shape, Map<String, String> given, long seed) {
        return create(kind, shape, given, seed);
    }

    private static AbstractGan create(String kind, int[] shape, Map<String, String> given, long seed) {
        Map<String, String> p = new LinkedHashMap<>(defaults(kind));
        p.putAll(preset(given.getOrDefault("preset", p.get("preset"))));
        p.putAll(given);
        p.put("seed", Long.toString(seed));
        int latent = TrainSettings.intParam(p, "latent");
        int width = TrainSettings.intParam(p, "width");
        double beta1 = TrainSettings.doubleParam(p, "beta1");
        if (latent < 1 || width < 1) {
            throw new IllegalArgumentException("latent and width must be >= 1, got " + latent + " and " + width);
        }
        return switch (kind) {
            case DCGAN -> new Dcgan(shape, p, latent, width, booleanParam(p, "spectral"), TrainSettings.doubleParam(p, "gp"), beta1, seed);
            case GANOMALY -> new Ganomaly(shape, p, latent, width, TrainSettings.doubleParam(p, "w-adv"),
                    TrainSettings.doubleParam(p, "w-con"), TrainSettings.doubleParam(p, "w-enc"), beta1, seed);
            default -> throw new IllegalArgumentException("unknown GAN '" + kind + "'; known: dcgan, ganomaly");
        };
    }

    private static boolean booleanParam(Map<String, String> p, String key) {
        String v = p.get(key);
        if (!"true".equals(v) && !"false".equals(v)) {
            throw new IllegalArgumentException("--param " + key + " must be true or false, got '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }

    private static final class Kind extends NamedKind {
        Kind(String name, String description) {
            super(name, description);
        }

        @Override
        public Map<String, String> defaultParams() {
            Map<String, String> d = new LinkedHashMap<>(defaults(name()));
            d.putAll(preset("small"));
            return d;
        }

        @Override
        public double defaultLearningRate() {
            return LEARNING_RATE;
        }

        /** No bits/dim to compute after training; standing statistics and 100 samples take seconds. */
        @Override
        public double stepShareOfBudget() {
            return 0.97;
        }

        @Override
        public TrainedModel train(ImageSet train, ImageSet test, TrainSettings settings) throws IOException {
            Map<String, String> given = new LinkedHashMap<>(settings.params());
            resolvedParams(settings); // rejects unknown keys
            AbstractGan m = create(name(), train.shape(), given, settings.seed());
            StringBuilder sizes = new StringBuilder();
            for (Player p : m.players()) {
                sizes.append(String.format("%s %,d parameters; ", p.name(), p.parameters().stream().mapToLong(a -> a.getShape().size()).sum()));
            }
            LoggerFactory.getLogger(GanKinds.class).info("{}: {}{}", name(), sizes, given);
            Trainer.Result r = new Trainer(settings).train(m, train, test);
            m.fixStandingStatistics(train, settings.seed());
            return new TrainedModel(m, r);
        }

        @Override
        public GanModel load(Path dir) throws IOException {
            var meta = ModelFiles.readMeta(dir);
            Map<String, String> p = ModelFiles.params(meta);
            AbstractGan m = create(name(), ModelFiles.shape(meta), p, Long.parseLong(p.get("seed")));
            m.restore(dir);
            return m;
        }
    }
}
