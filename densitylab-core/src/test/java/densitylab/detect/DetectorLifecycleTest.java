package densitylab.detect;

import ai.djl.ndarray.NDArray;
import densitylab.data.ImageSet;
import densitylab.data.Synthetic;
import densitylab.model.ScoreOptions;
import densitylab.model.flow.FlowKinds;
import densitylab.model.flow.FlowModel;
import densitylab.nn.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A service that loads and closes a detector again and again keeps its native memory flat. */
class DetectorLifecycleTest {
    @TempDir
    Path tmp;

    @Test
    void loadingScoringAndClosingABundle100TimesKeepsResidentMemoryFlat() throws Exception {
        ImageSet images = Synthetic.generate("noise", 64, 1, 28, 28, 3);
        long parameterBytes;
        Path bundle = tmp.resolve("wide-glow.zip");
        // a wide untrained Glow: about 10 MB of parameters, so that a leaked copy per load shows above the noise
        try (FlowModel glow = FlowKinds.build("glow", new int[] {1, 28, 28}, Map.of("hidden", "512", "steps", "4", "levels", "2"), 1);
             OodDetector d = OodDetector.fit(glow, null, List.of(), "likelihood", ScoreOptions.defaults(), null, images,
                     "noise", 0.95, Preprocessing.Resize.REJECT)) {
            parameterBytes = 4 * glow.parameters().stream().mapToLong(NDArray::size).sum();
            d.save(bundle);
        }
        assertThat(parameterBytes).isGreaterThan(8L << 20);
        long[] resident = new long[101];
        double[] first = null;
        for (int i = 1; i <= 100; i++) {
            OodDetector d = OodDetector.load(bundle);
            double[] s = d.score(images);
            if (first == null) {
                first = s;
            }
            assertThat(s).containsExactly(first);
            d.close();
            d.close(); // twice does nothing
            NativeMemory.release();
            resident[i] = NativeMemory.residentBytes() - Runtime.getRuntime().totalMemory(); // native: the Java heap's size varies
        }
        long growth = resident[100] - resident[30];
        // without close() every load kept its parameters: 70 loads would add 70 x parameterBytes (measured: GBs)
        assertThat(growth).as("native memory growth over 70 load/score/close cycles (%d MB of parameters each)", parameterBytes >> 20)
                .isLessThan(3 * parameterBytes);
        OodDetector closed = OodDetector.load(bundle);
        closed.close();
        assertThatThrownBy(() -> closed.score(images)).isInstanceOf(RuntimeException.class);
    }
}
