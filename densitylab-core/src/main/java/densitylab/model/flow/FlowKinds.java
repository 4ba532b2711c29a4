package densitylab.model.flow;

import densitylab.model.ModelKind;
import densitylab.model.PresetKind;
import densitylab.model.TrainingRecipe;
import densitylab.nn.ParamFactory;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code realnvp} and {@code glow}: multi-scale flows with sizes as parameters and presets. */
public final class FlowKinds {
    private FlowKinds() {
    }

    /** Warm-up and clipping that keep a flow's first steps stable (a 30-minute Glow diverged without them). */
    static final TrainingRecipe RECIPE = new TrainingRecipe(200, 50);

    private static final Map<String, PresetKind<FlowModel>> KINDS = PresetKind.byName(List.of(
                kind("realnvp", "RealNVP (Dinh et al. 2017): checkerboard and channel affine couplings, multi-scale factor-out"),
                kind("glow", "Glow (Kingma & Dhariwal 2018): ActNorm, LU 1x1 convolutions, affine couplings, learned split priors")));

    /** Both flow kinds. */
    public static List<ModelKind> all() {
        return List.copyOf(KINDS.values());
    }

    private static PresetKind<FlowModel> kind(String name, String description) {
        return PresetKind.<FlowModel>builder(name, description, (shape, p, seed) -> create(name, shape, p, seed), FlowModel::restore)
                .defaults(Map.of("alpha", "0.05")).presets(presets(name), "small").recipe(RECIPE)
                .training((m, train, test, s) -> {
                    org.slf4j.LoggerFactory.getLogger(FlowKinds.class).info("{}: {} parameters, {}", name, m.parameterCount(), m.params());
                    return new Trainer(s).train(m, train, test);
                }).build();
    }

    /** Builds an untrained flow of a kind for a shape; params are merged over the kind's defaults. */
    public static FlowModel build(String kind, int[] shape, Map<String, String> given, long seed) {
        return PresetKind.build(KINDS, "flow", kind, shape, given, seed);
    }

    private static FlowModel create(String kind, int[] shape, Map<String, String> p, long seed) {
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

    /** Sizes of the presets: tiny (tests), small (CPU minutes), medium, large (for users with more time). */
    private static Map<String, Map<String, String>> presets(String kind) {
        boolean glow = kind.equals("glow");
        Map<String, Map<String, String>> p = new LinkedHashMap<>();
        p.put("tiny", Map.of("levels", "2", "steps", "2", "hidden", "16"));
        p.put("small", Map.of("levels", "2", "steps", glow ? "4" : "3", "hidden", "48"));
        p.put("medium", Map.of("levels", "2", "steps", glow ? "8" : "4", "hidden", "128"));
        p.put("large", Map.of("levels", "3", "steps", glow ? "16" : "6", "hidden", "256"));
        return p;
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
}
