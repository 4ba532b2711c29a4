package densitylab.detect;

import densitylab.io.AtomicFiles;
import densitylab.io.Sha256;
import densitylab.nn.ModelFiles;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ed25519 signatures over a detector bundle's manifest (the JDK's own provider): who made a bundle, where the manifest
 * alone proves only that nothing changed by accident. Keys are PEM files: {@code KEY} holds the private key (PKCS#8)
 * and its public key, readable by its owner only; {@code KEY.pub} holds the public key (X.509) to hand out.
 */
public final class BundleSignature {
    /** The bundle entry that holds the signature; it is not listed in the manifest it signs. */
    public static final String ENTRY = "signature.json";
    private static final String ALGORITHM = "Ed25519";

    private BundleSignature() {
    }

    /** A new key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519 (Java 15 or newer has it)", e);
        }
    }

    /**
     * Writes the private key to {@code file} (owner-only where the file system has POSIX permissions) and the public
     * key to {@code file.pub}; refuses to overwrite either.
     */
    public static void writeKeys(KeyPair keys, Path file) throws IOException {
        Path pub = publicKeyFile(file);
        for (Path p : new Path[] {file, pub}) {
            if (Files.exists(p)) {
                throw new IOException(p + " exists already: choose another --out, or delete it first (a key is not overwritten)");
            }
        }
        // a temporary file is created owner-only; it is moved into place without the world-readable mode that
        // AtomicFiles gives finished files, and never over an existing key
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".key", ".tmp");
        try {
            Files.writeString(tmp, pem("PRIVATE KEY", keys.getPrivate().getEncoded()) + pem("PUBLIC KEY", keys.getPublic().getEncoded()));
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        AtomicFiles.writeString(pub, pem("PUBLIC KEY", keys.getPublic().getEncoded()));
    }

    /** Where {@link #writeKeys} puts the public key of a private key file. */
    public static Path publicKeyFile(Path privateKeyFile) {
        return privateKeyFile.resolveSibling(privateKeyFile.getFileName() + ".pub");
    }

    /** The key pair in a private key file written by {@link #writeKeys}. */
    public static KeyPair readSigningKey(Path file) throws IOException {
        try {
            PrivateKey key = KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(unpem(file, "PRIVATE KEY")));
            return new KeyPair(publicKey(unpem(file, "PUBLIC KEY")), key);
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not an Ed25519 private key (make one with: densitylab detector keygen --out KEY)", e);
        }
    }

    /** A public key written by {@link #writeKeys} ({@code KEY.pub}). */
    public static PublicKey readPublicKey(Path file) throws IOException {
        try {
            return publicKey(unpem(file, "PUBLIC KEY"));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not an Ed25519 public key (the KEY.pub that detector keygen writes)", e);
        }
    }

    /** A short name of a public key: the first 16 hex digits of the SHA-256 of its X.509 encoding. */
    public static String fingerprint(PublicKey key) {
        return Sha256.of(key.getEncoded()).substring(0, 16);
    }

    /**
     * Signs a bundle file in place (atomically): verifies it first, then adds or replaces its signature entry.
     *
     * @throws DetectorBundleException when the file is no intact bundle
     */
    public static void sign(Path bundle, KeyPair key) throws IOException {
        Map<String, byte[]> entries = DetectorBundle.verifiedEntries(bundle);
        entries.remove(ENTRY);
        DetectorBundle.writeEntries(bundle, entries, entry(entries.get(DetectorBundle.MANIFEST), key));
    }

    /** The signature entry's bytes for a manifest, signed with key. */
    static byte[] entry(byte[] manifest, KeyPair key) throws IOException {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key.getPrivate());
            s.update(manifest);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("algorithm", ALGORITHM);
            m.put("public_key", Base64.getEncoder().encodeToString(key.getPublic().getEncoded()));
            m.put("signed", DetectorBundle.MANIFEST);
            byte[] signature = s.sign();
            Signature check = Signature.getInstance(ALGORITHM);
            check.initVerify(key.getPublic());
            check.update(manifest);
            if (!check.verify(signature)) {
                throw new IOException("the key file's private and public keys do not belong together");
            }
            m.put("signature", Base64.getEncoder().encodeToString(signature));
            return ModelFiles.JSON.writeValueAsBytes(m);
        } catch (GeneralSecurityException e) {
            throw new IOException("could not sign with this key: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that signatureEntry signs manifest with one of the trusted keys.
     *
     * @throws DetectorBundleException naming the case: no signature, a key not trusted, or a manifest changed after signing
     */
    static void verify(Path file, byte[] manifest, byte[] signatureEntry, Collection<PublicKey> trusted) throws DetectorBundleException {
        if (signatureEntry == null) {
            throw new DetectorBundleException(file + ": the bundle is not signed, and a signature by a trusted key is required "
                    + "(sign it: densitylab detector sign " + file.getFileName() + " --key KEY)");
        }
        PublicKey signer;
        byte[] signature;
        try {
            JsonNode j = ModelFiles.JSON.readTree(signatureEntry);
            if (!ALGORITHM.equals(j.path("algorithm").asText())) {
                throw new DetectorBundleException(file + ": signed with '" + j.path("algorithm").asText() + "', and only "
                        + ALGORITHM + " signatures are read");
            }
            signer = publicKey(Base64.getDecoder().decode(j.path("public_key").asText()));
            signature = Base64.getDecoder().decode(j.path("signature").asText());
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new DetectorBundleException(file + ": " + ENTRY + " is not a readable signature (" + e.getMessage() + ")");
        }
        boolean known = trusted.stream().anyMatch(k -> java.util.Arrays.equals(k.getEncoded(), signer.getEncoded()));
        if (!known) {
            throw new DetectorBundleException(file + ": signed by key " + fingerprint(signer) + ", which is not a trusted key "
                    + "(trusted: " + String.join(", ", trusted.stream().map(BundleSignature::fingerprint).toList()) + ")");
        }
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(signer);
            s.update(manifest);
            if (!s.verify(signature)) {
                throw new DetectorBundleException(file + ": the signature does not match the manifest (the bundle was changed "
                        + "after it was signed by key " + fingerprint(signer) + ")");
            }
        } catch (GeneralSecurityException e) {
            throw new DetectorBundleException(file + ": the signature does not match the manifest (" + e.getMessage() + ")");
        }
    }

    private static PublicKey publicKey(byte[] x509) throws GeneralSecurityException {
        return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static byte[] unpem(Path file, String type) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such key file");
        }
        String s = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int a = s.indexOf(begin);
        int b = s.indexOf(end);
        if (a < 0 || b < a) {
            throw new IOException(file + ": not a PEM " + type.toLowerCase(java.util.Locale.ROOT) + " file (no '" + begin + "')");
        }
        try {
            return Base64.getMimeDecoder().decode(s.substring(a + begin.length(), b));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": its PEM body is not base64", e);
        }
    }
}
