package densitylab.model;

import densitylab.train.Trainer;

/**
 * A freshly trained model and, for models trained by gradient descent, what the {@link Trainer} measured.
 *
 * @param training null for models fitted in closed form or by EM
 */
public record TrainedModel(GenerativeModel model, Trainer.Result training) {
}
