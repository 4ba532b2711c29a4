package densitylab.train;

/** Told by the {@link Trainer} after each completed epoch, on the Trainer's thread, with every intra-op thread. */
@FunctionalInterface
public interface EpochListener {
    /**
     * @param epoch the epoch just completed, from 1
     * @param model the model being trained, its parameters as they are now
     */
    void epochEnded(int epoch, TrainableModel model) throws java.io.IOException;
}
