package densitylab.model.gan;

import densitylab.data.ImageSet;
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
import ai.djl.nn.Activation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DCGAN (Radford et al. 2016): a {@link UpNet} generator from standard-normal latents and a {@link DownNet}
 * discriminator, two players that step in turn on every batch, discriminator first. Losses: the non-saturating
 * logistic loss of Goodfellow et al. (2014) (the discriminator minimises softplus(-D(x)) + softplus(D(G(z))), the
 * generator softplus(-D(G(z)))), or with {@code gp > 0} WGAN-GP (Gulrajani et al. 2017: the critic minimises
 * D(G(z)) - D(x) + gp (|grad D(x_hat)| - 1)^2 at random interpolates x_hat, the generator -D(G(z))). The
 * discriminator has no batch normalisation, so its score of an image does not depend on the batch;
 * {@code spectral=true} normalises its weights spectrally. The generator batch-normalises with each batch's
 * statistics while training and with standing statistics afterwards ({@link BatchNorms}).
 */
public final class Dcgan extends AbstractGan {
    /** Latent vectors per recorded batch, and batches, of the standing statistics. */
    private static final int STANDING_BATCH = 128;
    private static final int STANDING_BATCHES = 16;

    private final int latent;
    private final double gradientPenalty;
    private final UpNet generator;
    private final DownNet discriminator;
    private final List<Player> players;

    Dcgan(int[] shape, Map<String, String> params, int latent, int width, boolean spectral, double gradientPenalty,
          double beta1, long seed) {
        super("dcgan", shape, params, beta1);
        if (!(gradientPenalty >= 0)) {
            throw new IllegalArgumentException("gp (the WGAN-GP penalty weight) must be >= 0, got " + gradientPenalty);
        }
        this.latent = latent;
        this.gradientPenalty = gradientPenalty;
        ParamFactory f = new ParamFactory(manager, seed);
        generator = new UpNet(f, norms, shape, stages, width, latent);
        discriminator = new DownNet(f, norms, shape, stages, width, 1, false);
        if (spectral) {
            discriminator.enableSpectralNorm(f);
        }
        players = List.of(new GanPlayer("discriminator", discriminator.parameters(), this::discriminatorLoss, beta1),
                new GanPlayer("generator", generator.parameters(), this::generatorLoss, beta1));
    }

    @Override
    public List<Player> players() {
        return players;
    }

    @Override
    public List<NDArray> buffers() {
        return discriminator.buffers();
    }

    @Override
    public void afterStep(Player player, NDManager scope) {
        if (player == players.get(0)) {
            discriminator.powerIteration();
        }
    }

    /** The discriminator's logits (B) of raw pixels x. */
    NDArray logits(NDArray x) {
        return discriminator.forward(GanParts.scaled(x), NormMode.STANDING).reshape(-1);
    }

    /** Generated images in [-1, 1] for latents z (B, latent). */
    NDArray generate(NDArray z, NormMode mode) {
        return generator.forward(z, mode);
    }

    private NDArray fakes(NDArray batch, Noise noise) {
        long b = batch.getShape().get(0);
        return generator.forward(noise.normal(batch.getManager(), new Shape(b, latent)), NormMode.TRAIN);
    }

    /**
     * The discriminator's (critic's) loss of a batch of raw pixels: the generator's samples made without autograd,
     * real and generated images through the discriminator in one pass (it has no batch norm, so this is the same
     * function as two passes).
     */
    NDArray discriminatorLoss(NDArray batch, Noise noise) {
        NDArray real = GanParts.scaled(batch);
        NDArray fake = LibTorch.withoutGradients(() -> fakes(batch, noise));
        if (gradientPenalty == 0) {
            return GanParts.logisticDiscriminatorLoss(discriminator, real, fake);
        }
        NDList d = GanParts.realAndFake(discriminator, real, fake);
        NDArray dReal = d.get(0);
        NDArray dFake = d.get(1);
        long b = batch.getShape().get(0);
        NDArray eps = noise.uniform(batch.getManager(), new Shape(b, 1, 1, 1));
        NDArray mixed = real.mul(eps).add(fake.mul(eps.neg().add(1f)));
        return dFake.mean().sub(dReal.mean()).add(Scalars.mul(penalty(mixed), gradientPenalty));
    }

    /** WGAN-GP's penalty: the mean over images of (|d D(x) / dx| - 1)^2, with gradients with respect to the critic's weights. */
    NDArray penalty(NDArray scaledImages) {
        long b = scaledImages.getShape().get(0);
        NDArray g = discriminator.inputGradient(scaledImages).reshape(b, -1);
        return g.square().sum(new int[] {1}).add(1e-12f).sqrt().sub(1f).square().mean();
    }

    /** The generator's loss for a batch's worth of latents (the batch supplies the size and manager only). */
    NDArray generatorLoss(NDArray batch, Noise noise) {
        NDArray d = discriminator.forward(fakes(batch, noise), NormMode.TRAIN);
        return gradientPenalty == 0 ? Activation.softPlus(d.neg()).mean() : d.mean().neg();
    }

    /** The discriminator's input gradient of scaled images (for tests). */
    NDArray inputGradient(NDArray scaledImages) {
        return discriminator.inputGradient(scaledImages);
    }

    /**
     * Fixes the generator's standing statistics: the average of {@value #STANDING_BATCHES} batches of
     * {@value #STANDING_BATCH} latents' batch statistics, from the given seed (train is not needed).
     */
    @Override
    public void fixStandingStatistics(ImageSet train, long seed) {
        norms.startRecording();
        for (int k = 0; k < STANDING_BATCHES; k++) {
            try (NDManager sub = Scopes.open(manager, allArrays())) {
                generator.forward(GanParts.latents(sub, STANDING_BATCH, latent, seed + (long) k * STANDING_BATCH), NormMode.RECORD);
            }
            norms.recordedBatch();
        }
    }

    @Override
    public double[] discriminatorScore(ImageSet images) {
        return GanParts.perImage(this, "discriminator", manager, allArrays(), images,
                x -> gradientPenalty == 0 ? GanParts.minusLogD(discriminator, x) : logits(x).neg());
    }

    @Override
    UpNet generator() {
        return generator;
    }

    /** Standard-normal latents. */
    @Override
    NDArray drawLatents(NDManager m, int count, long firstSeed) {
        return GanParts.latents(m, count, latent, firstSeed);
    }

    /** Parameters of both players, buffers, standing statistics: everything a forward pass reads and a save writes. */
    @Override
    List<NDArray> allArrays() {
        List<NDArray> all = new ArrayList<>(generator.parameters());
        all.addAll(discriminator.parameters());
        all.addAll(discriminator.buffers());
        all.addAll(norms.arrays());
        return all;
    }

    @Override
    public int latentDims() {
        return latent;
    }

}
