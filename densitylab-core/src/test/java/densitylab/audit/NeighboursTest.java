package densitylab.audit;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class NeighboursTest {
    static Features random(String space, Features.Metric metric, int n, int d, boolean integers, long seed) {
        Random g = new Random(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = integers ? g.nextInt(256) : (float) g.nextGaussian();
        }
        return new Features(space, metric, n, d, v);
    }

    /** The k nearest by a brute-force double loop, ties by index. */
    static int[] bruteForce(Features q, int i, Features r, int k, boolean excludeSelf) {
        return IntStream.range(0, r.count()).filter(j -> !(excludeSelf && j == i)).boxed()
                .sorted(Comparator.<Integer>comparingDouble(j -> q.distance(i, r, j)).thenComparing(j -> j))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void everyKernelFindsWhatABruteForceSearchFinds() {
        for (Features.Metric metric : Features.Metric.values()) {
            for (boolean integers : new boolean[] {true, false}) {
                Features refs = random("s", metric, 700, 13, integers, 1);
                Features queries = random("s", metric, 90, 13, integers, 2);
                Neighbours.Result r = Neighbours.search(queries, refs, 4);
                for (int i = 0; i < queries.count(); i++) {
                    int[] expected = bruteForce(queries, i, refs, 4, false);
                    for (int rank = 0; rank < 4; rank++) {
                        assertThat(r.index(i, rank)).as("%s integers=%s query %d rank %d", metric, integers, i, rank).isEqualTo(expected[rank]);
                        assertThat(r.distance(i, rank)).isCloseTo(queries.distance(i, refs, expected[rank]), within(1e-9));
                    }
                }
            }
        }
    }

    @Test
    void theL2SearchIsExactForDuplicatesAndRowsFarFromTheOrigin() {
        // large norms next to small distances: |q|^2 + |r|^2 - 2 q.r cancels badly in float32
        Features refs = random("s", Features.Metric.L2, 500, 64, false, 3);
        float[] v = refs.values().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] += 1000f;
        }
        Features shifted = new Features("s", Features.Metric.L2, 500, 64, v);
        Features queries = shifted.select(new int[] {7, 400, 123});
        Neighbours.Result r = Neighbours.search(queries, shifted, 2);
        assertThat(new int[] {r.index(0, 0), r.index(1, 0), r.index(2, 0)}).containsExactly(7, 400, 123);
        assertThat(r.distance(0, 0)).isZero();
        assertThat(r.distance(0, 1)).isCloseTo(queries.distance(0, shifted, bruteForce(queries, 0, shifted, 2, false)[1]), within(1e-9));
    }

    @Test
    void searchingWithinASetNeverReturnsARowAsItsOwnNeighbourButFindsItsDuplicates() {
        Features f = random("s", Features.Metric.L1, 50, 8, true, 4);
        float[] v = f.values().clone();
        System.arraycopy(v, 3 * 8, v, 9 * 8, 8); // row 9 = row 3
        Features dup = new Features("s", Features.Metric.L1, 50, 8, v);
        Neighbours.Result r = Neighbours.searchWithin(dup, 3);
        for (int i = 0; i < 50; i++) {
            assertThat(Arrays.stream(r.index(), i * 3, i * 3 + 3)).doesNotContain(i);
            assertThat(r.index(i, 0)).isEqualTo(bruteForce(dup, i, dup, 1, true)[0]);
        }
        assertThat(r.index(3, 0)).isEqualTo(9);
        assertThat(r.distance(3, 0)).isZero();
        assertThat(r.index(9, 0)).isEqualTo(3);
    }

    @Test
    void mismatchedSpacesAndImpossibleKAreRefused() {
        Features a = random("a", Features.Metric.L2, 10, 4, false, 5);
        assertThatThrownBy(() -> Neighbours.search(a, random("b", Features.Metric.L2, 10, 4, false, 6), 1))
                .hasMessageContaining("cannot compare");
        assertThatThrownBy(() -> Neighbours.searchWithin(a, 10)).hasMessageContaining("k must be in 1..9");
    }
}
