package densitylab.train;

import densitylab.nn.Noise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import densitylab.data.ImageSet;

import java.util.List;
import java.util.OptionalDouble;

/**
 * A model trained by gradient descent with the shared {@link Trainer}: its parameters live in
 * {@link #manager()} and are updated in place. The contract asks for a loss, not a likelihood; a model with
 * an exact likelihood or a bound on it reports held-out bits/dim through {@link #heldOutBitsPerDim}.
 */
public interface TrainableModel {
    /** The manager that owns the parameters. */
    NDManager manager();

    /** The trainable parameters, in a fixed order (checkpoints rely on it), with gradients required. */
    List<NDArray> parameters();

    /**
     * Every array of the model that a forward pass reads: the parameters and any constants (masks,
     * permutations). The Trainer temp-attaches them to each batch's scope, so that an op whose first operand
     * is one of them leaves its result in the scope, not in {@link #manager()} for the rest of the run.
     * Default: {@link #parameters()}, for models without constants.
     */
    default List<NDArray> scopeArrays() {
        return parameters();
    }

    /**
     * The training loss of a batch of raw pixel values (float32, 0..255, shape (B, C, H, W)) as a scalar:
     * the mean over the batch of -log P(x) in bits per dimension (or the model's bound on it), with every
     * random draw taken from noise. Every intermediate array must belong to the batch's manager (write
     * {@code batch.mul(param)}). The Trainer may call it from two threads at once on two halves of a batch:
     * it must only read the model's arrays and keep no state between calls.
     */
    NDArray loss(NDArray batch, Noise noise);

    /**
     * The most images one {@link #loss} call should see, or 0 (the default) for no limit. A larger batch (or
     * worker's half of it) is split into passes of at most this many images whose gradients accumulate, so the
     * gradient is the whole batch's; each pass draws its own noise. For models whose activations per image are
     * large (many decodes per image): keeping each tensor well below glibc's 64 MiB arena heap keeps it out of
     * mmap, which would page-fault it in afresh on every pass.
     */
    default int maxImagesPerLoss() {
        return 0;
    }

    /**
     * Called once with the first training batch before any step (data-dependent initialisation), on the
     * Trainer's thread; default: nothing.
     */
    default void initialize(NDArray firstBatch, Noise noise) {
    }

    /**
     * The held-out measure the Trainer reports after each epoch: the mean over images of -log P(x) in bits per
     * dimension (or the model's bound on it); empty (the default) for a model without a likelihood.
     */
    default OptionalDouble heldOutBitsPerDim(ImageSet images) {
        return OptionalDouble.empty();
    }
}
