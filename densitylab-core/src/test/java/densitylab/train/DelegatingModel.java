package densitylab.train;

import densitylab.data.ImageSet;
import densitylab.model.PixelCategorical;
import densitylab.nn.Noise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.List;
import java.util.OptionalDouble;

/** A test model that delegates to a PixelCategorical (whose loss draws no noise); subclasses alter one behaviour. */
abstract class DelegatingModel implements SingleLossModel {
    final PixelCategorical inner;

    DelegatingModel(int side) {
        inner = new PixelCategorical(new int[] {1, side, side});
    }

    @Override
    public NDManager manager() {
        return inner.manager();
    }

    @Override
    public List<NDArray> parameters() {
        return inner.parameters();
    }

    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        return inner.loss(batch, noise);
    }

    @Override
    public OptionalDouble heldOutBitsPerDim(ImageSet images) {
        return inner.heldOutBitsPerDim(images);
    }
}
