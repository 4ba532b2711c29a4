package densitylab.model.gan;

import densitylab.nn.Noise;
import densitylab.train.Player;

import ai.djl.ndarray.NDArray;

import java.util.List;
import java.util.function.BiFunction;

/** One side of a GAN as a {@link Player}: its name, parameters and loss; the loss is no likelihood. */
final class GanPlayer implements Player {
    private final String name;
    private final List<NDArray> parameters;
    private final BiFunction<NDArray, Noise, NDArray> loss;
    private final double beta1;

    GanPlayer(String name, List<NDArray> parameters, BiFunction<NDArray, Noise, NDArray> loss, double beta1) {
        this.name = name;
        this.parameters = List.copyOf(parameters);
        this.loss = loss;
        this.beta1 = beta1;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<NDArray> parameters() {
        return parameters;
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        return loss.apply(batch, noise);
    }

    @Override
    public String lossUnit() {
        return "";
    }

    @Override
    public double adamBeta1() {
        return beta1;
    }
}
