package densitylab.score;

import densitylab.io.SettingException;
import densitylab.model.DensityModel;

import java.util.List;

/**
 * Models besides the scored one that some scores need: the likelihood-ratio background model and the members of a
 * WAIC ensemble. Implementations load them when first asked for, and say how to train one that is missing.
 */
public interface RelatedModels {
    /** None: every score that needs a related model fails with its remedy. */
    RelatedModels NONE = new RelatedModels() {
        @Override
        public DensityModel background() {
            throw new SettingException("score 'likelihood-ratio' needs a background model: train one with a pixel replacement rate of 0.2", "background");
        }

        @Override
        public List<DensityModel> ensemble() {
            throw new SettingException("score 'waic' needs an ensemble of models: train one of 5 members", "ensemble");
        }
    };

    /** True when {@link #background()} has a model to give. */
    default boolean hasBackground() {
        try {
            background();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The background model of the same kind, trained on perturbed training images (Ren et al. 2019).
     *
     * @throws IllegalArgumentException when there is none, saying how to train one
     */
    DensityModel background();

    /**
     * The ensemble's members, the scored model first.
     *
     * @throws IllegalArgumentException when there is no ensemble, saying how to train one
     */
    List<DensityModel> ensemble();

    /**
     * Other models trained on the same images, by name (their run's folder name), whose statistics join the combined
     * score's; none by default.
     */
    default java.util.Map<String, densitylab.model.GenerativeModel> peers() {
        return java.util.Map.of();
    }

    /** Related models given directly (background may be null; members may be empty). */
    static RelatedModels of(DensityModel background, List<DensityModel> members) {
        return of(background, members, java.util.Map.of());
    }

    /** Related models given directly, with peers for the combined score (in their order). */
    static RelatedModels of(DensityModel background, List<DensityModel> members,
                            java.util.Map<String, densitylab.model.GenerativeModel> peers) {
        java.util.Map<String, densitylab.model.GenerativeModel> copy = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(peers));
        return new RelatedModels() {
            @Override
            public java.util.Map<String, densitylab.model.GenerativeModel> peers() {
                return copy;
            }

            @Override
            public DensityModel background() {
                return background != null ? background : NONE.background();
            }

            @Override
            public List<DensityModel> ensemble() {
                return members.size() >= 2 ? members : NONE.ensemble();
            }
        };
    }
}
