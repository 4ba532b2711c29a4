package densitylab.model.gan;

import densitylab.model.ModelKind;
import densitylab.model.PresetKind;
import densitylab.train.Player;
import densitylab.train.TrainSettings;
import densitylab.train.TrainableModel;
import densitylab.train.Trainer;

import org.slf4j.LoggerFactory;

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

    private static final Map<String, PresetKind<AbstractGan>> KINDS = PresetKind.byName(List.of(
                kind(DCGAN, "DCGAN (Radford et al. 2016): generator and discriminator; logistic loss or WGAN-GP (gp=10), "
                        + "spectral=true; no likelihood, a discriminator score", List.of(GanModel.DISCRIMINATOR)),
                kind(GANOMALY, "GANomaly (Akcay et al. 2018): encoder-decoder-encoder generator and discriminator; "
                        + "latent-distance, reconstruction and discriminator scores",
                        List.of(Ganomaly.LATENT_DISTANCE, Ganomaly.RECONSTRUCTION, GanModel.DISCRIMINATOR))));

    /** Both kinds. */
    public static List<ModelKind> all() {
        return List.copyOf(KINDS.values());
    }

    private static List<String> study(List<String> scores) {
        List<String> s = new java.util.ArrayList<>(scores);
        s.add("combined");
        return s;
    }

    private static PresetKind<AbstractGan> kind(String name, String description, List<String> scores) {
        return PresetKind.<AbstractGan>builder(name, description, (shape, p, seed) -> create(name, shape, p, seed), AbstractGan::restore)
                .defaults(defaults(name)).presets(presets(), "small")
                .learningRate(LEARNING_RATE)
                .stepShareOfBudget(0.97) // no bits/dim to compute after training; standing statistics and 100 samples take seconds
                .noLikelihood().ownScores(scores).defaultScores(scores).studyScores(study(scores))
                .training((m, train, test, s) -> {
                    StringBuilder sizes = new StringBuilder();
                    for (Player p : m.players()) {
                        sizes.append(String.format("%s %,d parameters; ", p.name(), p.parameters().stream().mapToLong(x -> x.getShape().size()).sum()));
                    }
                    LoggerFactory.getLogger(GanKinds.class).info("{}: {}{}", name, sizes, s.params());
                    Trainer.Result r = new Trainer(s).train(m, train, test);
                    m.fixStandingStatistics(train, s.seed());
                    return r;
                }).build();
    }

    private static Map<String, String> defaults(String kind) {
        Map<String, String> d = new LinkedHashMap<>();
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

    /**
     * Sizes: tiny (tests), small (CPU minutes), medium (DCGAN's 64 base filters, 100 latents). Tiny keeps 16 channels
     * in the first layer: with 8, a DCGAN's generator gradients differed between identical calls under libtorch
     * 2.5.1's oneDNN (AVX-512) for 8x8 and 16x16 images, while width 16 and 32 repeated exactly (docs/gans.md).
     */
    private static Map<String, Map<String, String>> presets() {
        Map<String, Map<String, String>> p = new LinkedHashMap<>();
        p.put("tiny", Map.of("latent", "8", "width", "16"));
        p.put("small", Map.of("latent", "64", "width", "32"));
        p.put("medium", Map.of("latent", "100", "width", "64"));
        return p;
    }

    /** Builds an untrained GAN of a kind for a shape [C, H, W]; given params are merged over the preset's. */
    public static TrainableModel build(String kind, int[] shape, Map<String, String> given, long seed) {
        return PresetKind.build(KINDS, "GAN", kind, shape, given, seed);
    }

    private static AbstractGan create(String kind, int[] shape, Map<String, String> p, long seed) {
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
}
