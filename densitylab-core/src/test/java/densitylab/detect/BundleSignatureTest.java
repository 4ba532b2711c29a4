package densitylab.detect;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageSet;
import densitylab.io.Sha256;
import densitylab.model.DensityModel;
import densitylab.model.ScoreOptions;
import densitylab.model.registry.ModelKinds;
import densitylab.nn.ModelFiles;
import densitylab.train.TrainSettings;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BundleSignatureTest {
    @TempDir
    static Path tmp;
    static OodDetector detector;
    static ImageSet validation;
    static KeyPair alice;
    static KeyPair mallory;

    @BeforeAll
    static void fit() throws Exception {
        DataResolver r = new DataResolver(Fetcher.fromEnvironment());
        ImageSet train = r.load("fashion-mnist", "train").limit(500);
        validation = r.load("fashion-mnist", "test").limit(200);
        DensityModel model = (DensityModel) ModelKinds.get("gaussian").train(train, null, TrainSettings.defaults(0)).model();
        detector = OodDetector.fit(model, null, List.of(), "likelihood", ScoreOptions.defaults(), null, validation,
                "fashion-mnist:test", 0.95, Preprocessing.Resize.REJECT);
        BundleSignature.writeKeys(BundleSignature.generate(), tmp.resolve("alice.key"));
        BundleSignature.writeKeys(BundleSignature.generate(), tmp.resolve("mallory.key"));
        alice = BundleSignature.readSigningKey(tmp.resolve("alice.key"));
        mallory = BundleSignature.readSigningKey(tmp.resolve("mallory.key"));
    }

    @Test
    void aSignedBundleLoadsUnderItsKeyAndWithoutTrustAndScoresAsTheDetector() throws Exception {
        Path b = tmp.resolve("signed.zip");
        detector.save(b, alice);
        double[] expected = detector.score(validation);
        assertThat(OodDetector.load(b, List.of(BundleSignature.readPublicKey(tmp.resolve("alice.key.pub")))).score(validation))
                .containsExactly(expected);
        assertThat(OodDetector.load(b).score(validation)).containsExactly(expected);
        assertThat(OodDetector.load(b, List.of(mallory.getPublic(), alice.getPublic())).score(validation)).containsExactly(expected);
    }

    @Test
    void anUnsignedBundleIsRefusedWhereTrustIsAsked() throws Exception {
        Path b = tmp.resolve("unsigned.zip");
        detector.save(b);
        assertThatThrownBy(() -> OodDetector.load(b, List.of(alice.getPublic())))
                .isInstanceOf(DetectorBundleException.class).hasMessageContaining("not signed").hasMessageContaining("detector sign");
    }

    @Test
    void aBundleSignedByAnotherKeyIsRefusedNamingThatKey() throws Exception {
        Path b = tmp.resolve("mallory.zip");
        detector.save(b, mallory);
        assertThatThrownBy(() -> OodDetector.load(b, List.of(alice.getPublic())))
                .isInstanceOf(DetectorBundleException.class)
                .hasMessageContaining("signed by key " + BundleSignature.fingerprint(mallory.getPublic()))
                .hasMessageContaining("not a trusted key");
    }

    @Test
    void aManifestRewrittenAfterSigningIsRefused() throws Exception {
        Path b = tmp.resolve("rewritten.zip");
        detector.save(b, alice);
        // The attacker changes the threshold and rewrites the manifest's SHA-256 to match, keeping the old signature.
        Map<String, byte[]> e = new LinkedHashMap<>(DetectorBundle.verifiedEntries(b));
        ObjectNode det = (ObjectNode) ModelFiles.JSON.readTree(e.get("detector.json"));
        ((ObjectNode) det.get("calibration")).put("threshold", 1e9);
        e.put("detector.json", ModelFiles.JSON.writeValueAsBytes(det));
        ObjectNode manifest = (ObjectNode) ModelFiles.JSON.readTree(e.get(DetectorBundle.MANIFEST));
        ((ObjectNode) manifest.get("sha256")).put("detector.json", Sha256.of(e.get("detector.json")));
        e.put(DetectorBundle.MANIFEST, ModelFiles.JSON.writeValueAsBytes(manifest));
        byte[] signature = e.remove(BundleSignature.ENTRY);
        DetectorBundle.writeEntries(b, e, signature);

        assertThat(OodDetector.load(b).calibration().threshold()).as("without trust, the rewrite is not noticed").isEqualTo(1e9);
        assertThatThrownBy(() -> OodDetector.load(b, List.of(alice.getPublic())))
                .isInstanceOf(DetectorBundleException.class).hasMessageContaining("changed after it was signed");
    }

    @Test
    void signingAnExistingBundleInPlaceMakesItTrusted() throws Exception {
        Path b = tmp.resolve("later.zip");
        detector.save(b);
        BundleSignature.sign(b, alice);
        assertThat(OodDetector.load(b, List.of(alice.getPublic())).calibration()).isEqualTo(detector.calibration());
        BundleSignature.sign(b, mallory); // re-signing replaces the signature
        assertThatThrownBy(() -> OodDetector.load(b, List.of(alice.getPublic()))).hasMessageContaining("not a trusted key");
    }

    @Test
    void keyFilesAreOwnerOnlyAreNotOverwrittenAndAreNotConfused() throws Exception {
        Path key = tmp.resolve("alice.key");
        if (Files.getFileStore(key).supportsFileAttributeView("posix")) {
            assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE);
        }
        assertThatThrownBy(() -> BundleSignature.writeKeys(BundleSignature.generate(), key)).hasMessageContaining("exists already");
        assertThatThrownBy(() -> BundleSignature.readSigningKey(tmp.resolve("alice.key.pub"))).hasMessageContaining("not a PEM private key");
        assertThat(BundleSignature.readPublicKey(key).getEncoded()).as("the private key file holds its public key")
                .isEqualTo(alice.getPublic().getEncoded());
    }

    @Test
    void trustWithoutKeysIsAnError() {
        assertThatThrownBy(() -> OodDetector.load(tmp.resolve("x.zip"), List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
