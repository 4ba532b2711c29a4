package densitylab.score;

import densitylab.data.ImageSet;

import java.util.List;
import java.util.Map;

/**
 * The mean over statistics (each higher = more anomalous) of their values standardised by the mean and standard
 * deviation they have on in-distribution images: how Graham et al. (2023) combine the reconstruction distances of a
 * diffusion model. Unlike {@link CombinedScore}, only large values count.
 */
public final class StandardisedMean implements FittedScore {
    private final String name;
    private final List<OodScore> statistics;
    private double[] mean;
    private double[] sd;

    /** The combination of statistics (each a per-image function, higher = more anomalous), not yet fitted. */
    public StandardisedMean(String name, List<OodScore> statistics) {
        if (statistics.isEmpty()) {
            throw new IllegalArgumentException(name + " needs at least one statistic");
        }
        this.name = name;
        this.statistics = List.copyOf(statistics);
    }

    @Override
    public String name() {
        return name;
    }

    /** The statistics' names, in order. */
    public List<String> statisticNames() {
        return statistics.stream().map(OodScore::name).toList();
    }

    /** Learns each statistic's mean and standard deviation on in-distribution images (at least 2). */
    @Override
    public StandardisedMean fit(ImageSet images) {
        if (images.size() < 2) {
            throw new IllegalArgumentException(name + " is fitted on at least 2 in-distribution images, got " + images.size());
        }
        int k = statistics.size();
        double[] m = new double[k];
        double[] s = new double[k];
        for (int j = 0; j < k; j++) {
            double[] v = statistics.get(j).score(images);
            double sum = 0;
            for (double x : v) {
                sum += x;
            }
            m[j] = sum / v.length;
            double ss = 0;
            for (double x : v) {
                ss += (x - m[j]) * (x - m[j]);
            }
            // a statistic constant on the fit images (a perfect reconstruction) must not divide by zero
            s[j] = Math.max(Math.sqrt(ss / (v.length - 1)), 1e-12 * Math.max(1, Math.abs(m[j])));
        }
        mean = m;
        sd = s;
        return this;
    }

    @Override
    public double[] score(ImageSet images) {
        if (mean == null) {
            throw new NotFittedException(name);
        }
        double[] out = new double[images.size()];
        for (int j = 0; j < statistics.size(); j++) {
            double[] v = statistics.get(j).score(images);
            for (int i = 0; i < out.length; i++) {
                out[i] += (v[i] - mean[j]) / sd[j] / statistics.size();
            }
        }
        return out;
    }

    /** {"statistics": names, "mean": [...], "sd": [...]}. */
    @Override
    public Map<String, Object> fittedState() {
        if (mean == null) {
            throw new NotFittedException(name);
        }
        return Map.of("statistics", statisticNames(), "mean", StatisticsDensity.list(mean), "sd", StatisticsDensity.list(sd));
    }

    @Override
    public void restoreState(Map<String, Object> state) {
        if (!statisticNames().equals(state.get("statistics"))) {
            throw new IllegalArgumentException(name + " was fitted on the statistics " + state.get("statistics")
                    + " and this model gives " + statisticNames());
        }
        double[] m;
        double[] s;
        try {
            m = StatisticsDensity.vector(state.get("mean"));
            s = StatisticsDensity.vector(state.get("sd"));
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException(name + "'s state needs lists of numbers for mean and sd: " + e, e);
        }
        if (m.length != statistics.size() || s.length != statistics.size()) {
            throw new IllegalArgumentException(name + "'s state has " + m.length + " means and " + s.length
                    + " deviations for " + statistics.size() + " statistics");
        }
        mean = m;
        sd = s;
    }
}
