package densitylab.audit;

import java.util.Locale;

/**
 * Improved precision and recall (Kynkaanniemi et al. 2019): each set's manifold is the union of balls around its
 * rows, each ball's radius the distance to that row's k-th nearest other row. Precision is the fraction of generated
 * rows inside the real manifold (are samples realistic?), recall the fraction of real rows inside the generated
 * manifold (is the data's variety covered?).
 */
public record PrecisionRecall(double precision, double recall, int k) {
    /** The paper's neighbourhood size. */
    public static final int DEFAULT_K = 3;

    /**
     * Precision and recall of generated rows against real rows with neighbourhood size k.
     *
     * @throws IllegalArgumentException when a set has k rows or fewer, or the spaces differ
     */
    public static PrecisionRecall of(Features real, Features generated, int k) {
        real.checkComparable(generated);
        double[] realRadius = radii(real, k);
        double[] generatedRadius = radii(generated, k);
        return new PrecisionRecall(inside(generated, real, realRadius), inside(real, generated, generatedRadius), k);
    }

    /** Each row's distance to its k-th nearest other row. */
    private static double[] radii(Features f, int k) {
        if (f.count() <= k) {
            throw new IllegalArgumentException("precision/recall with k = " + k + " needs more than " + k + " rows, got " + f.count());
        }
        Neighbours.Result r = Neighbours.searchWithin(f, k);
        double[] out = new double[f.count()];
        for (int i = 0; i < out.length; i++) {
            out[i] = r.distance(i, k - 1);
        }
        return out;
    }

    /**
     * The fraction of query rows within the radius of at least one manifold row. A query's nearest manifold rows by
     * distance need not be the ones with the largest balls, so every pair is checked, from the nearest outwards.
     */
    private static double inside(Features queries, Features manifold, double[] radius) {
        int k = Math.min(manifold.count(), 64);
        Neighbours.Result near = Neighbours.search(queries, manifold, k);
        double maxRadius = 0;
        for (double r : radius) {
            maxRadius = Math.max(maxRadius, r);
        }
        int in = 0;
        for (int q = 0; q < queries.count(); q++) {
            boolean found = false;
            for (int j = 0; j < k && !found; j++) {
                found = near.distance(q, j) <= radius[near.index(q, j)];
            }
            if (!found && near.distance(q, k - 1) <= maxRadius) {
                // a farther manifold row might have a ball large enough: check them all
                for (int j = 0; j < manifold.count() && !found; j++) {
                    found = queries.distance(q, manifold, j) <= radius[j];
                }
            }
            in += found ? 1 : 0;
        }
        return in / (double) queries.count();
    }

    /** "precision 0.712, recall 0.534 (k = 3)". */
    public String summary() {
        return String.format(Locale.ROOT, "precision %.3f, recall %.3f (k = %d)", precision, recall, k);
    }
}
