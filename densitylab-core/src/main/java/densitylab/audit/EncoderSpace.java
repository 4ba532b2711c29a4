package densitylab.audit;

import densitylab.data.ImageSet;
import densitylab.model.vae.AmortizedVae;
import densitylab.nn.Scopes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A trained VAE's encoder means as features, compared by Euclidean distance: the semantic space for sets without
 * labels to train a classifier on.
 */
public final class EncoderSpace implements FeatureSpace {
    private static final int BATCH = 256;
    private final AmortizedVae vae;
    private final String source;

    /** @param source where the VAE comes from (a run folder), for the description */
    public EncoderSpace(AmortizedVae vae, String source) {
        this.vae = vae;
        this.source = source;
    }

    @Override
    public String name() {
        return "vae-encoder";
    }

    @Override
    public String description() {
        return "the posterior means of the VAE in " + source + ", compared by Euclidean distance";
    }

    @Override
    public Features embed(ImageSet images) {
        float[] out = null;
        int dims = 0;
        int from = 0;
        for (ImageSet part : images.batches(BATCH)) {
            try (NDManager sub = Scopes.open(vae.manager(), vae.parameters())) {
                NDArray mu = vae.encode(part.toNDArray(sub), vae.encoderParameters()).get(0);
                if (out == null) {
                    dims = (int) mu.getShape().get(1);
                    out = new float[images.size() * dims];
                }
                float[] v = mu.toFloatArray();
                System.arraycopy(v, 0, out, from * dims, v.length);
            }
            from += part.size();
        }
        if (out == null) {
            throw new IllegalArgumentException("no images to embed in '" + images.name() + "'");
        }
        return new Features(name(), Features.Metric.L2, images.size(), dims, out);
    }
}
