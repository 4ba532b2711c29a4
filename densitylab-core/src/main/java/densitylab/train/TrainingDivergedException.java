package densitylab.train;

/** The loss became NaN or infinite; the message says where, which checkpoint is the last good one, and what to try. */
public class TrainingDivergedException extends IllegalStateException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
