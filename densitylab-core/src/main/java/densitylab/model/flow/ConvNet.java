package densitylab.model.flow;

import densitylab.nn.MemoryLayout;
import densitylab.nn.ParamFactory;
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
     * The network's output for x of shape (B, in, H, W): shape (B, out, H, W) in the standard order. The
     * convolutions run in channels-last order ({@link MemoryLayout}), converting the small input and output;
     * each hidden activation is closed once the next layer has read it, as Python drops an unreferenced
     * tensor, so the next convolution writes to memory still in the cache (autograd keeps what backward needs
     * by its own reference).
     */
    NDArray apply(NDArray x) {
        NDArray in = MemoryLayout.channelsLast(x);
        NDArray h1 = reluReleasing(Conv2d.conv2d(in, w1, b1, ONE, ONE).singletonOrThrow());
        in.close();
        NDArray h2 = reluReleasing(Conv2d.conv2d(h1, w2, b2, ONE, NONE).singletonOrThrow());
        h1.close();
        NDArray out = Conv2d.conv2d(h2, w3, b3, ONE, ONE).singletonOrThrow();
        h2.close();
        NDArray standard = MemoryLayout.standard(out);
        out.close();
        return standard;
    }

    /** relu(c), closing c: ReLU's backward reads its output, so autograd does not need c either. */
    private static NDArray reluReleasing(NDArray c) {
        NDArray h = Activation.relu(c);
        c.close();
        return h;
    }

    List<NDArray> parameters() {
        return List.of(w1, b1, w2, b2, w3, b3);
    }
}
