package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import densitylab.nn.MemoryLayout;
import densitylab.nn.ParamFactory;
import densitylab.nn.Resampling;
import densitylab.nn.Scalars;

import java.util.ArrayList;
import java.util.List;

/**
 * The VAE's networks in the DCGAN layout, and their weights: two stride-2 4x4 convolutions and a linear layer to the
 * Gaussian q(z|x); a linear layer, two upsample-and-convolve stages and a 1x1 head to the pixel decoder's parameters.
 */
final class VaeNetwork {
    private static final Shape S2 = new Shape(2, 2);
    private static final Shape P1 = new Shape(1, 1);
    private static final Shape ONE = new Shape(1, 1);
    /**
     * The most decoder-output floats one scoring chunk materialises at once (4 Mi floats, 16 MiB). glibc gives each
     * thread other than the process's first an arena of 64 MiB heaps and maps any block larger than that with mmap
     * (whatever MALLOC_MMAP_MAX_ says), unmapping it on free, so every chunk above it page-faulted its memory in
     * afresh: a 500-decode chunk of 256-way logits is 400 MB, and IWAE scoring spent 60% of its time in the kernel.
     * Java's main thread is never the process's first, so this holds for scoring too.
     */
    static final long CHUNK_FLOATS = 4L << 20;

    final int[] shape;
    final int latent;
    final PixelDecoder decoder;
    final NDManager manager;
    final List<NDArray> parameters = new ArrayList<>();
    private final NDArray ew1, eb1, ew2, eb2, ewl, ebl, dwl, dbl, dw1, db1, dw2, db2, dw3, db3;
    private final int h4;
    private final int w4;
    private final int width;

    /** Weights initialised from seed, in a new manager. */
    VaeNetwork(int[] shape, PixelDecoder decoder, int latent, int width, long seed) {
        if (shape[1] % 4 != 0 || shape[2] % 4 != 0) {
            throw new IllegalArgumentException("the VAE needs height and width divisible by 4, got " + shape[1] + "x" + shape[2]
                    + " (resize to 28x28 or 32x32)");
        }
        this.shape = shape.clone();
        this.decoder = decoder;
        this.latent = latent;
        this.width = width;
        this.manager = NDManager.newBaseManager();
        ParamFactory f = new ParamFactory(manager, seed);
        int c = shape[0];
        h4 = shape[1] / 4;
        w4 = shape[2] / 4;
        int flat = 2 * width * h4 * w4;
        ew1 = add(f.normal(Math.sqrt(2.0 / (c * 16)), width, c, 4, 4));
        eb1 = add(f.zeros(width));
        ew2 = add(f.normal(Math.sqrt(2.0 / (width * 16)), 2 * width, width, 4, 4));
        eb2 = add(f.zeros(2 * width));
        ewl = add(f.normal(Math.sqrt(1.0 / flat), 2 * latent, flat));
        ebl = add(f.zeros(2 * latent));
        dwl = add(f.normal(Math.sqrt(2.0 / latent), flat, latent));
        dbl = add(f.zeros(flat));
        dw1 = add(f.normal(Math.sqrt(2.0 / (2 * width * 9)), width, 2 * width, 3, 3));
        db1 = add(f.zeros(width));
        dw2 = add(f.normal(Math.sqrt(2.0 / (width * 9)), width, width, 3, 3));
        db2 = add(f.zeros(width));
        dw3 = add(f.normal(Math.sqrt(1.0 / width), decoder.outputChannels(c), width, 1, 1));
        db3 = add(f.zeros(decoder.outputChannels(c)));
    }

    private NDArray add(NDArray p) {
        parameters.add(p);
        return p;
    }

    /** The encoder's weights, in the order {@link #encode} takes them. */
    List<NDArray> encoderParameters() {
        return List.of(ew1, eb1, ew2, eb2, ewl, ebl);
    }

    /** q(z|x) as (mu, logvar), each (B, L), for raw pixels x (B, C, H, W), computed with encoder weights w. */
    NDList encode(NDArray x, List<NDArray> w) {
        NDArray h = MemoryLayout.channelsLast(Scalars.div(x, 255).sub(0.5f));
        h = Activation.relu(Conv2d.conv2d(h, w.get(0), w.get(1), S2, P1).singletonOrThrow());
        h = Activation.relu(Conv2d.conv2d(h, w.get(2), w.get(3), S2, P1).singletonOrThrow());
        NDArray out = Linear.linear(h.reshape(h.getShape().get(0), -1), w.get(4), w.get(5)).singletonOrThrow();
        return out.split(2, 1);
    }

    /**
     * Decoder outputs (B, outC, H, W) for latents z (B, L): a linear layer, then twice a 2x nearest-neighbour
     * upsampling (libtorch's kernel, {@link Resampling#upsampleNearest2x}) and a 3x3 convolution (DJL's PyTorch
     * engine has no transposed convolution), then a 1x1 convolution to the pixel distribution's parameters. The head
     * is 1x1 because a 3x3 convolution to 256 categorical logits per pixel would cost about nine times the rest of the
     * network.
     *
     * <p>The 3x3 convolutions run on channels-last arrays ({@link MemoryLayout}): this avoids a fault of oneDNN 3.5 in
     * libtorch 2.5.1, whose AVX-512 backward-data kernel (seen on an AMD EPYC) gave the input gradient of a 3x3
     * convolution of a standard-order (8, 8, 8, 8) batch different values on identical calls, sometimes NaN, which
     * made VAE training diverge; channels-last repeats exactly (and the launcher's ONEDNN_MAX_CPU_ISA=AVX computes every
     * small-channel convolution right: {@link densitylab.nn.ConvolutionCheck}). The 1x1 head, with 256
     * output channels a pixel, converts its small input to the standard order instead of its large output. The
     * price, measured with bench: training 15% and IWAE scoring 15% slower than all-standard order (a channels-last
     * head cost 30%).
     */
    NDArray decode(NDArray z) {
        NDArray h = Activation.relu(Linear.linear(z, dwl, dbl).singletonOrThrow()).reshape(z.getShape().get(0), 2L * width, h4, w4);
        // libtorch's upsampling keeps its input's memory order: convert the small array, before upsampling
        h = Activation.relu(Conv2d.conv2d(Resampling.upsampleNearest2x(MemoryLayout.channelsLast(h)), dw1, db1, ONE, P1).singletonOrThrow());
        h = Activation.relu(Conv2d.conv2d(Resampling.upsampleNearest2x(h), dw2, db2, ONE, P1).singletonOrThrow());
        return Conv2d.conv2d(MemoryLayout.standard(h), dw3, db3).singletonOrThrow(); // 256 output channels: cheaper to convert the input
    }

    /** Decodes per scoring chunk: as many as keep the decoder's output within {@link #CHUNK_FLOATS} floats (at least 1). */
    int decodesPerChunk() {
        long perDecode = (long) decoder.outputChannels(shape[0]) * shape[1] * shape[2];
        return (int) Math.max(1, Math.min(512, CHUNK_FLOATS / perDecode));
    }

    /** Dimensions of an image. */
    long dims() {
        return (long) shape[0] * shape[1] * shape[2];
    }
}
