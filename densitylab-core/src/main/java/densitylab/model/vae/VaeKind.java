package densitylab.model.vae;

import densitylab.model.ModelKind;
import densitylab.model.PresetKind;
import densitylab.nn.ModelFiles;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --model vae}: a {@link ConvVae} trained with the shared {@link Trainer}. */
public final class VaeKind {
    private static final PresetKind<ConvVae> KIND = PresetKind.<ConvVae>builder("vae",
                    "convolutional VAE with a discrete pixel decoder; ELBO or forward-KL (reweighted wake-sleep) training",
                    VaeKind::create, VaeKind::restore)
            .defaults(defaults())
            .costlyLikelihood() // log P(x) is an importance-weighted estimate over eval-samples decodes
            .training((m, train, test, s) -> {
                int k = m.evalSamples();
                m.withEvalSamples(Math.min(k, 10)); // held-out bits/dim during training: a cheaper IWAE
                Trainer.Result r = new Trainer(s).withEvalLimit(500).train(m, train, test);
                m.withEvalSamples(k);
                return r;
            })
            .ownScores(VaeScores.NAMES)
            // its likelihood is already the IWAE estimate; iwae (another K) and the slow likelihood regret are asked for
            .defaultScores(List.of("likelihood", "elbo", "reconstruction", "input-complexity"))
            .studyScores(studyScores())
            .build();

    private VaeKind() {
    }

    /** The kind. */
    public static ModelKind kind() {
        return KIND;
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("latent", "32");
        d.put("width", "32");
        d.put("decoder", "categorical");
        d.put("mixture", "5");
        d.put("objective", "elbo");
        d.put("samples", "5");
        d.put("eval-samples", "100");
        return d;
    }

    private static List<String> studyScores() {
        List<String> s = new ArrayList<>(List.of("likelihood", "typicality", "input-complexity", "input-complexity-bzip2"));
        s.addAll(List.of("elbo", "reconstruction", "likelihood-regret", "likelihood-regret-encoder", "combined"));
        return s;
    }

    /** Builds an untrained VAE; params are merged over the defaults. */
    public static ConvVae build(int[] shape, Map<String, String> given, long seed) {
        return KIND.build(shape, given, seed);
    }

    private static ConvVae create(int[] shape, Map<String, String> p, long seed) {
        PixelDecoder dec = switch (p.get("decoder")) {
            case "categorical" -> new Categorical256();
            case "logistic" -> new DiscretizedLogistic(TrainSettings.intParam(p, "mixture"));
            case "bernoulli" -> new Bernoulli();
            default -> throw new IllegalArgumentException("unknown decoder '" + p.get("decoder") + "'; known: categorical, logistic, bernoulli");
        };
        return new ConvVae(shape, p, dec, TrainSettings.intParam(p, "latent"), TrainSettings.intParam(p, "width"),
                p.get("objective"), TrainSettings.intParam(p, "samples"), TrainSettings.intParam(p, "eval-samples"), seed);
    }

    private static void restore(ConvVae m, Path dir) throws IOException {
        Map<String, String> saved = ModelFiles.params(ModelFiles.readMeta(dir)); // as saved, before defaults fill gaps
        if ("logistic".equals(saved.get("decoder")) && !saved.containsKey("mixture")) {
            throw new IOException(dir + " holds a VAE saved before the logistic decoder became a mixture (2 outputs per"
                    + " pixel instead of 3 per component); retrain it with this version");
        }
        m.restore(dir);
    }
}
