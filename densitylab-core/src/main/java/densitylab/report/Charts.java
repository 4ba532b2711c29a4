package densitylab.report;

import densitylab.eval.Metrics;
import densitylab.eval.RocCurve;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fixed-size ({@value #WIDTH} x {@value #HEIGHT}) charts of one score (higher = more anomalous) over several sets.
 *
 * <p>Both charts take the per-set scores of one score as {@code set name -> scores} with the in-distribution set
 * among them; the in-distribution set gets the first colour and the other sets the following colours in map order,
 * so a set has the same colour in both charts.
 */
public final class Charts {
    /** Width of every chart in pixels. */
    public static final int WIDTH = 640;
    /** Height of every chart in pixels. */
    public static final int HEIGHT = 400;
    /** The x-axis title of the histograms. */
    public static final String SCORE_AXIS = "score (higher = more anomalous)";

    private static final Color[] PALETTE = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
        new Color(188, 189, 34), new Color(23, 190, 207),
    };
    private static final int FILL_ALPHA = 80;

    private Charts() {
    }

    /**
     * Overlaid, semi-transparent density histograms (area 1 per set) of every set's scores on one axis, with shared
     * bins over a window that holds every set but stays within a few spreads of the in-distribution scores (values
     * beyond it land in the edge bins and are counted in the legend); non-finite scores are dropped and counted, and
     * all-equal scores, empty and tiny sets still give a readable chart.
     *
     * @throws IllegalArgumentException when sets has no entry for inSet
     */
    public static BufferedImage histogram(String score, String inSet, Map<String, double[]> sets) {
        return histogram(score + ": score distributions", SCORE_AXIS, inSet, sets);
    }

    /**
     * {@link #histogram(String, String, Map)} of any per-image values under a title and x-axis title of their own;
     * inSet is the reference set whose spread sets the window.
     */
    public static BufferedImage histogram(String title, String xTitle, String inSet, Map<String, double[]> sets) {
        List<String> names = ordered(inSet, sets);
        Bins bins = Bins.over(sets.values(), sets.get(inSet));
        XYChart chart = newChart(title, xTitle, "density");
        double top = 0.0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            double[] values = sets.get(name);
            double[][] outline = bins.outline(values);
            XYSeries s = chart.addSeries("s" + i, outline[0], outline[1]);
            long beyond = bins.outside(values);
            s.setLabel(histogramLabel(name, name.equals(inSet), values) + (beyond > 0 ? " [" + beyond + " beyond the axis, in the edge bins]" : ""));
            s.setXYSeriesRenderStyle(XYSeriesRenderStyle.Area);
            Color c = colour(i);
            s.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), FILL_ALPHA));
            s.setLineColor(c);
            s.setLineWidth(1.5f);
            s.setMarker(SeriesMarkers.NONE);
            for (double y : outline[1]) {
                top = Math.max(top, y);
            }
        }
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setXAxisDecimalPattern(decimalPattern(bins.hi() - bins.lo()));
        chart.getStyler().setYAxisDecimalPattern("0.###");
        if (top == 0.0) {
            chart.getStyler().setYAxisMax(1.0); // nothing finite to draw: keep the axis well defined
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /**
     * ROC curves of every other set (OOD, the positive class) against inSet, as {@link Metrics#rocCurve}: x = FPR,
     * the fraction of in-distribution inputs flagged, y = TPR, the fraction of OOD inputs flagged; the legend shows
     * "SET (AUROC 0.123)" and a dashed diagonal marks chance.
     *
     * @throws IllegalArgumentException when sets has no entry for inSet, or a set is empty or holds NaN
     */
    public static BufferedImage roc(String score, String inSet, Map<String, double[]> sets) {
        List<String> names = ordered(inSet, sets);
        double[] in = sets.get(inSet);
        XYChart chart = newChart(score + ": ROC, OOD positive (in-distribution: " + inSet + ")",
                "FPR (fraction of in-distribution flagged)", "TPR (fraction of OOD flagged)");
        XYSeries chance = chart.addSeries("chance", new double[] {0, 1}, new double[] {0, 1});
        chance.setLabel("chance (AUROC 0.5)");
        style(chance, new Color(150, 150, 150), SeriesLines.DASH_DASH);
        for (int i = 1; i < names.size(); i++) {
            double[] out = sets.get(names.get(i));
            RocCurve curve = Metrics.rocCurve(in, out);
            XYSeries s = chart.addSeries("s" + i, curve.fpr(), curve.tpr());
            s.setLabel(String.format(Locale.ROOT, "%s (AUROC %.3f)", names.get(i), Metrics.auroc(in, out)));
            style(s, colour(i), new BasicStroke(2f));
        }
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        return BitmapEncoder.getBufferedImage(chart);
    }

    /**
     * A scatter of points (x, y), one series per set in the order of sets (at most 500 points of each, evenly spaced), for
     * seeing how two statistics separate sets.
     */
    public static BufferedImage scatter(String title, String xTitle, String yTitle, Map<String, double[][]> sets) {
        XYChart chart = newChart(title, xTitle, yTitle);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(4);
        int i = 0;
        for (Map.Entry<String, double[][]> e : sets.entrySet()) {
            double[] xs = e.getValue()[0];
            double[] ys = e.getValue()[1];
            int step = Math.max(1, xs.length / 500);
            List<Double> x = new java.util.ArrayList<>();
            List<Double> y = new java.util.ArrayList<>();
            for (int k = 0; k < xs.length; k += step) {
                if (Double.isFinite(xs[k]) && Double.isFinite(ys[k])) {
                    x.add(xs[k]);
                    y.add(ys[k]);
                }
            }
            if (x.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries("s" + i, x, y);
            s.setLabel(e.getKey());
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(colour(i));
            i++;
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /**
     * Lines through points: one series per entry of ys (its name -> y values at xs), in their order, with markers;
     * a series whose name starts with "reference: " is drawn dashed. Non-finite y
     * values are left out of their series.
     */
    public static BufferedImage lines(String title, String xTitle, String yTitle, double[] xs, Map<String, double[]> ys) {
        XYChart chart = newChart(title, xTitle, yTitle);
        int i = 0;
        for (Map.Entry<String, double[]> e : ys.entrySet()) {
            List<Double> x = new java.util.ArrayList<>();
            List<Double> y = new java.util.ArrayList<>();
            for (int k = 0; k < xs.length; k++) {
                if (Double.isFinite(e.getValue()[k])) {
                    x.add(xs[k]);
                    y.add(e.getValue()[k]);
                }
            }
            if (x.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries("s" + i, x, y);
            s.setLabel(e.getKey());
            style(s, colour(i + 1), e.getKey().startsWith("reference: ") ? SeriesLines.DASH_DASH : new BasicStroke(2f));
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(colour(i + 1));
            i++;
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** A tick format with about three significant digits for an axis spanning range. */
    static String decimalPattern(double range) {
        int decimals = (int) Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(Math.max(range, 1e-12)))));
        return decimals == 0 ? "0" : "0." + "#".repeat(decimals);
    }

    /** Number of NaN or infinite values. */
    static int nonFinite(double[] values) {
        int n = 0;
        for (double v : values) {
            if (!Double.isFinite(v)) {
                n++;
            }
        }
        return n;
    }

    private static String histogramLabel(String name, boolean isIn, double[] values) {
        int dropped = nonFinite(values);
        return name + " (" + (isIn ? "in-dist., " : "") + "n=" + (values.length - dropped)
                + (dropped > 0 ? ", " + dropped + " non-finite dropped" : "") + ")";
    }

    private static void style(XYSeries s, Color colour, BasicStroke stroke) {
        s.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
        s.setLineColor(colour);
        s.setLineStyle(stroke);
        s.setMarker(SeriesMarkers.NONE);
    }

    private static Color colour(int i) {
        return PALETTE[i % PALETTE.length];
    }

    /** The in-distribution set first, then the others in map order. */
    private static List<String> ordered(String inSet, Map<String, double[]> sets) {
        if (!sets.containsKey(inSet)) {
            throw new IllegalArgumentException("no scores for the in-distribution set '" + inSet + "' among " + sets.keySet());
        }
        List<String> names = new ArrayList<>();
        names.add(inSet);
        for (String name : sets.keySet()) {
            if (!name.equals(inSet)) {
                names.add(name);
            }
        }
        return names;
    }

    private static XYChart newChart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xTitle);
        chart.setYAxisTitle(yTitle);
        chart.getStyler()
                .setLegendPosition(LegendPosition.OutsideS)
                .setLegendLayout(LegendLayout.Vertical)
                .setChartBackgroundColor(Color.WHITE)
                .setPlotBackgroundColor(Color.WHITE)
                .setLegendBorderColor(Color.WHITE)
                .setAntiAlias(true);
        chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        return chart;
    }

    /** Equal-width bins over the pooled range of the finite values of several sets. */
    private record Bins(double lo, double hi, int count) {
        private static final int MIN_BINS = 5;
        private static final int MAX_BINS = 60;

        /**
         * Bins over the pooled range of the sets' 0.5%..99.5% quantiles; when inSet is given the window is also kept
         * within 4 spreads of the in-distribution scores, so one far-away set (uniform noise at 500 bits/dim) does
         * not squash the others into one bar. Values outside the window are counted in the edge bins.
         */
        static Bins over(Iterable<double[]> sets, double[] inSet) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            long n = 0;
            for (double[] values : sets) {
                double[] f = finiteSorted(values);
                if (f.length > 0) {
                    lo = Math.min(lo, quantile(f, 0.005));
                    hi = Math.max(hi, quantile(f, 0.995));
                    n += f.length;
                }
            }
            if (n == 0) {
                return new Bins(-0.5, 0.5, MIN_BINS);
            }
            double[] in = inSet == null ? new double[0] : finiteSorted(inSet);
            if (in.length > 1) {
                double a = quantile(in, 0.005);
                double b = quantile(in, 0.995);
                double spread = Math.max(b - a, 1e-9);
                lo = Math.max(lo, a - 4 * spread);
                hi = Math.min(hi, b + 4 * spread);
            }
            if (!(hi > lo)) { // all equal: centre one visible bar on the value
                double pad = Math.max(0.5, Math.abs(lo) * 0.01);
                return new Bins(lo - pad, lo + pad, MIN_BINS);
            }
            int count = (int) Math.max(MIN_BINS, Math.min(MAX_BINS, Math.ceil(2 * Math.cbrt(n)))); // Rice rule
            return new Bins(lo, hi, count);
        }

        private static double[] finiteSorted(double[] values) {
            return java.util.Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
        }

        private static double quantile(double[] sorted, double q) {
            return densitylab.eval.Bootstrap.quantile(sorted, q);
        }

        /** Number of finite values outside [lo, hi] (drawn in the edge bins). */
        long outside(double[] values) {
            long k = 0;
            for (double v : values) {
                if (Double.isFinite(v) && (v < lo || v > hi)) {
                    k++;
                }
            }
            return k;
        }

        private double edge(int k) {
            double t = (double) k / count;
            return lo * (1 - t) + hi * t; // never overflows, unlike lo + k * (hi - lo) / count
        }

        private int index(double v) {
            double t = (v / 2 - lo / 2) / (hi / 2 - lo / 2);
            return (int) Math.min(count - 1, Math.max(0, Math.floor(t * count)));
        }

        /** The step outline {x, y} of the finite values' density histogram, from (lo, 0) to (hi, 0). */
        double[][] outline(double[] values) {
            long[] counts = new long[count];
            long n = 0;
            for (double v : values) {
                if (Double.isFinite(v)) {
                    counts[index(v)]++;
                    n++;
                }
            }
            double width = hi / count - lo / count;
            double[] x = new double[2 * count + 2];
            double[] y = new double[2 * count + 2];
            x[0] = edge(0);
            for (int k = 0; k < count; k++) {
                double h = n == 0 ? 0.0 : counts[k] / (n * width);
                x[2 * k + 1] = edge(k);
                y[2 * k + 1] = h;
                x[2 * k + 2] = edge(k + 1);
                y[2 * k + 2] = h;
            }
            x[2 * count + 1] = edge(count);
            return new double[][] {x, y};
        }
    }
}
