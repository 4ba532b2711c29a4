import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;

/**
 * Milliseconds per forward and backward pass of the small Glow's coupling network (conv3x3 C->48, ReLU,
 * conv1x1 48->48, ReLU, conv3x3 48->2C) on a batch of 64, at the shapes of level 1 (2x14x14) and level 2
 * (4x7x7), through DJL's libtorch. bench/micro/coupling_net_cost.py times the same in PyTorch. Run from the
 * repository root after a build:
 *
 *   java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 \
 *        -cp "densitylab-cli/target/lib/*" bench/micro/CouplingNetCost.java
 */
public class CouplingNetCost {
    public static void main(String[] args) {
        Shape one = new Shape(1, 1);
        Shape none = new Shape(0, 0);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int[] cfg : new int[][] {{2, 14}, {4, 7}}) {
                int c = cfg[0];
                int hw = cfg[1];
                NDArray x = m.randomUniform(0f, 1f, new Shape(64, c, hw, hw));
                NDArray w1 = m.randomNormal(0f, 0.1f, new Shape(48, c, 3, 3), DataType.FLOAT32);
                NDArray b1 = m.zeros(new Shape(48));
                NDArray w2 = m.randomNormal(0f, 0.1f, new Shape(48, 48, 1, 1), DataType.FLOAT32);
                NDArray b2 = m.zeros(new Shape(48));
                NDArray w3 = m.randomNormal(0f, 0.1f, new Shape(2 * c, 48, 3, 3), DataType.FLOAT32);
                NDArray b3 = m.zeros(new Shape(2 * c));
                NDArray[] params = {w1, b1, w2, b2, w3, b3};
                for (NDArray p : params) {
                    p.setRequiresGradient(true);
                }
                for (int rep = 0; rep < 3; rep++) {
                    long fwd = 0;
                    long bwd = 0;
                    int n = 300;
                    for (int i = 0; i < n; i++) {
                        try (NDManager sub = m.newSubManager()) {
                            x.tempAttach(sub);
                            for (NDArray p : params) {
                                p.tempAttach(sub);
                            }
                            long t0 = System.nanoTime();
                            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                NDArray h = Activation.relu(Conv2d.conv2d(x, w1, b1, one, one).singletonOrThrow());
                                h = Activation.relu(Conv2d.conv2d(h, w2, b2, one, none).singletonOrThrow());
                                NDArray out = Conv2d.conv2d(h, w3, b3, one, one).singletonOrThrow().sum();
                                long t1 = System.nanoTime();
                                fwd += t1 - t0;
                                gc.backward(out);
                                bwd += System.nanoTime() - t1;
                            }
                            for (NDArray p : params) {
                                p.getGradient().subi(p.getGradient());
                            }
                        }
                    }
                    System.out.printf("djl     %dx%dx%d  forward %.3f ms  backward %.3f ms%n", c, hw, hw, fwd / 1e6 / n, bwd / 1e6 / n);
                }
            }
        }
    }
}
