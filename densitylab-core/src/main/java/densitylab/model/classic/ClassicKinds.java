package densitylab.model.classic;

import densitylab.data.ImageSet;
import densitylab.model.GenerativeModel;
import densitylab.model.ModelKind;
import densitylab.model.NamedKind;
import densitylab.train.TrainSettings;
import densitylab.model.TrainedModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The classic exact baselines as {@link ModelKind}s: gaussian, ppca, gmm. */
public final class ClassicKinds {
    private ClassicKinds() {
    }

    /** All classic kinds. */
    public static List<ModelKind> all() {
        return List.of(new Kind("gaussian", "independent Gaussian pixels (closed form)", Map.of()) {
            @Override
            public TrainedModel train(ImageSet train, ImageSet test, TrainSettings s) {
                resolvedParams(s);
                return new TrainedModel(DiagonalGaussian.fit(s.perturbedOnce(train), s.seed()), null);
            }

            @Override
            public GenerativeModel load(Path dir) throws IOException {
                return DiagonalGaussian.load(dir);
            }
        }, new Kind("ppca", "probabilistic PCA (closed form, Tipping & Bishop 1999)", Map.of("components", "50")) {
            @Override
            public TrainedModel train(ImageSet train, ImageSet test, TrainSettings s) {
                return new TrainedModel(Ppca.fit(s.perturbedOnce(train), TrainSettings.intParam(resolvedParams(s), "components"), s.seed()), null);
            }

            @Override
            public GenerativeModel load(Path dir) throws IOException {
                return Ppca.load(dir);
            }
        }, new Kind("gmm", "mixture of diagonal Gaussians fitted by EM", Map.of("components", "10", "iterations", "30")) {
            @Override
            public TrainedModel train(ImageSet train, ImageSet test, TrainSettings s) {
                Map<String, String> p = resolvedParams(s);
                return new TrainedModel(GaussianMixture.fit(s.perturbedOnce(train), TrainSettings.intParam(p, "components"),
                        TrainSettings.intParam(p, "iterations"), s.seed()).model(), null);
            }

            @Override
            public GenerativeModel load(Path dir) throws IOException {
                return GaussianMixture.load(dir);
            }
        });
    }

    private abstract static class Kind extends NamedKind {
        private final Map<String, String> params;

        Kind(String name, String description, Map<String, String> params) {
            super(name, description);
            this.params = params;
        }

        @Override
        public Map<String, String> defaultParams() {
            return params;
        }

        /** Fitted in closed form or by EM, in seconds. */
        @Override
        public boolean trainedByGradient() {
            return false;
        }
    }
}
