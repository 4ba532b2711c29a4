package densitylab.model.gan;

/** Which statistics a batch normalisation layer uses (see {@link BatchNorms}). */
enum NormMode {
    /** The batch's own statistics (training: a loss keeps no state, so nothing is recorded). */
    TRAIN,
    /** The batch's own statistics, averaged into the standing statistics (after training). */
    RECORD,
    /** The standing statistics: scoring and sampling, so that an image's output does not depend on its batch. */
    STANDING
}
