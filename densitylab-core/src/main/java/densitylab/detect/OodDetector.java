package densitylab.detect;

import densitylab.data.DataFormatException;
import densitylab.data.ImageSet;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.score.OodScore;
import densitylab.score.RelatedModels;
import densitylab.model.ScoreOptions;
import densitylab.nn.LibTorch;
import densitylab.score.Scores;
import densitylab.score.FittedScore;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An out-of-distribution detector for production: a trained model, one of its scores, the preprocessing that makes a
 * user's image match the model, and a threshold calibrated on in-distribution validation images to keep a chosen
 * fraction of them. {@link #save} writes it as one bundle file that {@link #load} verifies entry by entry.
 *
 * <p>Thread safety: a detector may be shared by any number of threads. Scoring holds the lock of the model object
 * (so two detectors built on one loaded model are serialised too), because a model's native arrays are shared and
 * libtorch already spreads one call over every core; a service gets its throughput from batches
 * ({@link #score(ImageSet)}), not from more threads. The detector writes nothing to standard output or error.
 *
 * <p>A detector owns the models it was built on, from {@link #fit} or a bundle: {@link #close()} frees their native
 * memory, so a service that replaces detectors keeps a flat footprint.
 */
public final class OodDetector implements AutoCloseable {
    private final GenerativeModel model;
    private final DensityModel background;
    private final List<DensityModel> ensemble;
    private final Map<String, GenerativeModel> peers;
    private final String scoreName;
    private final ScoreOptions options;
    private final OodScore score;
    private final Map<String, Object> fittedState;
    private final Preprocessing preprocessing;
    private final Calibration calibration;

    OodDetector(GenerativeModel model, DensityModel background, List<DensityModel> ensemble, Map<String, GenerativeModel> peers,
                String scoreName, ScoreOptions options, Map<String, Object> fittedState, Preprocessing preprocessing,
                Calibration calibration) {
        this.model = Objects.requireNonNull(model, "model");
        this.background = background;
        this.ensemble = List.copyOf(ensemble);
        this.peers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(peers));
        this.scoreName = scoreName;
        this.options = options.withFeatures(null); // a bundle carries no feature space, so its detector fits without one
        this.preprocessing = preprocessing;
        this.calibration = calibration;
        OodScore s = Scores.create(scoreName, model, this.options, RelatedModels.of(background, this.ensemble, this.peers));
        if (s instanceof FittedScore f) {
            if (fittedState == null) {
                throw new IllegalArgumentException("score '" + scoreName + "' learns from in-distribution images: give them to fit it");
            }
            f.restoreState(fittedState);
        }
        this.fittedState = s instanceof FittedScore ? Map.copyOf(fittedState) : null;
        this.score = s;
    }

    /**
     * Closes the detector's models (the model, background, ensemble members and peers), once any scoring in progress
     * ends; the detector cannot score afterwards. Closing twice does nothing.
     */
    @Override
    public void close() {
        synchronized (model) {
            java.util.Set<GenerativeModel> all = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            all.add(model);
            if (background != null) {
                all.add(background);
            }
            all.addAll(ensemble);
            all.addAll(peers.values());
            all.forEach(GenerativeModel::close);
        }
    }

    /**
     * A detector of model's score, calibrated on validation images to keep the fraction tpr of them.
     *
     * @param background     the likelihood ratio's background model, or null
     * @param ensemble       WAIC's members (the model first), or empty
     * @param fitData        in-distribution images for scores that learn from them (typicality, combined; a holdout that
     *                       did not train the model is best), or null
     * @param validation     in-distribution images not used in training
     * @param validationSpec what validation is, for the record
     * @throws IllegalArgumentException for an unknown score, one the model has not, or a missing related model
     */
    public static OodDetector fit(GenerativeModel model, DensityModel background, List<DensityModel> ensemble, String scoreName,
                                  ScoreOptions options, ImageSet fitData, ImageSet validation, String validationSpec, double tpr,
                                  Preprocessing.Resize resize) {
        return fit(model, background, ensemble, Map.of(), scoreName, options, fitData, validation, validationSpec, tpr, resize);
    }

    /**
     * {@link #fit(GenerativeModel, DensityModel, List, String, ScoreOptions, ImageSet, ImageSet, String, double,
     * Preprocessing.Resize)} with peers: models of the same images, by name, whose statistics join the combined score's
     * (the bundle carries them).
     */
    public static OodDetector fit(GenerativeModel model, DensityModel background, List<DensityModel> ensemble,
                                  Map<String, GenerativeModel> peers, String scoreName, ScoreOptions options, ImageSet fitData,
                                  ImageSet validation, String validationSpec, double tpr, Preprocessing.Resize resize) {
        Preprocessing pre = Preprocessing.of(model.shape(), resize);
        options = options.withFeatures(null); // fitted as the bundle will score: without a feature space
        if (!ensemble.isEmpty() && ensemble.get(0) != model) {
            throw new IllegalArgumentException("an ensemble's first member must be the detector's model itself");
        }
        Map<String, Object> state = null;
        OodScore s = Scores.create(scoreName, model, options, RelatedModels.of(background, ensemble, peers));
        if (s instanceof FittedScore f) {
            if (fitData == null) {
                throw new IllegalArgumentException("score '" + scoreName + "' learns from in-distribution images: give training images");
            }
            f.fit(fitData);
            state = f.fittedState();
        }
        OodDetector uncalibrated = new OodDetector(model, background, ensemble, peers, scoreName, options, state, pre, null);
        ImageSet v;
        try {
            v = pre.apply(validation, validationSpec);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Calibration c = Calibration.of(uncalibrated.scoreMatched(v), tpr, validationSpec);
        return new OodDetector(model, background, ensemble, peers, scoreName, options, state, pre, c);
    }

    /** The model. */
    public GenerativeModel model() {
        return model;
    }

    /** The score's name. */
    public String scoreName() {
        return scoreName;
    }

    /** The score's options. */
    public ScoreOptions options() {
        return options;
    }

    /** The preprocessing. */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The threshold and what it was calibrated on. */
    public Calibration calibration() {
        return calibration;
    }

    /** The likelihood ratio's background model, or null. */
    DensityModel background() {
        return background;
    }

    /** The combined score's peers by name, or empty. */
    Map<String, GenerativeModel> peers() {
        return peers;
    }

    /** WAIC's members, or empty. */
    List<DensityModel> ensemble() {
        return ensemble;
    }

    /** What the score learned when it was fitted (typicality's mean, the combined score's density), or null. */
    public Map<String, Object> fittedState() {
        return fittedState;
    }

    /**
     * The score of every image of a set (higher = more anomalous), after the preprocessing.
     *
     * @throws DataFormatException when the preprocessing refuses the set's shape
     */
    public double[] score(ImageSet images) throws DataFormatException {
        return scoreMatched(preprocessing.apply(images, images.name()));
    }

    /**
     * Scores with autograd off: libtorch's grad mode belongs to the thread and is on in threads it has not seen (a
     * server's workers), where scoring would record a graph for the model's trainable parameters.
     */
    private double[] scoreMatched(ImageSet matched) {
        synchronized (model) {
            return LibTorch.withoutGradients(() -> score.score(matched));
        }
    }

    /** The score of one picture. */
    public double score(BufferedImage image) throws DataFormatException {
        return scoreMatched(preprocessing.apply(image, "image"))[0];
    }

    /**
     * The score of encoded image bytes (PNG, JPEG, BMP, GIF).
     *
     * @throws DataFormatException when they are no image or the preprocessing refuses it
     */
    public double score(byte[] encoded) throws DataFormatException {
        return scoreMatched(preprocessing.decode(encoded, "image"))[0];
    }

    /** The score of an image file. */
    public double score(Path file) throws IOException {
        return scoreMatched(preprocessing.decode(Files.readAllBytes(file), file.toString()))[0];
    }

    /** True when a score is above the calibrated threshold. */
    public boolean isOutOfDistribution(double score) {
        return calibration.isOutOfDistribution(score);
    }

    /** Whether a picture is out of distribution. */
    public boolean isOutOfDistribution(BufferedImage image) throws DataFormatException {
        return isOutOfDistribution(score(image));
    }

    /** Whether encoded image bytes are out of distribution. */
    public boolean isOutOfDistribution(byte[] encoded) throws DataFormatException {
        return isOutOfDistribution(score(encoded));
    }

    /** Whether an image file is out of distribution. */
    public boolean isOutOfDistribution(Path file) throws IOException {
        return isOutOfDistribution(score(file));
    }

    /** Per image of a set, whether it is out of distribution. */
    public boolean[] isOutOfDistribution(ImageSet images) throws DataFormatException {
        double[] s = score(images);
        boolean[] out = new boolean[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = isOutOfDistribution(s[i]);
        }
        return out;
    }

    /** Writes the detector as one bundle file, atomically ({@link DetectorBundle}). */
    public void save(Path file) throws IOException {
        DetectorBundle.write(this, file, null);
    }

    /** Writes the detector as one bundle file signed with a key from {@link BundleSignature#readSigningKey}. */
    public void save(Path file, java.security.KeyPair signingKey) throws IOException {
        DetectorBundle.write(this, file, java.util.Objects.requireNonNull(signingKey, "signingKey"));
    }

    /**
     * A detector written by {@link #save}, verified entry by entry, after checking that libtorch's convolutions are
     * right on this CPU ({@link densitylab.nn.ConvolutionCheck#requireCorrect}: a service should fail at start-up
     * rather than score with wrong kernels; set {@code ONEDNN_MAX_CPU_ISA=AVX} in its environment).
     *
     * @throws DetectorBundleException when the file is truncated, changed, of another format version or no bundle
     * @throws IllegalStateException   when libtorch's convolutions compute wrong results on this CPU
     */
    public static OodDetector load(Path file) throws IOException {
        densitylab.nn.ConvolutionCheck.requireCorrect();
        return DetectorBundle.read(file, null);
    }

    /**
     * {@link #load(Path)}, and only a bundle whose manifest one of the trusted keys signed ({@link BundleSignature}).
     *
     * @throws DetectorBundleException also when the bundle is unsigned, signed by another key, or changed after signing
     * @throws IllegalArgumentException for an empty set of trusted keys
     */
    public static OodDetector load(Path file, java.util.Collection<java.security.PublicKey> trustedKeys) throws IOException {
        if (trustedKeys.isEmpty()) {
            throw new IllegalArgumentException("no trusted keys given: pass at least one public key, or load without trust");
        }
        densitylab.nn.ConvolutionCheck.requireCorrect();
        return DetectorBundle.read(file, List.copyOf(trustedKeys));
    }
}
