package densitylab.score;

import densitylab.data.ImageSet;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code combined}: minus the log density of each image's vector of statistics (bits/dim, compressed lengths, the
 * likelihood ratio, a model's own statistics), the density fitted on in-distribution images (Morningstar et al. 2021,
 * density of states). Both tails count: a bits/dim too low for its complexity is as unusual as one too high.
 */
public final class CombinedScore implements FittedScore {
    /** The most mixture components BIC may choose. */
    static final int MAX_COMPONENTS = 16;

    private final String name;
    private final List<OodScore> statistics;
    private final long seed;
    private StatisticsDensity density;

    /** A combination of the statistics (each a per-image function; their orientation does not matter), not yet fitted. */
    public CombinedScore(List<OodScore> statistics, long seed) {
        this("combined", statistics, seed);
    }

    /** A combination named name (e.g. combined+vae, when another run's statistics join), not yet fitted. */
    public CombinedScore(String name, List<OodScore> statistics, long seed) {
        this.name = name;
        if (statistics.isEmpty()) {
            throw new IllegalArgumentException("the combined score needs at least one statistic");
        }
        this.statistics = List.copyOf(statistics);
        this.seed = seed;
    }

    @Override
    public String name() {
        return name;
    }

    /** The statistics' names, in the order of the density's coordinates. */
    public List<String> statisticNames() {
        return statistics.stream().map(OodScore::name).toList();
    }

    /**
     * What a cached column of this combination depends on besides the images and models: its statistics and the
     * density's settings, e.g. {@code likelihood,complexity-png-best;components<=16}.
     */
    public String signature() {
        return String.join(",", statisticNames()) + ";components<=" + MAX_COMPONENTS;
    }

    /** {"statistics": their names, "density": the fitted mixture}. */
    @Override
    public java.util.Map<String, Object> fittedState() {
        if (density == null) {
            throw new NotFittedException(name());
        }
        return java.util.Map.of("statistics", statisticNames(), "density", density.toMap());
    }

    @Override
    public void restoreState(java.util.Map<String, Object> state) {
        if (!statisticNames().equals(state.get("statistics"))) {
            throw new IllegalArgumentException("the combined score was fitted on the statistics " + state.get("statistics")
                    + " and this model gives " + statisticNames());
        }
        if (!(state.get("density") instanceof java.util.Map<?, ?> d)) {
            throw new IllegalArgumentException("the combined score's state has no density");
        }
        density = StatisticsDensity.fromMap(d);
        if (density.dimensions() != statistics.size()) {
            throw new IllegalArgumentException("the combined score's density has " + density.dimensions() + " dimensions for "
                    + statistics.size() + " statistics");
        }
    }

    /** The fitted density (null before {@link #fit}). */
    public StatisticsDensity density() {
        return density;
    }

    /** Fits the density on in-distribution images that neither trained the model nor are evaluated. */
    @Override
    public CombinedScore fit(ImageSet images) {
        density = StatisticsDensity.fit(matrix(images), MAX_COMPONENTS, seed);
        return this;
    }

    /** The last set {@link #matrix} was asked for (identity) and its rows. */
    private ImageSet lastSet;
    private double[][] lastMatrix;

    /**
     * Each statistic alone, as a score named {@code combined:NAME} that reads the combination's own matrix (so scoring
     * them beside the combination costs nothing more): what drives the combination, set by set.
     */
    public List<OodScore> statisticViews() {
        List<OodScore> views = new ArrayList<>();
        for (int j = 0; j < statistics.size(); j++) {
            int col = j;
            views.add(OodScore.of(name + ":" + statistics.get(j).name(), x -> {
                double[][] m = matrix(x);
                double[] c = new double[m.length];
                for (int i = 0; i < c.length; i++) {
                    c[i] = m[i][col];
                }
                return c;
            }));
        }
        return views;
    }

    /** Each image's statistics, one row per image (remembered for the last set). */
    public synchronized double[][] matrix(ImageSet images) {
        if (images == lastSet) {
            return lastMatrix;
        }
        List<double[]> columns = new ArrayList<>();
        for (OodScore s : statistics) {
            columns.add(s.score(images));
        }
        double[][] x = new double[images.size()][columns.size()];
        for (int j = 0; j < columns.size(); j++) {
            double[] c = columns.get(j);
            for (int i = 0; i < x.length; i++) {
                x[i][j] = c[i];
            }
        }
        lastSet = images;
        lastMatrix = x;
        return x;
    }

    @Override
    public double[] score(ImageSet images) {
        if (density == null) {
            throw new NotFittedException(name());
        }
        double[] lp = density.logDensity(matrix(images));
        for (int i = 0; i < lp.length; i++) {
            lp[i] = -lp[i];
        }
        return lp;
    }
}
