package densitylab.model.classic;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.nn.Dequantize;
import densitylab.nn.ModelFiles;
import densitylab.model.Shapes;
import densitylab.nn.Units;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Independent Gaussian pixels on dequantized data: the simplest exact density baseline. */
public final class DiagonalGaussian implements DensityModel {
    /** Smallest variance: that of the dequantization noise itself, U[0,1)/256. */
    static final double MIN_VARIANCE = 1.0 / (12.0 * 256 * 256);

    private final int[] shape;
    private final double[] mean;
    private final double[] var;

    DiagonalGaussian(int[] shape, double[] mean, double[] var) {
        this.shape = shape.clone();
        this.mean = mean;
        this.var = var;
    }

    /** Maximum-likelihood fit to one seeded dequantization of the images. */
    public static DiagonalGaussian fit(ImageSet train, long seed) {
        return fit(Dequantize.uniform(train, seed), train.size(), train.shape());
    }

    /** Maximum-likelihood fit to n dequantized images y (row-major n x D) of the given shape. */
    static DiagonalGaussian fit(float[] y, int n, int[] shape) {
        int d = y.length / n;
        double[] mean = Dequantize.columnMeans(y, n, d);
        double[] var = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double c = y[i * d + k] - mean[k];
                var[k] += c * c;
            }
        }
        for (int k = 0; k < d; k++) {
            var[k] = Math.max(MIN_VARIANCE, var[k] / n);
        }
        return new DiagonalGaussian(shape, mean, var);
    }

    @Override
    public String kind() {
        return "gaussian";
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public double[] logProb(ImageSet images) {
        Shapes.check(this, images);
        int d = images.dims();
        float[] y = Dequantize.scoring(images);
        double constant = 0;
        for (int k = 0; k < d; k++) {
            constant += -0.5 * Math.log(2 * Math.PI * var[k]);
        }
        double c0 = constant - d * Units.LOG_256;
        return IntStream.range(0, images.size()).parallel().mapToDouble(i -> {
            double s = c0;
            for (int k = 0; k < d; k++) {
                double z = y[i * d + k] - mean[k];
                s -= z * z / (2 * var[k]);
            }
            return s;
        }).toArray();
    }

    @Override
    public ImageSet sample(int n, long seed) {
        int d = mean.length;
        byte[] px = new byte[n * d];
        java.util.Random g = new java.util.Random(new SplittableRandom(seed).nextLong());
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                px[i * d + k] = Dequantize.quantize(mean[k] + Math.sqrt(var[k]) * g.nextGaussian());
            }
        }
        return ImageSet.of("gaussian samples", shape[0], shape[1], shape[2], px, null);
    }

    @Override
    public void save(Path dir) throws IOException {
        ModelFiles.writeArrays(dir, Map.of("mean", mean, "var", var));
        ModelFiles.writeMeta(dir, kind(), shape, Map.of());
    }

    static DiagonalGaussian load(Path dir) throws IOException {
        var meta = ModelFiles.readMeta(dir);
        var a = ModelFiles.readArrays(dir);
        return new DiagonalGaussian(ModelFiles.shape(meta), ModelFiles.require(a, "mean", dir), ModelFiles.require(a, "var", dir));
    }
}
