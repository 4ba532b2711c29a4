package densitylab.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import densitylab.data.ImageSet;
import densitylab.io.Progress;
import densitylab.model.FeatureMap;
import densitylab.model.Shapes;
import densitylab.nn.Dequantize;
import densitylab.nn.Scopes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A DDPM's per-image score statistics: the noise norms at the score levels (Mahmood et al. 2021) and the reconstruction
 * distances (Graham et al. 2023), each remembered for the last set it was asked for.
 */
final class DdpmStatistics {
    private static final long RECONSTRUCTION_SALT = 0xd1ff2;
    private static final String NORM = "noise-norm-t";
    private static final String MSE = "reconstruction-mse-t";
    private static final String DSSIM = "reconstruction-dssim-t";
    private static final String FEATURE = "reconstruction-feature-t";

    private final Ddpm model;
    private final int[] shape;
    private final int[] normLevels;
    private final int[] reconstructionLevels;
    private final int reconstructionSteps;

    /**
     * The statistics of model: normLevels noise levels, reconstructions from the given fractions of T in
     * reconstructionSteps DDIM steps.
     *
     * @throws IllegalArgumentException for a count below 1 or a fraction outside (0, 1)
     */
    DdpmStatistics(Ddpm model, int steps, int normLevels, double[] reconstructionFractions, int reconstructionSteps) {
        this.model = model;
        this.shape = model.shape();
        this.normLevels = normLevels(steps, normLevels);
        this.reconstructionLevels = new int[reconstructionFractions.length];
        for (int i = 0; i < reconstructionFractions.length; i++) {
            double fr = reconstructionFractions[i];
            if (!(fr > 0 && fr < 1)) {
                throw new IllegalArgumentException("reconstruction levels are fractions of the timesteps in (0, 1), got " + fr);
            }
            reconstructionLevels[i] = (int) Math.max(1, Math.round(fr * steps));
        }
        if (reconstructionSteps < 1) {
            throw new IllegalArgumentException("reconstruction-steps must be >= 1, got " + reconstructionSteps);
        }
        this.reconstructionSteps = reconstructionSteps;
    }

    /** L timesteps log-spaced from 1 to T/2 (where half the signal is left), distinct. */
    private static int[] normLevels(int steps, int l) {
        if (l < 1) {
            throw new IllegalArgumentException("score-levels must be >= 1, got " + l);
        }
        int top = Math.max(l, steps / 2);
        int[] t = new int[l];
        for (int i = 0; i < l; i++) {
            int v = (int) Math.round(Math.pow(top, (i + 1.0) / l));
            t[i] = Math.min(top - (l - 1 - i), Math.max(i == 0 ? 1 : t[i - 1] + 1, v));
        }
        return t;
    }

    /** The noise norms' names, noise-norm-tT, one per level. */
    List<String> normNames() {
        List<String> names = new ArrayList<>();
        for (int t : normLevels) {
            names.add(NORM + t);
        }
        return names;
    }

    /** The reconstruction distances' names, reconstruction-mse-tT and reconstruction-dssim-tT per level. */
    List<String> distanceNames() {
        List<String> names = new ArrayList<>();
        for (int t : reconstructionLevels) {
            names.add(MSE + t);
            names.add(DSSIM + t);
        }
        return names;
    }

    /** The feature distances' names, reconstruction-feature-tT per level. */
    List<String> featureNames() {
        List<String> names = new ArrayList<>();
        for (int t : reconstructionLevels) {
            names.add(FEATURE + t);
        }
        return names;
    }

    /** The last sets {@link #noiseNorms} and {@link #reconstructionDistances} were asked for (identity) and their rows. */
    private ImageSet normsOf;
    private double[][] normsValue;
    private ImageSet distancesOf;
    private FeatureMap distancesIn;
    private double[][] distancesValue;

    /**
     * Per image and noise level t (the score-levels timesteps, log-spaced up to T/2), the root mean square of
     * eps_theta(sqrt(abar_t) x_0, t): the norm of the estimated score at the clean image, up to a factor per level
     * (Mahmood et al. 2021). One row per level; remembered for the last set.
     */
    synchronized double[][] noiseNorms(ImageSet images) {
        if (images == normsOf) {
            return normsValue;
        }
        Shapes.check(model, images);
        int l = normLevels.length;
        double[][] v = new double[l][images.size()];
        int per = Math.max(1, model.passImages() / l);
        int o = 0;
        try (Progress pb = Progress.bar("ddpm noise norms, " + l + " levels", images.size())) {
            for (ImageSet part : images.batches(per)) {
                int b = part.size();
                try (NDManager sub = Scopes.open(model.manager(), model.parameters())) {
                    NDArray x0 = Ddpm.toUnit(part.toNDArray(sub));
                    NDArray rows = x0.repeat(0, l); // image-major: image i's L copies are rows i*L .. i*L+L-1
                    int[] t = new int[b * l];
                    for (int i = 0; i < b * l; i++) {
                        t[i] = normLevels[i % l];
                    }
                    NDArray xt = model.noised(rows, rows.zerosLike(), t);
                    float[] rms = model.epsilon(xt, t).square().reshape(b * l, -1).mean(new int[] {1}).sqrt().toFloatArray();
                    for (int i = 0; i < b; i++) {
                        for (int j = 0; j < l; j++) {
                            v[j][o + i] = rms[i * l + j];
                        }
                    }
                }
                o += b;
                pb.stepBy(b);
            }
        }
        normsOf = images;
        normsValue = v;
        return v;
    }

    /**
     * Per image, for each reconstruction level t: the input noised to x_t (noise from its content), denoised back by
     * DDIM in reconstruction-steps steps; the mean squared error to the input and 1 - SSIM, on the [0, 1] scale
     * (Graham et al. 2023). Rows: MSE and DSSIM of the first level, then of the next; then, when features is not null,
     * one row per level of the Euclidean distance between the features of the input and of the reconstruction rounded
     * to 8 bits. Remembered for the last set and feature space.
     */
    synchronized double[][] reconstructionDistances(ImageSet images, FeatureMap features) {
        if (images == distancesOf && features == distancesIn) {
            return distancesValue;
        }
        Shapes.check(model, images);
        int d = model.latentDims();
        int n = images.size();
        int levels = reconstructionLevels.length;
        double[][] v = new double[(features == null ? 2 : 3) * levels][n];
        float[] inputFeatures = features == null ? null : features.features(images);
        long[] seeds = Dequantize.contentSeeds(images, RECONSTRUCTION_SALT);
        float[] x = Ddpm.pixelValues(images);
        int per = model.passImages();
        try (Progress pb = Progress.bar("ddpm reconstructions, " + levels + " levels x " + reconstructionSteps + " steps", (long) n * levels)) {
            for (int lv = 0; lv < levels; lv++) {
                int top = reconstructionLevels[lv];
                int[] path = pathDown(top, reconstructionSteps);
                for (int from = 0; from < n; from += per) {
                    int b = Math.min(per, n - from);
                    float[] x0 = new float[b * d];
                    float[] e = new float[b * d];
                    for (int i = 0; i < b; i++) {
                        SplittableRandom r = new SplittableRandom(seeds[from + i] + lv);
                        for (int q = 0; q < d; q++) {
                            x0[i * d + q] = x[(from + i) * d + q] / 127.5f - 1;
                            e[i * d + q] = (float) r.nextGaussian();
                        }
                    }
                    float[] rec;
                    try (NDManager sub = Scopes.open(model.manager(), model.parameters())) {
                        Shape bs = new Shape(b, shape[0], shape[1], shape[2]);
                        int[] t = new int[b];
                        Arrays.fill(t, top);
                        NDArray xt = model.noised(sub.create(x0, bs), sub.create(e, bs), t);
                        rec = model.ddim(xt, path, false, true).toFloatArray();
                    }
                    for (int i = 0; i < b; i++) {
                        double se = 0;
                        float[] a = new float[d];
                        float[] c = new float[d];
                        for (int q = 0; q < d; q++) {
                            a[q] = (x0[i * d + q] + 1) / 2;
                            c[q] = (rec[i * d + q] + 1) / 2;
                            se += (a[q] - c[q]) * (a[q] - c[q]);
                        }
                        v[2 * lv][from + i] = se / d;
                        v[2 * lv + 1][from + i] = 1 - Ssim.of(a, 0, c, 0, shape[0], shape[1], shape[2]);
                    }
                    if (features != null) {
                        featureDistances(features, inputFeatures, from, rec, b, v[2 * levels + lv]);
                    }
                    pb.stepBy(b);
                }
            }
        }
        distancesOf = images;
        distancesIn = features;
        distancesValue = v;
        return v;
    }

    /**
     * Into out[from .. from + b): the distance between the input's features (rows of inputFeatures from from on) and
     * the features of the b reconstructions rec ([-1, 1] scale) rounded to 8-bit images.
     */
    private void featureDistances(FeatureMap features, float[] inputFeatures, int from, float[] rec, int b, double[] out) {
        byte[] px = new byte[rec.length];
        for (int q = 0; q < rec.length; q++) {
            px[q] = Ddpm.toPixel(rec[q]);
        }
        float[] f = features.features(ImageSet.of("reconstructions", shape[0], shape[1], shape[2], px, null));
        int k = features.dims();
        for (int i = 0; i < b; i++) {
            double ss = 0;
            for (int j = 0; j < k; j++) {
                double diff = f[i * k + j] - inputFeatures[(from + i) * k + j];
                ss += diff * diff;
            }
            out[from + i] = Math.sqrt(ss);
        }
    }

    /** The DDIM path from timestep top down to 0 in steps equal steps (rounded): top, ..., 0. */
    private static int[] pathDown(int top, int steps) {
        int s = Math.min(steps, top);
        int[] p = new int[s + 1];
        for (int j = 0; j <= s; j++) {
            p[j] = (int) Math.round((double) top * (s - j) / s);
        }
        return p;
    }
}
