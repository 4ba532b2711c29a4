package densitylab.model.gan;

import densitylab.data.ImageSet;
import densitylab.model.Shapes;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;
import densitylab.io.Progress;

import densitylab.nn.MemoryLayout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/** What DCGAN and GANomaly share: sizes, pixel scaling, per-image latent noise, batched per-image evaluation. */
final class GanParts {
    /** Images per scoring or sampling batch. */
    static final int BATCH = 256;

    private GanParts() {
    }

    /**
     * The number of stride-2 stages for an image of [C, H, W]: 3 where H and W are divisible by 8 (32x32: 4x4 at the
     * bottom), else 2 (28x28: 7x7).
     *
     * @throws IllegalArgumentException when H or W is not divisible by 4
     */
    static int stages(int[] shape, String kind) {
        if (shape[1] % 4 != 0 || shape[2] % 4 != 0) {
            throw new IllegalArgumentException(kind + " needs height and width divisible by 4, got " + shape[1] + "x" + shape[2]
                    + " (resize to 28x28 or 32x32)");
        }
        return shape[1] % 8 == 0 && shape[2] % 8 == 0 ? 3 : 2;
    }

    /** Raw pixels 0..255 to [-1, 1]. */
    static NDArray scaled(NDArray x) {
        return Scalars.div(x, 127.5).sub(1f);
    }

    /** [-1, 1] to 8-bit pixel values, rounded and clipped. */
    static byte[] pixels(NDArray t) {
        float[] v = t.toFloatArray();
        byte[] px = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            px[i] = (byte) Math.max(0, Math.min(255, Math.round((v[i] + 1f) * 127.5f)));
        }
        return px;
    }

    /** Standard-normal latents (B, L): image i's from its own generator seeded with firstSeed + i. */
    static NDArray latents(NDManager m, int b, int latent, long firstSeed) {
        float[] v = new float[b * latent];
        for (int i = 0, o = 0; i < b; i++) {
            SplittableRandom r = new SplittableRandom(firstSeed + i);
            for (int j = 0; j < latent; j++) {
                v[o++] = (float) r.nextGaussian();
            }
        }
        return m.create(v, new Shape(b, latent));
    }

    /** One value per image of fn (B values for a (B, C, H, W) batch of raw pixels), in scoped batches, with a progress bar. */
    static double[] perImage(GanModel model, String label, NDManager owner, List<NDArray> arrays, ImageSet images,
                             Function<NDArray, NDArray> fn) {
        Shapes.check(model, images);
        double[] out = new double[images.size()];
        int o = 0;
        try (Progress pb = Progress.bar(label, images.size())) {
            for (ImageSet part : images.batches(BATCH)) {
                try (NDManager sub = Scopes.open(owner, arrays)) {
                    for (float f : fn.apply(part.toNDArray(sub)).toFloatArray()) {
                        out[o++] = f;
                    }
                }
                pb.stepBy(part.size());
            }
        }
        return out;
    }

    /**
     * The discriminator's outputs (B) on real and on generated images (both scaled, fake made without autograd),
     * computed in one pass: it has no batch norm, so this is the same function as two passes, at half the op count.
     */
    static NDList realAndFake(DownNet discriminator, NDArray real, NDArray fake) {
        long b = real.getShape().get(0);
        NDArray d = discriminator.forward(NDArrays.concat(new NDList(real, MemoryLayout.standard(fake))), NormMode.TRAIN);
        return new NDList(d.get("0:" + b), d.get(b + ":"));
    }

    /** The discriminator's logistic loss: mean softplus(-D(real)) + mean softplus(D(fake)). */
    static NDArray logisticDiscriminatorLoss(DownNet discriminator, NDArray real, NDArray fake) {
        NDList d = realAndFake(discriminator, real, fake);
        return Activation.softPlus(d.get(0).neg()).mean().add(Activation.softPlus(d.get(1)).mean());
    }

    /** -log D(x) per image for raw pixels x (B), with the discriminator's fixed (standing) statistics. */
    static NDArray minusLogD(DownNet discriminator, NDArray x) {
        return Activation.softPlus(discriminator.forward(scaled(x), NormMode.STANDING).reshape(-1).neg());
    }

}
