package densitylab.model;

import densitylab.data.ImageSet;

/** A model whose samples can be drawn at a temperature: 1 is the model's own distribution, lower is sharper. */
public interface TemperedSampling {
    /** n images drawn at the given temperature (> 0); the same seed gives the same images. */
    ImageSet sample(int n, long seed, double temperature);
}
