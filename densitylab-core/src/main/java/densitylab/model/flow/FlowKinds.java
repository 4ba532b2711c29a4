package densitylab.model.flow;

import densitylab.nn.ParamFactory;
import densitylab.data.ImageSet;
import densitylab.model.GenerativeModel;
import densitylab.nn.ModelFiles;
import densitylab.model.ModelKind;
import densitylab.model.NamedKind;
import densitylab.train.TrainSettings;
import densitylab.model.TrainedModel;
import densitylab.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code realnvp} and {@code glow}: multi-scale flows with sizes as parameters and presets. */
public final class FlowKinds {
    private FlowKinds() {
    }

    /** Both flow kinds. */
    public static List<ModelKind> all() {
        return List.of(new Kind("realnvp", "RealNVP (Dinh et al. 2017): checkerboard and channel affine couplings, multi-scale factor-out"),
                new Kind("glow", "Glow (Kingma & Dhariwal 2018): ActNorm, LU 1x1 convolutions, affine couplings, learned split priors"));
    }

    /** Builds an untrained flow of a kind for a shape; params are merged over the kind's defaults. */
    public static FlowModel build(String kind, int[] shape, Map<String, String> given, long seed) {
        Map<String, String> p = new LinkedHashMap<>(defaults(kind));
        String preset = given.getOrDefault("preset", p.get("preset"));
        p.putAll(preset(kind, preset));
        p.putAll(given);
        p.put("seed", Long.toString(seed));
        int levels = TrainSettings.intParam(p, "levels");
        int steps = TrainSettings.intParam(p, "steps");
        int hidden = TrainSettings.intParam(p, "hidden");
        double alpha = TrainSettings.doubleParam(p, "alpha");
        if (levels < 1 || steps < 1 || hidden < 1) {
            throw new IllegalArgumentException("levels, steps and hidden must be >= 1, got " + levels + ", " + steps + ", " + hidden);
        }
        return new FlowModel(kind, shape, p, alpha, f -> kind.equals("glow")
                ? glow(f, shape, levels, steps, hidden) : realNvp(f, shape, levels, steps, hidden), seed);
    }

    private static Map<String, String> defaults(String kind) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("preset", "small");
        d.put("alpha", "0.05");
        return d;
    }

    /** Sizes of the presets: tiny (tests), small (CPU minutes), medium, large (for users with more time). */
    private static Map<String, String> preset(String kind, String name) {
        boolean glow = kind.equals("glow");
        return switch (name) {
            case "tiny" -> Map.of("levels", "2", "steps", "2", "hidden", "16");
            case "small" -> Map.of("levels", "2", "steps", glow ? "4" : "3", "hidden", "48");
            case "medium" -> Map.of("levels", "2", "steps", glow ? "8" : "4", "hidden", "128");
            case "large" -> Map.of("levels", "3", "steps", glow ? "16" : "6", "hidden", "256");
            default -> throw new IllegalArgumentException("unknown preset '" + name + "'; known: tiny, small, medium, large");
        };
    }

    /** Glow: per level a squeeze, steps of (ActNorm, 1x1 conv, coupling), then a learned prior for the half factored out. */
    static MultiScaleFlow glow(ParamFactory f, int[] shape, int levels, int steps, int hidden) {
        List<Transform> lv = new ArrayList<>();
        int[] s = shape;
        for (int l = 0; l < levels; l++) {
            List<Transform> t = new ArrayList<>();
            Squeeze sq = new Squeeze();
            s = sq.outputShape(s);
            t.add(sq);
            for (int k = 0; k < steps; k++) {
                t.add(new ActNorm(f, s[0]));
                t.add(new InvConv1x1Lu(f, s[0]));
                t.add(new AffineCoupling(f, s, AffineCoupling.Mask.CHANNEL, AffineCoupling.Scale.SIGMOID, 0, hidden));
            }
            if (l < levels - 1) {
                t.add(new AffineCoupling(f, s, AffineCoupling.Mask.CHANNEL, AffineCoupling.Scale.EXP, 0, hidden));
                s = new int[] {s[0] / 2, s[1], s[2]};
            }
            lv.add(new CompositeTransform(t));
        }
        return new MultiScaleFlow(shape, lv);
    }

    /**
     * RealNVP: per level steps checkerboard couplings, a squeeze, steps channel couplings (each followed by
     * ActNorm instead of the paper's batch norm), then half factored out; the last level has steps+1
     * checkerboard couplings.
     */
    static MultiScaleFlow realNvp(ParamFactory f, int[] shape, int levels, int steps, int hidden) {
        List<Transform> lv = new ArrayList<>();
        int[] s = shape;
        for (int l = 0; l < levels; l++) {
            List<Transform> t = new ArrayList<>();
            boolean last = l == levels - 1;
            for (int k = 0; k < (last ? steps + 1 : steps); k++) {
                t.add(new AffineCoupling(f, s, AffineCoupling.Mask.CHECKERBOARD, AffineCoupling.Scale.SIGMOID, k % 2, hidden));
                t.add(new ActNorm(f, s[0]));
            }
            if (!last) {
                Squeeze sq = new Squeeze();
                s = sq.outputShape(s);
                t.add(sq);
                for (int k = 0; k < steps; k++) {
                    t.add(new AffineCoupling(f, s, AffineCoupling.Mask.CHANNEL, AffineCoupling.Scale.SIGMOID, k % 2, hidden));
                    t.add(new ActNorm(f, s[0]));
                }
                s = new int[] {s[0] / 2, s[1], s[2]};
            }
            lv.add(new CompositeTransform(t));
        }
        return new MultiScaleFlow(shape, lv);
    }

    private static final class Kind extends NamedKind {
        Kind(String name, String description) {
            super(name, description);
        }

        @Override
        public Map<String, String> defaultParams() {
            Map<String, String> d = new LinkedHashMap<>(defaults(name()));
            d.putAll(preset(name(), "small"));
            return d;
        }

        @Override
        public TrainedModel train(ImageSet train, ImageSet test, TrainSettings settings) throws IOException {
            Map<String, String> given = new LinkedHashMap<>(settings.params());
            resolvedParams(settings); // rejects unknown keys
            FlowModel m = build(name(), train.shape(), given, settings.seed());
            org.slf4j.LoggerFactory.getLogger(FlowKinds.class).info("{}: {} parameters, {}", name(), m.parameterCount(), m.params());
            return new TrainedModel(m, new Trainer(settings).train(m, train, test));
        }

        @Override
        public GenerativeModel load(Path dir) throws IOException {
            var meta = ModelFiles.readMeta(dir);
            Map<String, String> p = ModelFiles.params(meta);
            FlowModel m = build(name(), ModelFiles.shape(meta), p, Long.parseLong(p.get("seed")));
            m.restore(dir);
            return m;
        }
    }
}
