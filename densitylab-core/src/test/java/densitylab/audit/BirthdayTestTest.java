package densitylab.audit;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BirthdayTestTest {
    @Test
    void findsTheDuplicatesOfAGeneratorWithASupportOf100ImagesAndEstimatesItWithinAFactorOf2() {
        Features support = PrecisionRecallTest.gaussian(100, 16, 0, 1, 1);
        Random g = new Random(2);
        int[] picks = new int[1000];
        for (int i = 0; i < picks.length; i++) {
            picks[i] = g.nextInt(100);
        }
        BirthdayTest t = BirthdayTest.of(support.select(picks), 0.5, 500);
        assertThat(t.pairs()).isPositive();
        assertThat(t.batchesWithDuplicate()).isEqualTo(2);
        assertThat(t.isLowerBound()).isFalse();
        assertThat(t.support()).isBetween(50.0, 200.0);
        assertThat(t.closest()).isNotEmpty().allSatisfy(p -> assertThat(p.distance()).isZero());
    }

    @Test
    void distinctImagesGiveNoPairAndALowerBound() {
        BirthdayTest t = BirthdayTest.of(PrecisionRecallTest.gaussian(1000, 16, 0, 1, 3), 0.5, 250);
        assertThat(t.pairs()).isZero();
        assertThat(t.isLowerBound()).isTrue();
        assertThat(t.support()).isEqualTo(4 * 250 * 249 / 2.0);
        assertThat(t.summary()).contains("support > ");
    }
}
