package densitylab.score;

/** A score that needs {@link OodScore#fit} was asked to score before being fitted. */
public class NotFittedException extends IllegalStateException {
    public NotFittedException(String score) {
        super("score '" + score + "' must be fitted on the in-distribution training data first: call fit(train) before score(x)");
    }
}
