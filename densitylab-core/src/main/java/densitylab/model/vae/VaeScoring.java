package densitylab.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;
import densitylab.io.Progress;
import densitylab.nn.Scopes;

import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * The VAE's per-image loop: seeded noise per image (so that a score does not depend on the batch an image is in) and
 * batches sized to the decoder's chunk, each inside its own scope.
 */
final class VaeScoring {
    private VaeScoring() {
    }

    /** Standard-normal noise (B, K, L): image i's K x L values from its own generator seeded with seeds[i]. */
    static NDArray noise(NDManager m, long[] seeds, int k, int latent) {
        int b = seeds.length;
        float[] v = new float[b * k * latent];
        for (int i = 0, o = 0; i < b; i++) {
            SplittableRandom r = new SplittableRandom(seeds[i]); // mixes its seed
            for (int j = 0; j < k * latent; j++) {
                v[o++] = (float) r.nextGaussian();
            }
        }
        return m.create(v, new Shape(b, k, latent));
    }

    /**
     * Per-image values of cols statistics at once: fn(x, noise) gives a (B, cols) array (or (B) for one), from batches of
     * images that each take decodesPerImage decodes, at most {@link VaeNetwork#decodesPerChunk} decodes a batch (at least
     * one image), inside scopes, with each image's seeded noise (B, K, L) from vae's scoring noise. One row per statistic.
     */
    static double[][] perImage(ConvVae vae, VaeNetwork net, ImageSet images, int k, int cols, int decodesPerImage,
                               BiFunction<NDArray, NDArray, NDArray> fn) {
        double[][] out = new double[cols][images.size()];
        int o = 0;
        int batch = Math.max(1, Math.min(256, net.decodesPerChunk() / Math.max(1, decodesPerImage)));
        try (Progress pb = Progress.bar(k > 1 ? "vae, " + k + " samples" : "vae", images.size())) {
            for (ImageSet part : images.batches(batch)) {
                try (NDManager sub = Scopes.open(net.manager, net.parameters)) {
                    float[] v = fn.apply(part.toNDArray(sub), vae.scoringNoise(sub, part, k)).toFloatArray();
                    for (int i = 0; i < part.size(); i++) {
                        for (int c = 0; c < cols; c++) {
                            out[c][o + i] = v[i * cols + c];
                        }
                    }
                    o += part.size();
                }
                pb.stepBy(part.size());
            }
        }
        return out;
    }
}
