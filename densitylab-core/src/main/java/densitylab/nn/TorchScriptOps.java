package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * libtorch operators DJL 0.21's binding does not expose, reached through a TorchScript module whose archive this class
 * writes itself (source text and two fixed pickles; no Python): DJL runs a module's forward method with autograd, so
 * the operators are differentiable like any other. One module per operator, loaded once per process.
 */
final class TorchScriptOps {
    private final PtSymbolBlock module;

    private TorchScriptOps(String name, String parameters, String body) {
        NDManager keeper = NDManager.newBaseManager(); // lives as long as the process, like the engine
        try {
            module = JniUtils.loadModule((PtNDManager) keeper, new ByteArrayInputStream(archive(name, parameters, body)),
                    true, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** x (B, C, ...) group-normalised (eps 1e-5) with per-channel scale and shift whose shape (G, C / G) gives G. */
    static final TorchScriptOps GROUP_NORM = new TorchScriptOps("GroupNorm", "x: Tensor, w: Tensor, b: Tensor",
            "torch.group_norm(x, torch.size(w, 0), torch.reshape(w, [-1]), torch.reshape(b, [-1]), 1.0000000000000001e-05)");

    /** {@link #GROUP_NORM} followed by SiLU, x * sigmoid(x). */
    static final TorchScriptOps GROUP_NORM_SILU = new TorchScriptOps("GroupNormSilu", "x: Tensor, w: Tensor, b: Tensor",
            "torch.silu(torch.group_norm(x, torch.size(w, 0), torch.reshape(w, [-1]), torch.reshape(b, [-1]), "
                    + "1.0000000000000001e-05))");

    /** The operator applied to inputs, its result in the first input's manager. */
    NDArray apply(NDArray... inputs) {
        return IValueUtils.forward(module, new NDList(inputs), true).singletonOrThrow();
    }

    /**
     * A TorchScript archive (format version 3) of a module named name without parameters whose forward(parameters)
     * returns body.
     */
    static byte[] archive(String name, String parameters, String body) {
        String code = "class " + name + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def forward(self: __torch__." + name + ", " + parameters + ") -> Tensor:\n"
                + "    return " + body + "\n";
        ByteArrayOutputStream state = new ByteArrayOutputStream();
        // pickle protocol 2: __torch__.<name> built from {"training": True}
        state.write(0x80);
        state.write(2);
        state.writeBytes(("c__torch__\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        state.writeBytes(new byte[] {'q', 0, ')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0});
        state.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
        state.writeBytes(new byte[] {'q', 1, (byte) 0x88, 'u', 'b', 'q', 2, '.'});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            String root = name.toLowerCase() + "/";
            stored(zip, root + "data.pkl", state.toByteArray());
            stored(zip, root + "code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            stored(zip, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // the empty tuple
            stored(zip, root + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
