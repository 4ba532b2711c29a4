package densitylab.serve;

import densitylab.data.DataFormatException;
import densitylab.data.ImageSet;
import densitylab.detect.OodDetector;
import densitylab.io.Sha256;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;

/**
 * A verified detector bundle under the name the service gives it: {@code NAME=PATH}, or {@code PATH} whose file name
 * without {@code .zip} is the name.
 */
public final class ServedDetector {
    private final String name;
    private final OodDetector detector;
    private final Path bundle;
    private final String sha256;
    private final Scorer scorer;

    ServedDetector(String name, OodDetector detector, Path bundle, String sha256, Scorer scorer) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("detector name '" + name + "' may hold only letters, digits, '.', '_' and '-' "
                    + "(give one: --detector NAME=PATH)");
        }
        this.name = name;
        this.detector = detector;
        this.bundle = bundle;
        this.sha256 = sha256;
        this.scorer = scorer;
    }

    /**
     * Loads and verifies a bundle ({@link OodDetector#load(Path)}; with trusted keys, only one they signed).
     *
     * @param spec    {@code NAME=PATH} or {@code PATH}
     * @param trusted public keys one of which must have signed the bundle, or empty for no signature check
     */
    public static ServedDetector load(String spec, List<PublicKey> trusted) throws IOException {
        int eq = spec.indexOf('=');
        Path path = Path.of(eq >= 0 ? spec.substring(eq + 1) : spec);
        String name = eq >= 0 ? spec.substring(0, eq) : path.getFileName().toString().replaceFirst("\\.zip$", "");
        OodDetector d = trusted.isEmpty() ? OodDetector.load(path) : OodDetector.load(path, trusted);
        return of(name, d, path, Sha256.of(path));
    }

    /** A detector already in memory, served under name (bundle and sha256 are what {@code GET /v1/detectors} reports). */
    public static ServedDetector of(String name, OodDetector detector, Path bundle, String sha256) {
        return new ServedDetector(name, detector, bundle, sha256, detector::score);
    }

    /** The name in the service's paths. */
    public String name() {
        return name;
    }

    /** The detector. */
    public OodDetector detector() {
        return detector;
    }

    /** The bundle file it came from. */
    public Path bundle() {
        return bundle;
    }

    /** The bundle file's SHA-256. */
    public String sha256() {
        return sha256;
    }

    double[] score(ImageSet images) throws DataFormatException {
        return scorer.score(images);
    }

    /** How a served detector scores a preprocessed set (the detector's own score, or a stand-in in tests). */
    @FunctionalInterface
    interface Scorer {
        double[] score(ImageSet images) throws DataFormatException;
    }
}
