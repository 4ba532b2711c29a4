package densitylab.report;

import densitylab.eval.MetricSet;

import java.awt.image.BufferedImage;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a report shows: an immutable snapshot (maps keep their insertion order, score arrays are copied in and out).
 * Scores are oriented so that higher = more anomalous; the in-distribution set appears under {@link #inSet} in
 * every entry of {@link #scores}.
 *
 * @param title page heading
 * @param inSet name of the in-distribution set
 * @param model name of the model
 * @param provenance config, seed, versions, data checksums, ...; nested maps and lists are shown as compact JSON
 * @param bitsPerDim set name -> mean bits/dim (empty for models without a likelihood)
 * @param results one metric row per (score, OOD set)
 * @param scores score name -> (set name -> per-image scores), the in-distribution set included
 * @param grids pictures (model samples, data set previews) with captions
 * @param notes free-text paragraphs such as warnings
 * @param sections further sections (analyses such as the batch typicality test), shown after the score histograms
 */
public record ReportData(
        String title,
        String inSet,
        String model,
        Map<String, Object> provenance,
        Map<String, Double> bitsPerDim,
        List<Row> results,
        Map<String, Map<String, double[]>> scores,
        List<Grid> grids,
        List<String> notes,
        List<Section> sections) {

    /** A report without further sections. */
    public ReportData(String title, String inSet, String model, Map<String, Object> provenance, Map<String, Double> bitsPerDim,
                      List<Row> results, Map<String, Map<String, double[]>> scores, List<Grid> grids, List<String> notes) {
        this(title, inSet, model, provenance, bitsPerDim, results, scores, grids, notes, List.of());
    }

    /**
     * A titled section: paragraphs, then tables, then pictures, each in order.
     *
     * @param id an HTML id for the section (letters, digits and dashes)
     */
    public record Section(String id, String title, List<String> paragraphs, List<Table> tables, List<Grid> pictures) {
        /** Copies the lists and checks the id. */
        public Section {
            if (!id.matches("[A-Za-z][A-Za-z0-9-]*")) {
                throw new IllegalArgumentException("section id must be letters, digits and dashes, got '" + id + "'");
            }
            Objects.requireNonNull(title, "title");
            paragraphs = List.copyOf(paragraphs);
            tables = List.copyOf(tables);
            pictures = List.copyOf(pictures);
        }
    }

    /**
     * A table of text cells; cells that parse as numbers are right-aligned, and the cells of the columns listed in
     * aurocColumns are coloured like the AUROC column of the metric table.
     */
    public record Table(String id, List<String> header, List<List<String>> rows, java.util.Set<Integer> aurocColumns) {
        /** Copies the lists and checks every row's width. */
        public Table {
            header = List.copyOf(header);
            rows = rows.stream().map(List::copyOf).toList();
            aurocColumns = java.util.Set.copyOf(aurocColumns);
            for (List<String> r : rows) {
                if (r.size() != header.size()) {
                    throw new IllegalArgumentException("table " + id + ": a row has " + r.size() + " cells, the header " + header.size());
                }
            }
        }
    }

    /** The metrics of one score on one OOD set against the in-distribution set. */
    public record Row(String score, String out, MetricSet metrics) {
        /** Rejects null components. */
        public Row {
            Objects.requireNonNull(score, "score");
            Objects.requireNonNull(out, "out");
            Objects.requireNonNull(metrics, "metrics");
        }
    }

    /** A captioned picture; the image is shared, not copied, so callers must not draw on it afterwards. */
    public record Grid(String caption, BufferedImage image) {
        /** Rejects null components. */
        public Grid {
            Objects.requireNonNull(caption, "caption");
            Objects.requireNonNull(image, "image");
        }
    }

    /**
     * Copies every collection (and score array) and checks that each score holds the in-distribution set.
     *
     * @throws IllegalArgumentException when a score has no entry for inSet or an empty score array
     */
    public ReportData {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(inSet, "inSet");
        Objects.requireNonNull(model, "model");
        provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
        bitsPerDim = Collections.unmodifiableMap(new LinkedHashMap<>(bitsPerDim));
        results = List.copyOf(results);
        scores = copyScores(scores, inSet);
        grids = List.copyOf(grids);
        notes = List.copyOf(notes);
        sections = List.copyOf(sections);
    }

    /** Every score's per-set arrays in insertion order, copied, so callers cannot change the snapshot. */
    @Override
    public Map<String, Map<String, double[]>> scores() {
        return copyScores(scores, inSet);
    }

    private static Map<String, Map<String, double[]>> copyScores(Map<String, Map<String, double[]>> scores, String inSet) {
        Map<String, Map<String, double[]>> copy = new LinkedHashMap<>();
        scores.forEach((score, sets) -> {
            if (!sets.containsKey(inSet)) {
                throw new IllegalArgumentException("score '" + score + "' has no scores for the in-distribution set '"
                        + inSet + "' (has " + sets.keySet() + ")");
            }
            Map<String, double[]> inner = new LinkedHashMap<>();
            sets.forEach((set, values) -> {
                if (values.length == 0) {
                    throw new IllegalArgumentException("score '" + score + "' has no values for set '" + set + "'");
                }
                inner.put(set, values.clone());
            });
            copy.put(score, Collections.unmodifiableMap(inner));
        });
        return Collections.unmodifiableMap(copy);
    }
}
