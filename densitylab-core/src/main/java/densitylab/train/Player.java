package densitylab.train;

import densitylab.nn.Noise;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * One participant in training: its own parameters, its own Adam moments and its own loss. A likelihood model is
 * one player ({@link SingleLossModel}); a GAN has two, a discriminator and a generator, which take alternating
 * steps on every batch in the order of {@link TrainableModel#players()}.
 *
 * <p>What the Trainer promises a player: on each batch it computes the gradient of {@link #loss} (on one thread,
 * or on two that take half the batch each) and takes one Adam step on {@link #parameters()} with this player's
 * moments. While it does, the other players' parameters do not require gradients, so a loss may read them (a
 * generator's loss goes through the discriminator) without changing their gradients. A player may also compute
 * what it does not train without autograd (the discriminator's loss needs the generator's samples, not their
 * gradient), which saves recording and memory, but need not.
 */
public interface Player {
    /** A short name for progress bars, logs, checkpoints and results, e.g. "model", "discriminator", "generator". */
    String name();

    /** The parameters this player's steps update, in a fixed order (checkpoints rely on it), with gradients required. */
    List<NDArray> parameters();

    /**
     * This player's training loss of a batch of raw pixel values (float32, 0..255, shape (B, C, H, W)) as a
     * scalar mean over the batch, with every random draw taken from noise. Every intermediate array must belong to
     * the batch's manager (write {@code batch.mul(param)}). The Trainer may call it from two threads at once on two
     * halves of a batch: it must only read the model's arrays and keep no state between calls.
     */
    NDArray loss(NDArray batch, Noise noise);

    /**
     * True for a player that learns from the images' labels (a classifier): the Trainer then calls
     * {@link #loss(NDArray, NDArray, Noise)} and refuses a training set without labels. Default false.
     */
    default boolean needsLabels() {
        return false;
    }

    /**
     * The loss of a labelled batch, under the same rules as {@link #loss(NDArray, Noise)}; labels are the batch's
     * class indices (B), int32, in the batch's manager. Called only when {@link #needsLabels()}; the default ignores
     * the labels.
     */
    default NDArray loss(NDArray batch, NDArray labels, Noise noise) {
        return loss(batch, noise);
    }

    /**
     * The unit of {@link #loss} in progress bars and logs: "bpd" (the default) for -log P(x) in bits per dimension
     * or a bound on it, "" for a loss that is no likelihood.
     */
    default String lossUnit() {
        return "bpd";
    }

    /**
     * The most images one {@link #loss} call should see, or 0 (the default) for no limit. A larger batch (or
     * worker's half of it) is split into passes of at most this many images whose gradients accumulate, so the
     * gradient is the whole batch's; each pass draws its own noise. For players whose activations per image are
     * large (many decodes per image): keeping each tensor well below glibc's 64 MiB arena heap keeps it out of
     * mmap, which would page-fault it in afresh on every pass.
     */
    default int maxImagesPerLoss() {
        return 0;
    }

    /** Adam's first-moment decay for this player's steps: 0.9 by default; DCGAN's recipe uses 0.5. */
    default double adamBeta1() {
        return 0.9;
    }
}
