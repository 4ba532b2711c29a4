package densitylab.detect;

import densitylab.data.CifarBinary;
import densitylab.data.IdxFormat;
import densitylab.data.ImageSet;
import densitylab.data.Images;
import densitylab.data.Synthetic;
import densitylab.model.DensityModel;
import densitylab.model.registry.ModelKinds;
import densitylab.report.ImageGrid;
import densitylab.model.ScoreOptions;
import densitylab.train.TrainSettings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A few hundred mutated PNG, IDX, CIFAR and bundle files fed to the readers and to {@link OodDetector#load}: each
 * must give a valid result or an error that says what is wrong (an IOException or IllegalArgumentException with a
 * message), never an unexpected exception (NullPointerException, an index out of bounds, a negative array size, an
 * OutOfMemoryError from a size field believed).
 */
class MutatedInputsTest {
    @TempDir
    Path tmp;

    @FunctionalInterface
    interface Reader {
        Object read(byte[] bytes) throws Exception;
    }

    /** Byte flips, truncations, insertions and overwritten header fields, from a seeded generator. */
    static byte[] mutate(byte[] good, Random g) {
        byte[] b = good.clone();
        switch (g.nextInt(5)) {
            case 0 -> {
                for (int k = 1 + g.nextInt(8); k > 0; k--) {
                    b[g.nextInt(b.length)] ^= (byte) (1 + g.nextInt(255));
                }
            }
            case 1 -> b = Arrays.copyOf(b, g.nextInt(b.length));
            case 2 -> {
                int at = g.nextInt(b.length);
                byte[] extra = new byte[1 + g.nextInt(16)];
                g.nextBytes(extra);
                byte[] out = new byte[b.length + extra.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(extra, 0, out, at, extra.length);
                System.arraycopy(b, at, out, at + extra.length, b.length - at);
                b = out;
            }
            case 3 -> { // a header field (sizes, counts, lengths live in the first bytes) set to an extreme value
                int at = g.nextInt(Math.min(b.length, 40));
                byte v = g.nextBoolean() ? (byte) 0xff : (byte) 0x7f;
                for (int k = at; k < Math.min(b.length, at + 4); k++) {
                    b[k] = v;
                }
            }
            default -> {
                int at = g.nextInt(b.length);
                Arrays.fill(b, at, Math.min(b.length, at + 1 + g.nextInt(64)), (byte) 0);
            }
        }
        return b;
    }

    static void fuzz(String what, byte[] good, int count, Reader reader) {
        Random g = new Random(what.hashCode());
        int errors = 0;
        for (int i = 0; i < count; i++) {
            byte[] b = mutate(good, g);
            try {
                reader.read(b);
            } catch (IOException | IllegalArgumentException e) {
                assertThat(e.getMessage()).as("%s mutation %d: %s", what, i, e).isNotBlank();
                errors++;
            } catch (Throwable t) {
                fail(what + " mutation " + i + " threw " + t, t);
            }
        }
        assertThat(errors).as(what + ": some mutations are caught").isPositive();
    }

    @Test
    void mutatedPngsDecodeOrFailClearly() throws Exception {
        ImageSet set = Synthetic.generate("noise", 2, 3, 16, 16, 1);
        byte[] png = ImageGrid.png(Images.toBufferedImage(set, 0));
        Preprocessing pre = new Preprocessing(1, 16, 16, Preprocessing.Resize.RESIZE);
        fuzz("png", png, 200, b -> pre.decode(b, "fuzz.png"));
    }

    @Test
    void mutatedIdxAndCifarFilesReadOrFailClearly() throws Exception {
        ImageSet gray = Synthetic.generate("noise", 5, 1, 8, 8, 2);
        Path images = tmp.resolve("images-idx3-ubyte");
        Path labels = tmp.resolve("labels-idx1-ubyte");
        IdxFormat.write(withLabels(gray), images, labels);
        byte[] idx = Files.readAllBytes(images);
        byte[] lab = Files.readAllBytes(labels);
        Path mi = tmp.resolve("m-images-idx3-ubyte");
        Path ml = tmp.resolve("m-labels-idx1-ubyte");
        fuzz("idx images", idx, 100, b -> {
            Files.write(mi, b);
            return IdxFormat.read("fuzz", mi, labels);
        });
        fuzz("idx labels", lab, 50, b -> {
            Files.write(ml, b);
            return IdxFormat.read("fuzz", images, ml);
        });
        Path cifar = tmp.resolve("data_batch_1.bin");
        CifarBinary.write(withLabels(Synthetic.generate("noise", 3, 3, 32, 32, 3)), cifar, CifarBinary.Variant.CIFAR10);
        byte[] c = Files.readAllBytes(cifar);
        Path mc = tmp.resolve("m_batch.bin");
        fuzz("cifar", c, 100, b -> {
            Files.write(mc, b);
            return CifarBinary.read("fuzz", mc, CifarBinary.Variant.CIFAR10);
        });
    }

    @Test
    void mutatedBundlesLoadOrAreRefusedWithAReason() throws Exception {
        ImageSet train = withLabels(Synthetic.generate("noise", 50, 1, 8, 8, 4));
        DensityModel m = (DensityModel) ModelKinds.get("gaussian").train(train, null, TrainSettings.defaults(0)).model();
        OodDetector d = OodDetector.fit(m, null, List.of(), "likelihood", ScoreOptions.defaults(), null, train, "v", 0.9,
                Preprocessing.Resize.REJECT);
        Path f = tmp.resolve("d.zip");
        d.save(f);
        byte[] good = Files.readAllBytes(f);
        Path mf = tmp.resolve("m.zip");
        List<String> reasons = new ArrayList<>();
        fuzz("bundle", good, 100, b -> {
            Files.write(mf, b);
            try {
                return OodDetector.load(mf);
            } catch (DetectorBundleException e) {
                reasons.add(e.getMessage());
                throw e;
            }
        });
        assertThat(reasons).isNotEmpty();
    }

    static ImageSet withLabels(ImageSet s) {
        int[] labels = new int[s.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 10;
        }
        return ImageSet.of(s.name(), s.channels(), s.height(), s.width(), s.pixels(), labels);
    }

}
