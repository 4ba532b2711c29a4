package densitylab.model;

import densitylab.data.ImageSet;
import densitylab.nn.Units;
import densitylab.train.SingleLossModel;

import java.util.OptionalDouble;

/** A density model trained by the shared Trainer, which reports its held-out bits/dim after each epoch. */
public interface TrainableDensityModel extends DensityModel, SingleLossModel {
    @Override
    default OptionalDouble heldOutBitsPerDim(ImageSet images) {
        return OptionalDouble.of(Units.mean(bitsPerDim(images)));
    }
}
