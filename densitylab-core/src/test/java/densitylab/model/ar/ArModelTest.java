package densitylab.model.ar;

import densitylab.data.ImageSet;
import densitylab.model.registry.ModelKinds;
import densitylab.nn.LogisticBins;
import densitylab.nn.Scopes;
import densitylab.nn.Units;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static densitylab.data.TestImages.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ArModelTest {
    @TempDir
    Path tmp;

    /**
     * The gradient of sub-pixel (c, i, j)'s log-likelihood term with respect to the input image, flattened (C, H, W).
     * With networkOnly, the term's own target values are a constant copy, so only the network's dependence shows.
     */
    private static float[] termGradient(AutoregressiveModel m, float[] image, int[] shape, int c, int i, int j, boolean networkOnly) {
        try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays());
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = sub.create(image, new Shape(1, shape[0], shape[1], shape[2]));
            x.setRequiresGradient(true);
            NDArray terms = networkOnly
                    ? m.likelihood().logProbPerSubpixel(m.conditionals(x), sub.create(image, x.getShape()))
                    : m.logProbPerSubpixel(x, null);
            gc.backward(terms.get(0, c, i, j));
            return x.getGradient().toFloatArray();
        }
    }

    /**
     * Causality, for both models, grey and colour, at every preset: on a 5x5 image (odd, so the stride-2 layers and the
     * transposed convolutions crop), the log-likelihood term of every sub-pixel has exactly zero gradient with respect
     * to every sub-pixel after it (later pixels in raster order, later channels of its own pixel), and the network's
     * output for it none with respect to itself either; the term of the last pixel does depend on earlier ones.
     */
    @ParameterizedTest(name = "{0} {1} channel(s), preset {2}")
    @CsvSource({"pixelcnn,1,tiny", "pixelcnn,3,tiny", "pixelcnn,1,small", "pixelcnn,3,small", "pixelcnn,1,medium",
            "pixelcnnpp,1,tiny", "pixelcnnpp,3,tiny", "pixelcnnpp,1,small", "pixelcnnpp,3,small", "pixelcnnpp,1,medium"})
    void noTermDependsOnTheSubPixelsAfterIt(String kind, int channels, String preset) {
        int[] shape = {channels, 5, 5};
        AutoregressiveModel m = ArKinds.build(kind, shape, Map.of("preset", preset), 3);
        try (NDManager owner = m.manager()) {
            float[] image = new float[channels * 25];
            Random r = new Random(4);
            for (int k = 0; k < image.length; k++) {
                image[k] = r.nextInt(256);
            }
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 5; j++) {
                    for (int c = 0; c < channels; c++) {
                        for (boolean networkOnly : new boolean[] {false, true}) {
                            float[] g = termGradient(m, image, shape, c, i, j, networkOnly);
                            double before = 0;
                            for (int cc = 0; cc < channels; cc++) {
                                for (int ii = 0; ii < 5; ii++) {
                                    for (int jj = 0; jj < 5; jj++) {
                                        int pos = ii * 5 + jj;
                                        int at = i * 5 + j;
                                        boolean after = pos > at || (pos == at && (cc > c || (cc == c && networkOnly)));
                                        float v = g[(cc * 5 + ii) * 5 + jj];
                                        if (after) {
                                            assertThat(v).as("%s term (%d, %d, %d) vs input (%d, %d, %d), network only: %s", kind, c, i, j, cc, ii, jj, networkOnly)
                                                    .isEqualTo(0f);
                                        } else if (pos < at) {
                                            before += Math.abs(v);
                                        }
                                    }
                                }
                            }
                            if (i == 4 && j == 4) {
                                assertThat(before).as("%s: the last pixel's term reads the pixels before it", kind).isGreaterThan(0);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Every probability of a space small enough to enumerate: the 65,536 two-pixel grey images. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"pixelcnn", "pixelcnnpp"})
    void probabilitiesOfAllTwoPixelImagesSumToOne(String kind) throws Exception {
        AutoregressiveModel m = ArKinds.build(kind, new int[] {1, 1, 2}, Map.of("preset", "tiny"), 5);
        try (NDManager owner = m.manager()) {
            trainBriefly(m, random(64, 1, 1, 2, 6)); // away from the initial, nearly uniform distribution
            byte[] px = new byte[65536 * 2];
            for (int v = 0; v < 65536; v++) {
                px[2 * v] = (byte) (v >> 8);
                px[2 * v + 1] = (byte) v;
            }
            double[] lp = m.logProb(ImageSet.of("all", 1, 1, 2, px, null));
            double sum = 0;
            double max = 0;
            for (double l : lp) {
                sum += Math.exp(l);
                max = Math.max(max, Math.exp(l));
            }
            assertThat(sum).isCloseTo(1.0, within(1e-4));
            assertThat(max).as("not uniform").isGreaterThan(2.0 / 65536);
        }
    }

    /**
     * The same for colour, where the whole space (2^24 one-pixel images) takes minutes: P(R = r) sums to 1 over the 256
     * values of red, and for several r the 65,536 images (r, g, b) sum to P(R = r), which with the first makes the joint
     * sum to 1 over every red value checked; channels are conditioned in order (G on R, B on R and G).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"pixelcnn", "pixelcnnpp"})
    void probabilitiesOfOnePixelColourImagesSumToOne(String kind) throws Exception {
        AutoregressiveModel m = ArKinds.build(kind, new int[] {3, 1, 1}, Map.of("preset", "tiny"), 7);
        try (NDManager owner = m.manager()) {
            trainBriefly(m, random(64, 3, 1, 1, 8));
            double[] red = new double[256];
            double total = 0;
            for (int r = 0; r < 256; r++) {
                red[r] = Math.exp(terms(m, new float[] {r, 0, 0}, 1)[0]);
                total += red[r];
            }
            assertThat(total).isCloseTo(1.0, within(1e-4));
            for (int r : new int[] {0, 77, 200, 255}) {
                float[] x = new float[65536 * 3];
                for (int v = 0; v < 65536; v++) {
                    x[3 * v] = r;
                    x[3 * v + 1] = v >> 8;
                    x[3 * v + 2] = v & 255;
                }
                float[] t = terms(m, x, 65536);
                double sum = 0;
                for (int v = 0; v < 65536; v++) {
                    sum += Math.exp((double) t[3 * v] + t[3 * v + 1] + t[3 * v + 2]);
                }
                assertThat(sum).as("red %d", r).isCloseTo(red[r], within(1e-4 * red[r]));
            }
        }
    }

    /** The per-sub-pixel terms (n, 3) of n one-pixel colour images, flattened. */
    private static float[] terms(AutoregressiveModel m, float[] x, int n) {
        try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays())) {
            return m.logProbPerSubpixel(sub.create(x, new Shape(n, 3, 1, 1)), null).toFloatArray();
        }
    }

    private static void trainBriefly(AutoregressiveModel m, ImageSet data) throws java.io.IOException {
        new Trainer(new TrainSettings(11, 5, 0, 16, 1e-2, 0, 0, null, 3600, false, Map.of())).train(m, data, null);
    }

    @Test
    void theDiscretizedLogisticIsADistributionOverThe256ValuesEvenWhenSharp() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] values = new float[256];
            for (int v = 0; v < 256; v++) {
                values[v] = v;
            }
            NDArray x = m.create(values);
            for (double[] ms : new double[][] {{0, 0}, {-0.3, -2}, {0.9, -7}, {0.0123, -6.5}, {-1.2, 1}}) {
                float[] lp = LogisticBins.logMass(x, m.create((float) ms[0]), m.create((float) ms[1])).toFloatArray();
                double sum = 0;
                for (float l : lp) {
                    assertThat(l).isFinite();
                    sum += Math.exp(l);
                }
                assertThat(sum).as("mu %s, log s %s", ms[0], ms[1]).isCloseTo(1.0, within(2e-3));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"pixelcnn", "pixelcnnpp"})
    void savedModelReproducesLogProbsAndSamplesExactly(String kind) throws Exception {
        AutoregressiveModel m = ArKinds.build(kind, new int[] {3, 4, 4}, Map.of("preset", "tiny"), 9);
        ImageSet data = random(20, 3, 4, 4, 10);
        try (NDManager owner = m.manager()) {
            trainBriefly(m, data);
            m.save(tmp.resolve("model"));
            AutoregressiveModel loaded = (AutoregressiveModel) ModelKinds.load(tmp.resolve("model"));
            try (NDManager owner2 = loaded.manager()) {
                assertThat(loaded.logProb(data)).containsExactly(m.logProb(data));
                ImageSet a = m.sample(6, 11);
                ImageSet b = loaded.sample(6, 11);
                for (int i = 0; i < 6; i++) {
                    assertThat(b.image(i)).containsExactly(a.image(i));
                }
            }
        }
    }

    /** Bits/dim from logProb equal the training loss's value on the same batch (exact likelihood, no bound). */
    @Test
    void bitsPerDimAreTheLossAndTrainingLowersThem() throws Exception {
        AutoregressiveModel m = ArKinds.build("pixelcnnpp", new int[] {1, 6, 6}, Map.of("preset", "tiny"), 12);
        ImageSet data = random(32, 1, 6, 6, 13);
        try (NDManager owner = m.manager()) {
            double before = Units.mean(m.bitsPerDim(data));
            try (NDManager sub = Scopes.open(m.manager(), m.scopeArrays())) {
                assertThat((double) m.loss(data.toNDArray(sub), null).getFloat()).isCloseTo(before, within(1e-4));
            }
            trainBriefly(m, data);
            assertThat(Units.mean(m.bitsPerDim(data))).isLessThan(before);
        }
    }

    @Test
    void resumedTrainingRepeatsBitForBit() throws Exception {
        ImageSet data = random(40, 1, 6, 6, 14);
        for (String kind : new String[] {"pixelcnn", "pixelcnnpp"}) {
            Map<String, String> p = Map.of("preset", "tiny", "dropout", kind.equals("pixelcnnpp") ? "0.2" : "0");
            AutoregressiveModel straight = ArKinds.build(kind, new int[] {1, 6, 6}, kindParams(kind, p), 15);
            new Trainer(settings(3, tmp.resolve(kind + "-a"), false)).train(straight, data, null);
            AutoregressiveModel first = ArKinds.build(kind, new int[] {1, 6, 6}, kindParams(kind, p), 15);
            new Trainer(settings(2, tmp.resolve(kind + "-b"), false)).train(first, data, null);
            first.manager().close();
            AutoregressiveModel resumed = ArKinds.build(kind, new int[] {1, 6, 6}, kindParams(kind, p), 15);
            new Trainer(settings(3, tmp.resolve(kind + "-b"), true)).train(resumed, data, null);
            for (int i = 0; i < straight.parameters().size(); i++) {
                assertThat(resumed.parameters().get(i).toFloatArray()).as("%s parameter %d", kind, i)
                        .containsExactly(straight.parameters().get(i).toFloatArray());
            }
            straight.manager().close();
            resumed.manager().close();
        }
    }

    private static Map<String, String> kindParams(String kind, Map<String, String> p) {
        return kind.equals("pixelcnnpp") ? p : Map.of("preset", p.get("preset"));
    }

    private static TrainSettings settings(int epochs, Path ck, boolean resume) {
        return new TrainSettings(16, epochs, 0, 10, 1e-3, 0, 0, ck, 3600, resume, Map.of());
    }

    @Test
    void samplesHaveTheShapeAndLowerTemperatureConcentratesThem() throws Exception {
        AutoregressiveModel m = ArKinds.build("pixelcnn", new int[] {1, 4, 4}, Map.of("preset", "tiny"), 16);
        try (NDManager owner = m.manager()) {
            trainBriefly(m, random(32, 1, 4, 4, 17));
            ImageSet hot = m.sample(40, 1, 1.0);
            ImageSet cold = m.sample(40, 1, 0.05);
            assertThat(hot.shape()).containsExactly(1, 4, 4);
            assertThat(hot.size()).isEqualTo(40);
            // at a temperature near 0 each pixel is the conditional's mode: the images are more likely under the model
            assertThat(Units.mean(m.logProb(cold))).isGreaterThan(Units.mean(m.logProb(hot)));
        }
    }
}
