package densitylab.model;

/**
 * Training settings a model kind is known to train well with, beside its learning rate.
 *
 * @param warmup linear learning-rate warm-up steps
 * @param clip   global gradient-norm clipping (0 = none)
 */
public record TrainingRecipe(int warmup, double clip) {
    /** No warm-up, no clipping. */
    public static final TrainingRecipe NONE = new TrainingRecipe(0, 0);
}
