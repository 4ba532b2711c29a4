package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A density model that remembers log P(x) of the last image set it scored (by identity), so that several scores of
 * one set (likelihood, typicality, input complexity, the likelihood ratio's model side) cost one pass of the model:
 * a VAE's IWAE likelihood takes seconds per 100 images. Not safe for concurrent callers.
 */
public final class MemoizedDensity implements DensityModel {
    private final DensityModel model;
    private ImageSet last;
    private double[] lastLogProb;

    public MemoizedDensity(DensityModel model) {
        this.model = model;
    }

    /**
     * Remembers bits/dim already computed for images (a cached likelihood column), so that the scores of the set that
     * need its likelihood (input complexity, typicality) do not compute it again.
     */
    public void rememberBitsPerDim(ImageSet images, double[] bitsPerDim) {
        double[] lp = new double[bitsPerDim.length];
        for (int i = 0; i < lp.length; i++) {
            lp[i] = -bitsPerDim[i] * images.dims() * Math.log(2);
        }
        last = images;
        lastLogProb = lp;
    }

    @Override
    public double[] logProb(ImageSet images) {
        if (images != last) {
            lastLogProb = model.logProb(images);
            last = images;
        }
        return lastLogProb.clone();
    }

    @Override
    public String kind() {
        return model.kind();
    }

    @Override
    public int[] shape() {
        return model.shape();
    }

    @Override
    public ImageSet sample(int n, long seed) {
        return model.sample(n, seed);
    }

    @Override
    public void save(Path dir) throws IOException {
        model.save(dir);
    }
}
