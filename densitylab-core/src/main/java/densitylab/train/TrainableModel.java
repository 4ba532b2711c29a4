package densitylab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import densitylab.data.ImageSet;
import densitylab.nn.Noise;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A model trained by gradient descent with the shared {@link Trainer}: one or more {@link Player}s, each with
 * its own parameters, Adam moments and loss, taking one step each on every batch in the order of
 * {@link #players()}. All parameters live in {@link #manager()} and are updated in place.
 *
 * <p>The contract asks for losses, not a likelihood: a model with an exact likelihood or a bound on it reports
 * held-out bits/dim through {@link #heldOutBitsPerDim}; a GAN reports none. A model with one loss implements
 * {@link SingleLossModel} and is its own only player.
 *
 * <p>Checkpoints hold every player's parameters (in player order), then the {@link #buffers()}, then each
 * player's two Adam moment vectors; for a single player without buffers that is the layout of checkpoints
 * written before players existed, which therefore still resume.
 */
public interface TrainableModel {
    /** The manager that owns the parameters. */
    NDManager manager();

    /** The players, in the order they step on each batch; at least one, with distinct names. */
    List<Player> players();

    /**
     * Every array of the model that a forward pass reads: every player's parameters, the buffers and any
     * constants (masks, permutations). The Trainer temp-attaches them to each batch's scope, so that an op whose
     * first operand is one of them leaves its result in the scope, not in {@link #manager()} for the rest of the
     * run. Default: the players' parameters and the buffers.
     */
    default List<NDArray> scopeArrays() {
        List<NDArray> all = new ArrayList<>();
        for (Player p : players()) {
            all.addAll(p.parameters());
        }
        all.addAll(buffers());
        return all;
    }

    /**
     * State that is not trained by gradient but changes during training (a spectral norm's power-iteration
     * vectors), updated only by {@link #afterStep}; checkpoints save and restore it so that a resumed run
     * repeats exactly. Default: none.
     */
    default List<NDArray> buffers() {
        return List.of();
    }

    /**
     * Called on the Trainer's thread after each Adam step of player (its parameters updated, gradients zeroed),
     * inside the batch's scope; the place to update {@link #buffers()} in place. Default: nothing.
     */
    default void afterStep(Player player, NDManager scope) {
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
