package densitylab.train;

import densitylab.nn.ModelFiles;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import densitylab.io.AtomicFiles;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Training checkpoints: {@code DIR/step-N/arrays.bin} (parameters then optimiser state) and
 * {@code state.json}, made visible by atomically rewriting {@code DIR/latest} last, so a crash at any
 * moment leaves the previous checkpoint usable. The two newest are kept.
 */
public final class Checkpoints {
    private static final int MAGIC = 0x444c4331; // "DLC1"

    private Checkpoints() {
    }

    /** A restored checkpoint: arrays in the order saved, and the trainer's state. */
    public record Loaded(List<NDArray> arrays, JsonNode state, Path dir) {
    }

    /** Writes arrays and state as checkpoint step-N and points DIR/latest at it. */
    public static Path save(Path dir, long step, List<NDArray> arrays, Map<String, Object> state) throws IOException {
        Path ck = dir.resolve("step-" + step);
        Files.createDirectories(ck);
        AtomicFiles.write(ck.resolve("arrays.bin"), raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.writeInt(MAGIC);
            out.writeInt(arrays.size());
            for (NDArray a : arrays) {
                byte[] b = a.encode();
                out.writeInt(b.length);
                out.write(b);
            }
            out.flush();
        });
        AtomicFiles.write(ck.resolve("state.json"), ModelFiles.JSON.writeValueAsBytes(state));
        AtomicFiles.writeString(dir.resolve("latest"), ck.getFileName().toString() + "\n");
        prune(dir, ck);
        return ck;
    }

    /** The checkpoint DIR/latest points at, or null when there is none. */
    public static Path latest(Path dir) throws IOException {
        Path p = dir.resolve("latest");
        if (!Files.isRegularFile(p)) {
            return null;
        }
        Path ck = dir.resolve(Files.readString(p).strip());
        return Files.isRegularFile(ck.resolve("arrays.bin")) ? ck : null;
    }

    /** Loads a checkpoint's arrays into manager. */
    public static Loaded load(Path ck, NDManager manager) throws IOException {
        List<NDArray> arrays = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(ck.resolve("arrays.bin"))))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(ck + ": not a densitylab checkpoint");
            }
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                arrays.add(NDArray.decode(manager, b));
            }
        }
        return new Loaded(arrays, ModelFiles.JSON.readTree(ck.resolve("state.json").toFile()), ck);
    }

    private static void prune(Path dir, Path keep) throws IOException {
        List<Path> cks;
        try (Stream<Path> s = Files.list(dir)) {
            cks = s.filter(p -> p.getFileName().toString().startsWith("step-") && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5))))
                    .toList();
        }
        for (int i = 0; i < cks.size() - 2; i++) {
            if (!cks.get(i).equals(keep)) {
                try (Stream<Path> s = Files.walk(cks.get(i))) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
