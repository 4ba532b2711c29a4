package densitylab.audit;

import densitylab.data.ImageSet;
import densitylab.data.Synthetic;
import densitylab.model.LatentModel;
import densitylab.model.registry.ModelKinds;
import densitylab.train.TrainSettings;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InterpolationsTest {
    /** A model of the kind trained for a few steps on 8x8 noise (the contract holds for any weights). */
    static LatentModel tinyModel(String kind, String params) throws Exception {
        Map<String, String> p = new HashMap<>();
        for (String kv : params.split(";")) {
            String[] s = kv.split("=");
            p.put(s[0], s[1]);
        }
        ImageSet data = Synthetic.generate("noise", 64, 1, 8, 8, 1);
        TrainSettings s = new TrainSettings(3, 1, 0, 32, 1e-3, 0, 0, null, 3600, false, p, 1);
        return (LatentModel) ModelKinds.get(kind).train(data, null, s).model();
    }

    @ParameterizedTest
    @CsvSource({"dcgan, preset=tiny", "ganomaly, preset=tiny", "vae, width=8;latent=4", "glow, preset=tiny", "realnvp, preset=tiny"})
    void samplesDecodeTheirLatentsAndInterpolationsEndAtTheModelsImagesOfTheEndPoints(String kind, String params) throws Exception {
        LatentModel m = tinyModel(kind, params);
        float[] z = m.latents(6, 11);
        assertThat(z).hasSize(6 * m.latentDims());
        assertThat(m.decode(z).pixels()).as("decode(latents) = sample").isEqualTo(m.sample(6, 11).pixels());

        int rows = 3;
        int steps = 5;
        ImageSet lines = Interpolations.latent(m, rows, steps, 11);
        ImageSet ends = m.sample(2 * rows, 11);
        assertThat(lines.size()).isEqualTo(rows * steps);
        for (int r = 0; r < rows; r++) {
            assertThat(lines.image(r * steps)).as("row %d start", r).isEqualTo(ends.image(r));
            assertThat(lines.image(r * steps + steps - 1)).as("row %d end", r).isEqualTo(ends.image(rows + r));
        }
        // the middle of a line is the decode of the midpoint of its end points
        int l = m.latentDims();
        float[] mid = new float[l];
        float[] both = m.latents(2 * rows, 11);
        for (int i = 0; i < l; i++) {
            mid[i] = 0.5f * both[i] + 0.5f * both[rows * l + i];
        }
        assertThat(lines.image(2)).isEqualTo(m.decode(mid).image(0));
        assertThatThrownBy(() -> m.decode(new float[l + 1])).hasMessageContaining("not a multiple");
    }

    @Test
    void pixelInterpolationsCrossFadeFromOneImageToTheOther() {
        ImageSet a = Synthetic.generate("noise", 2, 1, 4, 4, 1);
        ImageSet b = Synthetic.generate("noise", 2, 1, 4, 4, 2);
        ImageSet lines = Interpolations.pixel(a, b, 3);
        assertThat(lines.size()).isEqualTo(6);
        for (int r = 0; r < 2; r++) {
            assertThat(lines.image(r * 3)).isEqualTo(a.image(r));
            assertThat(lines.image(r * 3 + 2)).isEqualTo(b.image(r));
            byte[] mid = lines.image(r * 3 + 1);
            for (int i = 0; i < mid.length; i++) {
                assertThat(mid[i] & 0xff).isEqualTo((int) Math.round(0.5 * (a.image(r)[i] & 0xff) + 0.5 * (b.image(r)[i] & 0xff)));
            }
        }
        assertThatThrownBy(() -> Interpolations.pixel(a, b.subset(0, 1), 3)).hasMessageContaining("same size");
        assertThat(Arrays.equals(lines.image(1), a.image(0))).isFalse();
    }
}
