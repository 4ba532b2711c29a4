package densitylab.model.gan;

import densitylab.data.ImageSet;
import densitylab.model.ScoreOptions;
import densitylab.nn.LibTorch;
import densitylab.nn.Noise;
import densitylab.nn.ParamFactory;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;
import densitylab.train.Player;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GANomaly (Akcay et al. 2018): a generator that encodes an image (G_E, a {@link DownNet}), decodes it (G_D, an
 * {@link UpNet}) and encodes the reconstruction again (E), and a discriminator ({@link DownNet}), trained on
 * in-distribution images only. The generator minimises w_adv |f(x) - f(G(x))|^2 (feature matching on the
 * discriminator's last features) + w_con |x - G(x)|_1 (contextual) + w_enc |G_E(x) - E(G(x))|^2 (latent), each a
 * mean; the discriminator the logistic loss on x against G(x). The anomaly score ({@code ganomaly}) is the mean
 * squared distance between the two latent codes G_E(x) and E(G(x)), as the authors' code computes it (the paper
 * writes an L1 norm).
 *
 * <p>The encoders and decoder batch-normalise as in the paper, with each batch's statistics while training and with
 * standing statistics of the training images afterwards ({@link BatchNorms}); the discriminator does not normalise,
 * so its score of an image does not depend on the batch. GANomaly's latent space is not a prior: {@link #sample}
 * decodes latents drawn from a diagonal Gaussian fitted to the training images' codes.
 */
public final class Ganomaly extends AbstractGan {
    private static final int STANDING_BATCH = 128;
    private static final int STANDING_IMAGES = 2048;

    private final int latent;
    private final double wAdv;
    private final double wCon;
    private final double wEnc;
    private final DownNet encoder;
    private final UpNet decoder;
    private final DownNet reEncoder;
    private final DownNet discriminator;
    private final NDArray codeMean;
    private final NDArray codeStd;
    private final List<Player> players;
    private boolean identityGenerator;

    Ganomaly(int[] shape, Map<String, String> params, int latent, int width, double wAdv, double wCon, double wEnc, double beta1,
             long seed) {
        super("ganomaly", shape, params, beta1);
        for (double w : new double[] {wAdv, wCon, wEnc}) {
            if (!(w >= 0)) {
                throw new IllegalArgumentException("the loss weights w-adv, w-con and w-enc must be >= 0, got " + wAdv + ", " + wCon + ", " + wEnc);
            }
        }
        this.latent = latent;
        this.wAdv = wAdv;
        this.wCon = wCon;
        this.wEnc = wEnc;
        ParamFactory f = new ParamFactory(manager, seed);
        encoder = new DownNet(f, norms, shape, stages, width, latent, true);
        decoder = new UpNet(f, norms, shape, stages, width, latent);
        reEncoder = new DownNet(f, norms, shape, stages, width, latent, true);
        discriminator = new DownNet(f, norms, shape, stages, width, 1, false);
        codeMean = manager.zeros(new Shape(latent));
        codeStd = manager.ones(new Shape(latent));
        List<NDArray> g = new ArrayList<>(encoder.parameters());
        g.addAll(decoder.parameters());
        g.addAll(reEncoder.parameters());
        players = List.of(new GanPlayer("discriminator", discriminator.parameters(), this::discriminatorLoss, beta1),
                new GanPlayer("generator", g, this::generatorLoss, beta1));
    }

    /** Test-only: the decoder replaced by the identity (G(x) = x), the encoders unchanged. */
    Ganomaly withIdentityGenerator() {
        identityGenerator = true;
        return this;
    }

    @Override
    public List<Player> players() {
        return players;
    }

    /** The generator's pass on scaled images v: (z = G_E(v), x_hat = G_D(z), z_hat = E(x_hat)). */
    NDList generate(NDArray v, NormMode mode) {
        NDArray z = encoder.forward(v, mode);
        NDArray rec = identityGenerator ? v : decoder.forward(z, mode);
        return new NDList(z, rec, reEncoder.forward(rec, mode));
    }

    /** The discriminator's logistic loss on x against G(x), G(x) made without autograd. */
    NDArray discriminatorLoss(NDArray batch, Noise noise) {
        NDArray v = GanParts.scaled(batch);
        NDArray rec = LibTorch.withoutGradients(() -> generate(v, NormMode.TRAIN).get(1));
        return GanParts.logisticDiscriminatorLoss(discriminator, v, rec);
    }

    NDArray generatorLoss(NDArray batch, Noise noise) {
        NDArray v = GanParts.scaled(batch);
        NDList g = generate(v, NormMode.TRAIN);
        NDArray realFeatures = LibTorch.withoutGradients(() -> discriminator.features(v, NormMode.TRAIN));
        NDArray adv = realFeatures.sub(discriminator.features(g.get(1), NormMode.TRAIN)).square().mean();
        NDArray con = v.sub(g.get(1)).abs().mean();
        NDArray enc = g.get(0).sub(g.get(2)).square().mean();
        return Scalars.mul(adv, wAdv).add(Scalars.mul(con, wCon)).add(Scalars.mul(enc, wEnc));
    }

    /**
     * Fixes the standing statistics of the encoders and decoder from up to {@value #STANDING_IMAGES} training images,
     * then the Gaussian of their codes that {@link #sample} draws from.
     */
    @Override
    public void fixStandingStatistics(ImageSet train, long seed) {
        ImageSet part = train.limit(STANDING_IMAGES);
        norms.startRecording();
        for (ImageSet b : part.batches(STANDING_BATCH)) {
            try (NDManager sub = Scopes.open(manager, allArrays())) {
                generate(GanParts.scaled(b.toNDArray(sub)), NormMode.RECORD);
            }
            norms.recordedBatch();
        }
        double[] sum = new double[latent];
        double[] sq = new double[latent];
        for (ImageSet b : part.batches(STANDING_BATCH)) {
            try (NDManager sub = Scopes.open(manager, allArrays())) {
                float[] z = encoder.forward(GanParts.scaled(b.toNDArray(sub)), NormMode.STANDING).toFloatArray();
                for (int i = 0; i < z.length; i++) {
                    sum[i % latent] += z[i];
                    sq[i % latent] += (double) z[i] * z[i];
                }
            }
        }
        float[] mean = new float[latent];
        float[] std = new float[latent];
        for (int j = 0; j < latent; j++) {
            mean[j] = (float) (sum[j] / part.size());
            std[j] = (float) Math.sqrt(Math.max(0, sq[j] / part.size() - mean[j] * (double) mean[j]));
        }
        codeMean.set(mean);
        codeStd.set(std);
    }

    /** The name of the latent-distance score. */
    public static final String LATENT_DISTANCE = "ganomaly";
    /** The name of the reconstruction score. */
    public static final String RECONSTRUCTION = "reconstruction";

    /** The latent distance, the reconstruction error and the discriminator's score. */
    @Override
    public java.util.List<String> statistics() {
        return java.util.List.of(LATENT_DISTANCE, RECONSTRUCTION, DISCRIMINATOR);
    }

    /** {@value #LATENT_DISTANCE}, {@value #RECONSTRUCTION} and the discriminator's score. */
    @Override
    public ScoreFunction ownScore(String name, ScoreOptions options) {
        return switch (name) {
            case LATENT_DISTANCE -> this::latentDistance;
            case RECONSTRUCTION -> this::reconstructionError;
            case DISCRIMINATOR -> this::discriminatorScore;
            default -> null;
        };
    }

    /** {@code ganomaly}: the mean squared distance between G_E(x) and E(G(x)) per image. */
    public double[] latentDistance(ImageSet images) {
        return GanParts.perImage(this, "ganomaly", manager, allArrays(), images, x -> {
            NDList g = generate(GanParts.scaled(x), NormMode.STANDING);
            return g.get(0).sub(g.get(2)).square().mean(new int[] {1});
        });
    }

    /** {@code reconstruction}: the mean absolute pixel error of G(x) per image, on the 0..1 scale. */
    public double[] reconstructionError(ImageSet images) {
        return GanParts.perImage(this, "reconstruction", manager, allArrays(), images, x -> {
            NDArray rec = generate(GanParts.scaled(x), NormMode.STANDING).get(1);
            // [-1, 1] to [0, 1]: half the difference
            return Scalars.mul(GanParts.scaled(x).sub(rec).abs().reshape(x.getShape().get(0), -1).mean(new int[] {1}), 0.5);
        });
    }

    /** The first encoder's and the second encoder's codes of raw pixels x, both applied to x itself (for tests). */
    NDList encoders(NDArray x) {
        NDArray v = GanParts.scaled(x);
        return new NDList(encoder.forward(v, NormMode.STANDING), reEncoder.forward(v, NormMode.STANDING));
    }

    @Override
    public double[] discriminatorScore(ImageSet images) {
        return GanParts.perImage(this, "discriminator", manager, allArrays(), images, x -> GanParts.minusLogD(discriminator, x));
    }

    @Override
    UpNet generator() {
        return decoder;
    }

    /** Standard-normal latents mapped onto the Gaussian of the training codes (fitted per dimension). */
    @Override
    NDArray drawLatents(NDManager m, int count, long firstSeed) {
        return GanParts.latents(m, count, latent, firstSeed).mul(codeStd).add(codeMean);
    }

    @Override
    public int latentDims() {
        return latent;
    }

    @Override
    List<NDArray> allArrays() {
        List<NDArray> all = new ArrayList<>(encoder.parameters());
        all.addAll(decoder.parameters());
        all.addAll(reEncoder.parameters());
        all.addAll(discriminator.parameters());
        all.addAll(norms.arrays());
        all.add(codeMean);
        all.add(codeStd);
        return all;
    }

}
