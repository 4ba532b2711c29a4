package densitylab.model.vae;

import densitylab.data.ImageSet;
import densitylab.nn.ModelFiles;
import densitylab.model.ModelKind;
import densitylab.train.TrainSettings;
import densitylab.model.TrainedModel;
import densitylab.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --model vae}: a {@link ConvVae} trained with the shared {@link Trainer}. */
public final class VaeKind implements ModelKind {
    @Override
    public String name() {
        return "vae";
    }

    @Override
    public String description() {
        return "convolutional VAE with a discrete pixel decoder; ELBO or forward-KL (reweighted wake-sleep) training";
    }

    @Override
    public Map<String, String> defaultParams() {
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

    /** Builds an untrained VAE; params are merged over the defaults. */
    public static ConvVae build(int[] shape, Map<String, String> given, long seed) {
        Map<String, String> p = new LinkedHashMap<>(new VaeKind().defaultParams());
        p.putAll(given);
        p.put("seed", Long.toString(seed));
        PixelDecoder dec = switch (p.get("decoder")) {
            case "categorical" -> new Categorical256();
            case "logistic" -> new DiscretizedLogistic(TrainSettings.intParam(p, "mixture"));
            case "bernoulli" -> new Bernoulli();
            default -> throw new IllegalArgumentException("unknown decoder '" + p.get("decoder") + "'; known: categorical, logistic, bernoulli");
        };
        return new ConvVae(shape, p, dec, TrainSettings.intParam(p, "latent"), TrainSettings.intParam(p, "width"),
                p.get("objective"), TrainSettings.intParam(p, "samples"), TrainSettings.intParam(p, "eval-samples"), seed);
    }

    @Override
    public TrainedModel train(ImageSet train, ImageSet test, TrainSettings settings) throws IOException {
        resolvedParams(settings);
        ConvVae m = build(train.shape(), settings.params(), settings.seed());
        int k = m.evalSamples();
        m.withEvalSamples(Math.min(k, 10)); // held-out bits/dim during training: a cheaper IWAE
        Trainer.Result r = new Trainer(settings).withEvalLimit(500).train(m, train, test);
        m.withEvalSamples(k);
        return new TrainedModel(m, r);
    }

    @Override
    public ConvVae load(Path dir) throws IOException {
        var meta = ModelFiles.readMeta(dir);
        Map<String, String> p = new LinkedHashMap<>(ModelFiles.params(meta));
        if ("logistic".equals(p.get("decoder")) && !p.containsKey("mixture")) {
            throw new IOException(dir + " holds a VAE saved before the logistic decoder became a mixture (2 outputs per"
                    + " pixel instead of 3 per component); retrain it with this version");
        }
        ConvVae m = build(ModelFiles.shape(meta), p, Long.parseLong(p.get("seed")));
        m.restore(dir);
        return m;
    }
}
