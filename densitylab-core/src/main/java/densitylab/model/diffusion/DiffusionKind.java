package densitylab.model.diffusion;

import densitylab.model.ModelKind;
import densitylab.model.PresetKind;
import densitylab.model.TrainingRecipe;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --model ddpm}: a {@link Ddpm} trained with the shared {@link Trainer}. */
public final class DiffusionKind {
    /** The multiscale score's name (Mahmood et al. 2021). */
    public static final String MULTISCALE = "multiscale-score";
    /** The reconstruction score's name (Graham et al. 2023). */
    public static final String RECONSTRUCTION = "diffusion-reconstruction";

    /** Held-out bits/dim after each epoch: a cheaper bound than scoring's. */
    private static final int TRAINING_BOUND_STEPS = 8;

    private static final PresetKind<Ddpm> KIND = PresetKind.<Ddpm>builder("ddpm",
                    "DDPM (Ho et al. 2020): a U-Net noise predictor, its variational bound in bits/dim, DDIM sampling",
                    DiffusionKind::create, Ddpm::restore)
            .defaults(defaults())
            .presets(presets(), "small")
            .costlyLikelihood() // the bound takes bound-steps network passes per image
            .recipe(new TrainingRecipe(200, 1.0))
            .training((m, train, test, s) -> {
                org.slf4j.LoggerFactory.getLogger(DiffusionKind.class).info("ddpm: {} parameters, {}", m.parameterCount(), m.params());
                int k = m.boundSteps();
                m.withBoundSteps(Math.min(k, TRAINING_BOUND_STEPS));
                try {
                    return new Trainer(s).withEvalLimit(500).train(m, train, test);
                } finally {
                    m.withBoundSteps(k);
                }
            })
            .ownScores(List.of(MULTISCALE, RECONSTRUCTION))
            .fittedScores(List.of(MULTISCALE, RECONSTRUCTION))
            .defaultScores(List.of("likelihood", "input-complexity", MULTISCALE))
            .studyScores(List.of("likelihood", "typicality", "input-complexity", "input-complexity-bzip2", MULTISCALE,
                    RECONSTRUCTION, "combined"))
            .build();

    private DiffusionKind() {
    }

    /** The kind. */
    public static ModelKind kind() {
        return KIND;
    }

    /** Builds an untrained DDPM; params are merged over the preset's and the defaults. */
    public static Ddpm build(int[] shape, Map<String, String> given, long seed) {
        return KIND.build(shape, given, seed);
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("timesteps", "1000");
        d.put("schedule", "linear");
        d.put("objective", "simple");
        d.put("bound-steps", "16");
        d.put("sample-steps", "50");
        d.put("score-levels", "10");
        d.put("reconstruction-levels", "0.1,0.25,0.4");
        d.put("reconstruction-steps", "8");
        return d;
    }

    /** Sizes: tiny (tests), small (CPU minutes), medium (an hour or more). */
    private static Map<String, Map<String, String>> presets() {
        Map<String, Map<String, String>> p = new LinkedHashMap<>();
        p.put("tiny", Map.of("width", "8", "levels", "1,2", "blocks", "1", "attention", "false"));
        p.put("small", Map.of("width", "32", "levels", "1,2,2", "blocks", "1", "attention", "false"));
        p.put("medium", Map.of("width", "64", "levels", "1,2,2", "blocks", "2", "attention", "true"));
        return p;
    }

    private static Ddpm create(int[] shape, Map<String, String> p, long seed) {
        double[] levels = numbers(p, "levels", "channel multipliers like 1,2,2");
        int[] mults = new int[levels.length];
        for (int i = 0; i < levels.length; i++) {
            mults[i] = (int) levels[i];
            if (mults[i] != levels[i] || mults[i] < 1) {
                throw new IllegalArgumentException("levels takes whole multipliers >= 1 like 1,2,2, got '" + p.get("levels") + "'");
            }
        }
        int down = 1 << (mults.length - 1);
        if (shape[1] % down != 0 || shape[2] % down != 0) {
            throw new IllegalArgumentException("a U-Net of " + mults.length + " levels needs height and width divisible by " + down
                    + ", got " + shape[1] + "x" + shape[2] + " (resize, or give fewer levels)");
        }
        String attention = p.get("attention");
        if (!attention.equals("true") && !attention.equals("false")) {
            throw new IllegalArgumentException("attention is true or false, got '" + attention + "'");
        }
        UNet net = new UNet(shape[0], TrainSettings.intParam(p, "width"), mults, TrainSettings.intParam(p, "blocks"),
                attention.equals("true"), seed);
        double[] fractions = numbers(p, "reconstruction-levels", "fractions like 0.1,0.25,0.4");
        NoiseSchedule schedule = NoiseSchedule.of(p.get("schedule"), TrainSettings.intParam(p, "timesteps"));
        return new Ddpm(shape, p, schedule, net, p.get("objective"), TrainSettings.intParam(p, "bound-steps"),
                TrainSettings.intParam(p, "sample-steps"), TrainSettings.intParam(p, "score-levels"), fractions,
                TrainSettings.intParam(p, "reconstruction-steps"));
    }

    /** The comma-separated numbers of parameter key, or an error naming it and what it takes. */
    private static double[] numbers(Map<String, String> p, String key, String takes) {
        String[] parts = p.get(key).split(",");
        double[] v = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " takes " + takes + ", got '" + p.get(key) + "'");
            }
        }
        return v;
    }
}
