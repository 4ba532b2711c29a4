package densitylab.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import densitylab.io.AtomicFiles;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The on-disk form of a model: {@code model.json} (kind, shape, hyper-parameters) and
 * {@code arrays.bin} (named double arrays), each written atomically.
 */
public final class ModelFiles {
    /** Shared JSON mapper (pretty output). */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int MAGIC = 0x444c4d31; // "DLM1"

    private ModelFiles() {
    }

    /** Writes model.json with the kind, shape and hyper-parameters, plus any extra fields. */
    public static void writeMeta(Path dir, String kind, int[] shape, Map<String, ?> params) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind);
        m.put("shape", shape);
        m.put("params", params);
        AtomicFiles.write(dir.resolve("model.json"), JSON.writeValueAsBytes(m));
    }

    /** Reads model.json, with an error that says what is missing. */
    public static JsonNode readMeta(Path dir) throws IOException {
        Path f = dir.resolve("model.json");
        if (!Files.isRegularFile(f)) {
            throw new NoSuchFileException(f.toString(), null, "no model here (model.json missing); train one first");
        }
        return JSON.readTree(f.toFile());
    }

    /** The shape [C,H,W] stored in model.json. */
    public static int[] shape(JsonNode meta) {
        JsonNode s = meta.get("shape");
        return new int[] {s.get(0).asInt(), s.get(1).asInt(), s.get(2).asInt()};
    }

    /** The hyper-parameters stored in model.json, as strings. */
    public static Map<String, String> params(JsonNode meta) {
        Map<String, String> out = new LinkedHashMap<>();
        meta.get("params").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** Writes named arrays to dir/arrays.bin atomically. */
    public static void writeArrays(Path dir, Map<String, double[]> arrays) throws IOException {
        AtomicFiles.write(dir.resolve("arrays.bin"), raw -> {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
            out.writeInt(MAGIC);
            out.writeInt(arrays.size());
            for (var e : arrays.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                for (double v : e.getValue()) {
                    out.writeDouble(v);
                }
            }
            out.flush();
        });
    }

    /** Reads dir/arrays.bin. */
    public static Map<String, double[]> readArrays(Path dir) throws IOException {
        Path f = dir.resolve("arrays.bin");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 16))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(f + ": not a densitylab arrays file");
            }
            int n = in.readInt();
            Map<String, double[]> out = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                double[] v = new double[in.readInt()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = in.readDouble();
                }
                out.put(name, v);
            }
            return out;
        } catch (EOFException e) {
            throw new IOException(f + ": truncated", e);
        }
    }

    /** Writes trainable parameters to dir/arrays.bin as arrays p0, p1, ... in their fixed order (atomic). */
    public static void writeParameters(Path dir, java.util.List<ai.djl.ndarray.NDArray> params) throws IOException {
        Map<String, double[]> arrays = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            float[] f = params.get(i).toFloatArray();
            double[] v = new double[f.length];
            for (int k = 0; k < f.length; k++) {
                v[k] = f[k];
            }
            arrays.put("p" + i, v);
        }
        writeArrays(dir, arrays);
    }

    /** Sets parameters from arrays written by {@link #writeParameters}, checking their number and sizes. */
    public static void readParameters(Path dir, java.util.List<ai.djl.ndarray.NDArray> params) throws IOException {
        Map<String, double[]> a = readArrays(dir);
        if (a.size() != params.size()) {
            throw new IOException(dir + ": holds " + a.size() + " parameter arrays, the model has " + params.size());
        }
        for (int i = 0; i < params.size(); i++) {
            double[] v = require(a, "p" + i, dir);
            if (v.length != params.get(i).getShape().size()) {
                throw new IOException(dir + ": parameter " + i + " has " + v.length + " values, the model expects "
                        + params.get(i).getShape());
            }
            float[] f = new float[v.length];
            for (int k = 0; k < v.length; k++) {
                f[k] = (float) v[k];
            }
            params.get(i).set(f);
        }
    }

    /** The named array, or an error naming the file. */
    public static double[] require(Map<String, double[]> arrays, String name, Path dir) throws IOException {
        double[] v = arrays.get(name);
        if (v == null) {
            throw new IOException(dir.resolve("arrays.bin") + ": missing array '" + name + "'");
        }
        return v;
    }

    /** The checksum file written beside a saved model, in {@code sha256sum} format ("HEX  NAME" per file). */
    public static final String MANIFEST = "manifest.sha256";

    /**
     * Writes dir/{@value #MANIFEST} with the SHA-256 of every file under dir (sorted relative paths, '/'-separated),
     * atomically; {@code sha256sum -c manifest.sha256} in dir checks it too.
     */
    public static void writeManifest(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path f : filesUnder(dir)) {
            sb.append(densitylab.io.Sha256.of(dir.resolve(f))).append("  ").append(f.toString().replace('\\', '/')).append('\n');
        }
        AtomicFiles.writeString(dir.resolve(MANIFEST), sb.toString());
    }

    /**
     * Checks every file listed in dir/{@value #MANIFEST} against its SHA-256; a model saved before manifests existed
     * (no manifest) passes.
     *
     * @throws IOException naming the first file that is missing or does not match, or a malformed manifest line
     */
    public static void verifyManifest(Path dir) throws IOException {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            return;
        }
        for (String line : Files.readAllLines(m)) {
            if (line.isBlank()) {
                continue;
            }
            int sep = line.indexOf("  ");
            String name = sep == 64 ? line.substring(66) : null;
            if (name == null || name.isEmpty() || name.contains("..") || name.startsWith("/")) {
                throw new IOException(m + ": malformed line '" + line + "'");
            }
            Path f = dir.resolve(name);
            if (!Files.isRegularFile(f)) {
                throw new IOException(f + " is listed in " + m + " but missing");
            }
            if (!densitylab.io.Sha256.of(f).equals(line.substring(0, 64))) {
                throw new IOException(f + " does not match its SHA-256 in " + m + ": the model file was changed or corrupted "
                        + "after it was written; retrain, or restore the file");
            }
        }
    }

    /** Relative paths of the regular files under dir, the manifest and temporary files excepted, sorted. */
    public static java.util.List<Path> filesUnder(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(dir::relativize)
                    .filter(p -> !p.toString().equals(MANIFEST) && !p.getFileName().toString().endsWith(".part"))
                    .sorted().toList();
        }
    }
}
