package densitylab.eval;

/**
 * A two-sided confidence interval {@code [low, high]} at nominal coverage {@code level}.
 *
 * @param low lower end point
 * @param high upper end point, {@code >= low}
 * @param level nominal coverage in (0, 1), e.g. 0.95
 */
public record Interval(double low, double high, double level) {

    public Interval {
        if (!(level > 0.0 && level < 1.0)) {
            throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        }
        if (!(low <= high)) {
            throw new IllegalArgumentException("need low <= high, got [" + low + ", " + high + "]");
        }
    }

    /** Width {@code high - low}. */
    public double width() {
        return high - low;
    }

    /** True when {@code low <= x <= high}. */
    public boolean contains(double x) {
        return low <= x && x <= high;
    }
}
