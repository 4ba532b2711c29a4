package densitylab.audit;

import java.util.Arrays;
import java.util.Objects;

/**
 * Images embedded in a feature space: one row of {@code dims} floats per image, and the distance the space is
 * searched with.
 *
 * @param space  the space's name ("pixel", "classifier", ...)
 * @param metric how two rows are compared
 * @param count  rows
 * @param dims   values per row
 * @param values row-major count x dims (not copied: do not change it)
 */
public record Features(String space, Metric metric, int count, int dims, float[] values) {
    /** A distance between two rows. */
    public enum Metric {
        /** The mean absolute difference per value, sum |a - b| / dims (seed 004's pixel distance). */
        L1,
        /** The Euclidean distance, sqrt(sum (a - b)^2). */
        L2;

        /** This distance between row i of a and row j of b, computed in double. */
        public double between(Features a, int i, Features b, int j) {
            float[] x = a.values;
            float[] y = b.values;
            int oi = i * a.dims;
            int oj = j * b.dims;
            double s = 0;
            for (int t = 0; t < a.dims; t++) {
                double d = (double) x[oi + t] - y[oj + t];
                s += this == L1 ? Math.abs(d) : d * d;
            }
            return this == L1 ? s / a.dims : Math.sqrt(s);
        }
    }

    /** Checks the sizes. */
    public Features {
        Objects.requireNonNull(space, "space");
        Objects.requireNonNull(metric, "metric");
        if (count < 0 || dims <= 0 || values.length != (long) count * dims) {
            throw new IllegalArgumentException("features of " + space + ": " + values.length + " values for " + count + " rows of "
                    + dims);
        }
    }

    /** Rows from (inclusive) to to (exclusive). */
    public Features rows(int from, int to) {
        return new Features(space, metric, to - from, dims, Arrays.copyOfRange(values, from * dims, to * dims));
    }

    /** The rows at the given positions, in that order. */
    public Features select(int[] positions) {
        float[] v = new float[positions.length * dims];
        for (int i = 0; i < positions.length; i++) {
            System.arraycopy(values, positions[i] * dims, v, i * dims, dims);
        }
        return new Features(space, metric, positions.length, dims, v);
    }

    /** The distance between row i of this and row j of other. */
    public double distance(int i, Features other, int j) {
        checkComparable(other);
        return metric.between(this, i, other, j);
    }

    /** @throws IllegalArgumentException unless other has the same space, metric and width */
    void checkComparable(Features other) {
        if (!space.equals(other.space) || metric != other.metric || dims != other.dims) {
            throw new IllegalArgumentException("cannot compare features of " + space + " (" + dims + ", " + metric + ") with "
                    + other.space + " (" + other.dims + ", " + other.metric + ")");
        }
    }
}
