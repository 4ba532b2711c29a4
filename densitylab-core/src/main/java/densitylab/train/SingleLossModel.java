package densitylab.train;

import java.util.List;

/**
 * A model trained on one loss (flows, VAEs, autoregressive models): it is its own only {@link Player}, named
 * "model", whose loss is -log P(x) in bits per dimension or a bound on it.
 */
public interface SingleLossModel extends TrainableModel, Player {
    @Override
    default List<Player> players() {
        return List.of(this);
    }

    @Override
    default String name() {
        return "model";
    }
}
