package densitylab.detect;

import densitylab.io.Versions;
import densitylab.io.AtomicFiles;
import densitylab.io.Sha256;
import densitylab.io.Trees;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.registry.ModelKinds;
import densitylab.nn.ModelFiles;
import densitylab.model.ScoreOptions;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Collection;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The one-file form of an {@link OodDetector}: a zip of
 * <ul>
 *   <li>{@code model/}: the model's files as {@code ModelKinds.save} writes them (parameters, model.json);</li>
 *   <li>{@code background/}, {@code ensemble/member-K/} and {@code peers/peer-K/}: the related models the score needs,
 *       if any (peers: the models whose statistics join the combined score's, named in detector.json);</li>
 *   <li>{@code detector.json}: the score and its options and fitted state, the preprocessing, the calibration with
 *       its validation statistics, and the versions that wrote it;</li>
 *   <li>{@code manifest.json}: the format and its version, the versions, and the SHA-256 of every other entry;</li>
 *   <li>{@code signature.json}, last and optional: an Ed25519 signature of the manifest ({@link BundleSignature}).</li>
 * </ul>
 * Reading checks that the file is a complete zip, that the format version is this one's, that the entries are
 * exactly the manifest's, and every entry's SHA-256, and says which check failed. The manifest guards against
 * corruption and accidents; against someone who rewrites it too, a reader asks for a signature by a trusted key. Parameters are stored as
 * numbers independent of the engine, so a bundle written with other DJL or PyTorch versions loads; they are recorded.
 * No Java serialization is used.
 */
public final class DetectorBundle {
    /** The manifest's format name. */
    public static final String FORMAT = "densitylab-detector";
    /** The bundle layout this code writes and reads. */
    public static final int FORMAT_VERSION = 1;
    static final String MANIFEST = "manifest.json";
    private static final String DETECTOR = "detector.json";
    /** Bounds on one entry's and all entries' sizes, against zip bombs (a large model's parameters are a few hundred MB). */
    private static final long MAX_ENTRY = 1L << 30;
    private static final long MAX_TOTAL = 3L << 30;

    private DetectorBundle() {
    }

    static void write(OodDetector d, Path file, KeyPair signingKey) throws IOException {
        Path tmp = Files.createTempDirectory("densitylab-detector");
        try {
            ModelKinds.save(d.model(), tmp.resolve("model"));
            if (d.background() != null) {
                ModelKinds.save(d.background(), tmp.resolve("background"));
            }
            for (int k = 1; k < d.ensemble().size(); k++) {
                ModelKinds.save(d.ensemble().get(k), tmp.resolve("ensemble").resolve("member-" + (k + 1)));
            }
            int k = 0;
            for (GenerativeModel peer : d.peers().values()) {
                ModelKinds.save(peer, tmp.resolve("peers").resolve("peer-" + ++k));
            }
            Map<String, byte[]> entries = new TreeMap<>();
            for (Path f : ModelFiles.filesUnder(tmp)) {
                entries.put(f.toString().replace('\\', '/'), Files.readAllBytes(tmp.resolve(f)));
            }
            // the bundle's manifest covers the models' files
            entries.keySet().removeIf(n -> n.endsWith("/" + ModelFiles.MANIFEST));
            entries.put(DETECTOR, ModelFiles.JSON.writeValueAsBytes(describe(d)));
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("format", FORMAT);
            manifest.put("format_version", FORMAT_VERSION);
            manifest.put("versions", Versions.all());
            Map<String, String> sums = new TreeMap<>();
            entries.forEach((name, bytes) -> sums.put(name, Sha256.of(bytes)));
            manifest.put("sha256", sums);
            byte[] manifestBytes = ModelFiles.JSON.writeValueAsBytes(manifest);
            entries.put(MANIFEST, manifestBytes);
            writeEntries(file, entries, signingKey == null ? null : BundleSignature.entry(manifestBytes, signingKey));
        } finally {
            Trees.delete(tmp);
        }
    }

    /** Writes a bundle's entries atomically, the manifest after the others and the signature, if any, last. */
    static void writeEntries(Path file, Map<String, byte[]> entries, byte[] signature) throws IOException {
        AtomicFiles.write(file, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Map.Entry<String, byte[]> e : new TreeMap<>(entries).entrySet()) {
                    if (!e.getKey().equals(MANIFEST)) {
                        put(zip, e.getKey(), e.getValue());
                    }
                }
                put(zip, MANIFEST, entries.get(MANIFEST));
                if (signature != null) {
                    put(zip, BundleSignature.ENTRY, signature);
                }
            }
        });
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    private static Map<String, Object> describe(OodDetector d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format_version", FORMAT_VERSION);
        m.put("model", Map.of("kind", d.model().kind(), "shape", d.model().shape()));
        Map<String, Object> score = new LinkedHashMap<>();
        score.put("name", d.scoreName());
        ScoreOptions o = d.options(); // a feature space is not part of a bundle: its scores do without
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("iwaeSamples", o.iwaeSamples());
        options.put("regretSteps", o.regretSteps());
        options.put("regretLr", o.regretLr());
        options.put("encoderSteps", o.encoderSteps());
        options.put("encoderLr", o.encoderLr());
        score.put("options", options);
        if (d.fittedState() != null) {
            score.put("fitted_state", d.fittedState());
            if (d.fittedState().get("train_mean") != null) { // what readers before fitted states look for
                score.put("typicality_train_mean", d.fittedState().get("train_mean"));
            }
        }
        score.put("background", d.background() != null);
        score.put("ensemble_members", d.ensemble().size());
        if (!d.peers().isEmpty()) {
            score.put("peers", List.copyOf(d.peers().keySet()));
        }
        m.put("score", score);
        m.put("preprocessing", Map.of("channels", d.preprocessing().channels(), "height", d.preprocessing().height(),
                "width", d.preprocessing().width(), "resize", d.preprocessing().resize().name().toLowerCase(java.util.Locale.ROOT)));
        m.put("calibration", d.calibration());
        m.put("versions", Versions.all());
        return m;
    }

    /**
     * A bundle's detector; with trusted keys (non-null), only when one of them signed its manifest.
     *
     * @throws DetectorBundleException when a check fails, naming it
     */
    static OodDetector read(Path file, Collection<PublicKey> trusted) throws IOException {
        Map<String, byte[]> entries = verifiedEntries(file, trusted);
        entries.remove(MANIFEST);
        entries.remove(BundleSignature.ENTRY);
        JsonNode det = json(file, DETECTOR, entries.get(DETECTOR));
        Path tmp = Files.createTempDirectory("densitylab-detector");
        try {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                if (!e.getKey().equals(DETECTOR)) {
                    Path target = tmp.resolve(e.getKey()).normalize();
                    Files.createDirectories(target.getParent());
                    Files.write(target, e.getValue());
                }
            }
            return detector(file, det, tmp);
        } catch (RuntimeException e) {
            throw new DetectorBundleException(file + ": detector.json or a model in the bundle is not usable: " + e.getMessage(), e);
        } finally {
            Trees.delete(tmp);
        }
    }

    /** Every entry of a bundle whose manifest checks out (and the signature entry, unchecked, if there is one). */
    static Map<String, byte[]> verifiedEntries(Path file) throws IOException {
        return verifiedEntries(file, null);
    }

    private static Map<String, byte[]> verifiedEntries(Path file, Collection<PublicKey> trusted) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DetectorBundleException(file + ": no such detector bundle");
        }
        Map<String, byte[]> entries = entries(file);
        byte[] manifestBytes = entries.get(MANIFEST);
        if (manifestBytes == null) {
            throw new DetectorBundleException(file + ": no " + MANIFEST + " (not a densitylab detector bundle, or truncated)");
        }
        JsonNode manifest = json(file, MANIFEST, manifestBytes);
        if (!FORMAT.equals(manifest.path("format").asText())) {
            throw new DetectorBundleException(file + ": not a densitylab detector bundle (format '" + manifest.path("format").asText() + "')");
        }
        int version = manifest.path("format_version").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new DetectorBundleException(file + ": bundle format version " + version + ", and this densitylab ("
                    + Versions.all().get("densitylab") + ") reads version " + FORMAT_VERSION + "; written by densitylab "
                    + manifest.path("versions").path("densitylab").asText("?") + ": fit the detector again with this version");
        }
        if (trusted != null) {
            BundleSignature.verify(file, manifestBytes, entries.get(BundleSignature.ENTRY), trusted);
        }
        JsonNode sums = manifest.path("sha256");
        List<String> listed = new ArrayList<>();
        sums.fieldNames().forEachRemaining(listed::add);
        for (String name : listed) {
            byte[] b = entries.get(name);
            if (b == null) {
                throw new DetectorBundleException(file + ": entry " + name + " is listed in the manifest but missing");
            }
            if (!Sha256.of(b).equals(sums.get(name).asText())) {
                throw new DetectorBundleException(file + ": entry " + name + " does not match its SHA-256 in the manifest "
                        + "(the bundle was changed or corrupted after it was written)");
            }
        }
        for (String name : entries.keySet()) {
            if (!sums.has(name) && !name.equals(MANIFEST) && !name.equals(BundleSignature.ENTRY)) {
                throw new DetectorBundleException(file + ": entry " + name + " is not in the manifest (the bundle was changed)");
            }
        }
        return entries;
    }

    private static OodDetector detector(Path file, JsonNode det, Path dir) throws IOException {
        List<GenerativeModel> loaded = new ArrayList<>();
        try {
            return detector(file, det, dir, loaded);
        } catch (IOException | RuntimeException e) {
            loaded.forEach(GenerativeModel::close); // nothing of a refused bundle stays in memory
            throw e;
        }
    }

    private static GenerativeModel load(Path modelDir, List<GenerativeModel> loaded) throws IOException {
        GenerativeModel m = ModelKinds.load(modelDir);
        loaded.add(m);
        return m;
    }

    private static OodDetector detector(Path file, JsonNode det, Path dir, List<GenerativeModel> loaded) throws IOException {
        GenerativeModel model = load(dir.resolve("model"), loaded);
        JsonNode score = det.path("score");
        DensityModel background = score.path("background").asBoolean() ? (DensityModel) load(dir.resolve("background"), loaded) : null;
        List<DensityModel> members = new ArrayList<>();
        int n = score.path("ensemble_members").asInt(0);
        for (int k = 1; k <= n; k++) {
            members.add(k == 1 ? (DensityModel) model : (DensityModel) load(dir.resolve("ensemble").resolve("member-" + k), loaded));
        }
        Map<String, GenerativeModel> peers = new LinkedHashMap<>();
        for (JsonNode name : score.path("peers")) {
            peers.put(name.asText(), load(dir.resolve("peers").resolve("peer-" + (peers.size() + 1)), loaded));
        }
        JsonNode o = score.path("options");
        ScoreOptions options = new ScoreOptions(o.path("iwaeSamples").asInt(), o.path("regretSteps").asInt(), o.path("regretLr").asDouble(),
                o.path("encoderSteps").asInt(ScoreOptions.ENCODER_STEPS), o.path("encoderLr").asDouble(ScoreOptions.ENCODER_LR));
        JsonNode p = det.path("preprocessing");
        Preprocessing pre = new Preprocessing(p.path("channels").asInt(), p.path("height").asInt(), p.path("width").asInt(),
                Preprocessing.Resize.parse(p.path("resize").asText()));
        if (!java.util.Arrays.equals(pre.shape(), model.shape())) {
            throw new DetectorBundleException(file + ": the preprocessing's shape differs from the model's");
        }
        Calibration c = ModelFiles.JSON.treeToValue(det.path("calibration"), Calibration.class);
        Map<String, Object> state = null;
        if (score.has("fitted_state")) {
            state = ModelFiles.JSON.convertValue(score.get("fitted_state"), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        } else if (score.has("typicality_train_mean")) { // bundles written before fitted states generalised typicality's
            state = Map.of("train_mean", score.get("typicality_train_mean").asDouble());
        }
        try {
            return new OodDetector(model, background, members, peers, score.path("name").asText(), options, state, pre, c);
        } catch (IllegalArgumentException e) {
            throw new DetectorBundleException(file + ": " + e.getMessage());
        }
    }

    private static JsonNode json(Path file, String name, byte[] bytes) throws DetectorBundleException {
        if (bytes == null) {
            throw new DetectorBundleException(file + ": no " + name);
        }
        try {
            return ModelFiles.JSON.readTree(bytes);
        } catch (IOException e) {
            throw new DetectorBundleException(file + ": " + name + " is not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** Every entry's bytes, read through the zip's central directory (so a truncated file is noticed). */
    private static Map<String, byte[]> entries(Path file) throws DetectorBundleException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        long total = 0;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> all = zip.entries();
            while (all.hasMoreElements()) {
                ZipEntry e = all.nextElement();
                String name = e.getName();
                if (e.isDirectory()) {
                    continue;
                }
                if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || List.of(name.split("/")).contains("..")) {
                    throw new DetectorBundleException(file + ": entry name '" + name + "' is not allowed in a bundle");
                }
                if (out.containsKey(name)) {
                    throw new DetectorBundleException(file + ": entry " + name + " appears twice");
                }
                if (e.getSize() > MAX_ENTRY) {
                    throw new DetectorBundleException(file + ": entry " + name + " claims " + e.getSize() + " bytes, more than a bundle holds");
                }
                byte[] b;
                try (InputStream in = zip.getInputStream(e)) {
                    b = densitylab.io.BoundedReads.readAtMost(in, MAX_ENTRY, "entry " + name);
                }
                total += b.length;
                if (total > MAX_TOTAL) {
                    throw new DetectorBundleException(file + ": its entries hold more than " + MAX_TOTAL + " bytes");
                }
                out.put(name, b);
            }
        } catch (DetectorBundleException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DetectorBundleException(file + ": not a complete zip file (truncated or corrupted): " + e.getMessage(), e);
        }
        return out;
    }
}
