package densitylab.spark;

import densitylab.data.DataFormatException;
import densitylab.data.ImageSet;
import densitylab.detect.OodDetector;
import densitylab.io.Sha256;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Scores a Spark dataset of encoded images with a detector bundle: the input rows plus {@code ood_score},
 * {@code ood_threshold}, {@code is_ood} and {@code ood_error}. Each executor JVM loads the bundle once (verified, with
 * the convolution check) and scores its partitions in batches; an image that cannot be decoded or that the
 * detector's preprocessing refuses gets its message in {@code ood_error} (and nulls for score and verdict), and the
 * job goes on.
 */
public final class OodScoring {
    /** The columns added to the input's. */
    public static final List<String> COLUMNS = List.of("ood_score", "ood_threshold", "is_ood", "ood_error");
    /** Images decoded and scored together within a partition unless told otherwise. */
    public static final int DEFAULT_BATCH = 256;

    private OodScoring() {
    }

    /**
     * Scores the images in a binary column (the {@code binaryFile} source's {@code content}, or a Parquet or Delta
     * table's binary column: PNG, JPEG, BMP or GIF bytes) with the bundle at bundlePath, which is verified here on the
     * driver first. Executors read the bundle at the same path where they can, else the copy shipped with
     * {@code SparkContext.addFile} or {@code spark-submit --files}; either must have the SHA-256 verified here.
     *
     * @throws densitylab.detect.DetectorBundleException before any task runs, when the bundle is changed or no bundle
     * @throws IllegalArgumentException when imageColumn is missing or not binary
     */
    public static Dataset<Row> score(Dataset<Row> images, String bundlePath, String imageColumn) throws IOException {
        return score(images, bundlePath, imageColumn, DEFAULT_BATCH);
    }

    /** {@link #score(Dataset, String, String)} with batchSize images decoded and scored together. */
    public static Dataset<Row> score(Dataset<Row> images, String bundlePath, String imageColumn, int batchSize) throws IOException {
        return score(images, bundlePath, imageColumn, batchSize, null);
    }

    /** Counts of what the tasks scored (Spark accumulators: a retried task counts twice). */
    record Counters(LongAccumulator images, LongAccumulator flagged, LongAccumulator errors) implements java.io.Serializable {
        static Counters of(org.apache.spark.SparkContext sc) {
            return new Counters(sc.longAccumulator("images"), sc.longAccumulator("flagged"), sc.longAccumulator("errors"));
        }
    }

    static Dataset<Row> score(Dataset<Row> images, String bundlePath, String imageColumn, int batchSize, Counters counters)
            throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("the batch size must be at least 1, got " + batchSize);
        }
        StructType in = images.schema();
        if (!Arrays.asList(in.fieldNames()).contains(imageColumn)) {
            throw new IllegalArgumentException("no column '" + imageColumn + "' among " + String.join(", ", in.fieldNames())
                    + " (the binaryFile source calls it 'content')");
        }
        int column = in.fieldIndex(imageColumn);
        if (!in.fields()[column].dataType().equals(DataTypes.BinaryType)) {
            throw new IllegalArgumentException("column '" + imageColumn + "' holds " + in.fields()[column].dataType().simpleString()
                    + ", not the binary bytes of encoded images");
        }
        for (String c : COLUMNS) {
            if (Arrays.asList(in.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("the input has a column '" + c + "' already; rename it first");
            }
        }
        Path bundle = Path.of(bundlePath).toAbsolutePath();
        String sha = Sha256.of(bundle);
        try {
            DetectorCache.get(bundle.toString(), sha); // verified on the driver before any task runs
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        String path = bundle.toString();
        StructType out = in.add(new StructField("ood_score", DataTypes.DoubleType, true, org.apache.spark.sql.types.Metadata.empty()))
                .add(new StructField("ood_threshold", DataTypes.DoubleType, false, org.apache.spark.sql.types.Metadata.empty()))
                .add(new StructField("is_ood", DataTypes.BooleanType, true, org.apache.spark.sql.types.Metadata.empty()))
                .add(new StructField("ood_error", DataTypes.StringType, true, org.apache.spark.sql.types.Metadata.empty()));
        MapPartitionsFunction<Row, Row> f = rows -> new Scored(rows, DetectorCache.get(path, sha), column, batchSize, counters);
        return images.mapPartitions(f, Encoders.row(out));
    }

    /** A partition's rows with their verdicts, batch by batch (a partition is never held whole). */
    private static final class Scored implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final OodDetector detector;
        private final int column;
        private final int batchSize;
        private final double threshold;
        private final Deque<Row> ready = new ArrayDeque<>();
        private final Counters counters;

        Scored(Iterator<Row> rows, OodDetector detector, int column, int batchSize, Counters counters) {
            this.counters = counters;
            this.rows = rows;
            this.detector = detector;
            this.column = column;
            this.batchSize = batchSize;
            this.threshold = detector.calibration().threshold();
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && rows.hasNext()) {
                scoreNextBatch();
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void scoreNextBatch() {
            List<Row> batch = new ArrayList<>(batchSize);
            while (batch.size() < batchSize && rows.hasNext()) {
                batch.add(rows.next());
            }
            String[] errors = new String[batch.size()];
            List<ImageSet> decoded = new ArrayList<>();
            int[] position = new int[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                byte[] bytes = batch.get(i).isNullAt(column) ? null : (byte[]) batch.get(i).get(column);
                if (bytes == null || bytes.length == 0) {
                    errors[i] = "no image bytes (null or empty)";
                    continue;
                }
                try {
                    decoded.add(detector.preprocessing().decode(bytes, "image"));
                    position[i] = decoded.size() - 1;
                } catch (DataFormatException e) {
                    errors[i] = e.getMessage();
                }
            }
            double[] scores = new double[0];
            if (!decoded.isEmpty()) {
                try {
                    scores = detector.score(decoded.size() == 1 ? decoded.get(0) : ImageSet.concat("partition", decoded));
                } catch (DataFormatException e) { // the preprocessing already matched every image
                    throw new IllegalStateException(e);
                }
            }
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i);
                Object[] v = new Object[r.length() + 4];
                for (int c = 0; c < r.length(); c++) {
                    v[c] = r.get(c);
                }
                v[r.length() + 1] = threshold;
                if (errors[i] != null) {
                    v[r.length() + 3] = errors[i];
                } else {
                    double s = scores[position[i]];
                    v[r.length()] = s;
                    v[r.length() + 2] = detector.isOutOfDistribution(s);
                }
                ready.add(RowFactory.create(v));
                if (counters != null) {
                    counters.images().add(1);
                    counters.errors().add(errors[i] != null ? 1 : 0);
                    counters.flagged().add(Boolean.TRUE.equals(v[r.length() + 2]) ? 1 : 0);
                }
            }
        }
    }
}
