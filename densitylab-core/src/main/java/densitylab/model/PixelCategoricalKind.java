package densitylab.model;

import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import densitylab.data.ImageSet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** {@code --model pixel-categorical}: {@link PixelCategorical} trained with the shared {@link Trainer}. */
public final class PixelCategoricalKind implements ModelKind {
    @Override
    public String name() {
        return "pixel-categorical";
    }

    @Override
    public String description() {
        return "independent 256-way categorical pixels, trained by Adam with the shared Trainer";
    }

    @Override
    public Map<String, String> defaultParams() {
        return Map.of();
    }

    @Override
    public TrainedModel train(ImageSet train, ImageSet test, TrainSettings settings) throws IOException {
        resolvedParams(settings);
        PixelCategorical m = new PixelCategorical(train.shape());
        return new TrainedModel(m, new Trainer(settings).train(m, train, test));
    }

    @Override
    public GenerativeModel load(Path dir) throws IOException {
        return PixelCategorical.load(dir);
    }
}
