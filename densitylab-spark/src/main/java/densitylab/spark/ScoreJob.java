package densitylab.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A Spark application that scores image files with a detector bundle and writes the verdicts:
 * {@code spark-submit --class densitylab.spark.ScoreJob densitylab-spark.jar --detector B.zip --input GLOB --output DIR
 * [--format parquet|csv]}; {@code ./densitylab spark-score} runs it in local mode.
 */
public final class ScoreJob {
    static final String USAGE = """
            usage: ScoreJob --detector B.zip --input PATH|GLOB --output DIR [--format parquet|csv] [--batch-size N]
                            [--input-format binaryFile|parquet] [--image-column NAME] [--master URL]
              Scores every image file under PATH (recursively; PNG, JPEG, BMP, GIF) or matching GLOB, or the binary column
              of a Parquet table (--input-format parquet --image-column NAME), with a detector bundle from 'detector fit',
              and writes its rows with ood_score, ood_threshold, is_ood and ood_error (image bytes left out) to DIR.
              An image that cannot be decoded or is refused gets its error in ood_error and the job goes on.
              Exit codes: 0 every image scored, 3 some got an error, 1 the job failed, 2 wrong options.""";
    private static final String IMAGES = "*.{png,PNG,jpg,JPG,jpeg,JPEG,bmp,BMP,gif,GIF}";

    /** What one run of the job did. */
    record Summary(long images, long flagged, long errors, double seconds) {
    }

    private ScoreJob() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the job; returns the exit code (messages on standard error, the summary on standard output). */
    static int run(String[] args) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        }
        if (o == null) {
            System.out.println(USAGE);
            return 0;
        }
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:densitylab-spark-log4j2.properties");
        }
        try {
            Summary s = score(o);
            System.out.printf(Locale.ROOT, "scored %d images (%d flagged, %d errors) in %.1f s (%.0f images/s) -> %s%n",
                    s.images(), s.flagged(), s.errors(), s.seconds(), s.images() / Math.max(1e-9, s.seconds()), o.output);
            return s.errors() > 0 ? 3 : 0;
        } catch (Exception e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof org.apache.spark.SparkException)) {
                t = t.getCause();
            }
            System.err.println("error: " + t.getMessage());
            return 1;
        }
    }

    static Summary score(Options o) throws Exception {
        if (Files.exists(Path.of(o.output))) {
            throw new IllegalArgumentException("--output " + o.output + " exists already: choose another folder or delete it");
        }
        long t0 = System.nanoTime();
        SparkSession.Builder b = SparkSession.builder().appName("densitylab ScoreJob");
        if (o.master != null) {
            b = b.master(o.master).config("spark.ui.enabled", "false");
        }
        SparkSession spark = b.getOrCreate();
        try {
            filesByCount(spark);
            Dataset<Row> in;
            if (o.inputFormat.equals("parquet")) {
                in = spark.read().parquet(o.input);
            } else {
                boolean folder = Files.isDirectory(Path.of(o.input)) || o.input.contains("://") && !o.input.matches(".*[*?\\[{].*");
                in = folder ? spark.read().format("binaryFile").option("recursiveFileLookup", "true").option("pathGlobFilter", IMAGES).load(o.input)
                        : spark.read().format("binaryFile").load(o.input);
            }
            spark.sparkContext().addFile(Path.of(o.detector).toAbsolutePath().toString()); // executors without a shared path
            OodScoring.Counters counters = OodScoring.Counters.of(spark.sparkContext());
            Dataset<Row> scored = OodScoring.score(in, o.detector, o.imageColumn, o.batchSize, counters).drop(o.imageColumn);
            if (o.format.equals("csv")) {
                scored.write().option("header", "true").csv(o.output);
            } else {
                scored.write().parquet(o.output);
            }
            return new Summary(counters.images().value(), counters.flagged().value(), counters.errors().value(),
                    (System.nanoTime() - t0) / 1e9);
        } finally {
            if (o.master != null) {
                spark.stop();
            }
        }
    }

    /**
     * Splits many small image files into partitions by their number rather than their bytes, about four a core:
     * Spark's defaults (128 MB partitions, a file counted as 4 MB) cut 20,000 small PNGs into 625 tasks of 32 images,
     * whose per-task cost tripled the job's time. Settings given on the command line (--conf) are kept.
     */
    private static void filesByCount(SparkSession spark) {
        org.apache.spark.SparkConf given = spark.sparkContext().getConf();
        if (!given.contains("spark.sql.files.maxPartitionBytes")) {
            spark.conf().set("spark.sql.files.maxPartitionBytes", Long.toString(1L << 40));
        }
        if (!given.contains("spark.sql.files.minPartitionNum")) {
            spark.conf().set("spark.sql.files.minPartitionNum", Integer.toString(4 * spark.sparkContext().defaultParallelism()));
        }
    }

    /** The job's options. */
    static final class Options {
        String detector;
        String input;
        String output;
        String format = "parquet";
        String inputFormat = "binaryFile";
        String imageColumn = "content";
        String master;
        int batchSize = OodScoring.DEFAULT_BATCH;

        /** The options, or null when help was asked. */
        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    return null;
                }
                String v;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    v = a.substring(eq + 1);
                    a = a.substring(0, eq);
                } else if (i + 1 < args.length) {
                    v = args[++i];
                } else {
                    throw new IllegalArgumentException("option " + a + " needs a value");
                }
                switch (a) {
                    case "--detector" -> o.detector = v;
                    case "--input" -> o.input = v;
                    case "--output" -> o.output = v;
                    case "--format" -> o.format = oneOf(a, v, List.of("parquet", "csv"));
                    case "--input-format" -> o.inputFormat = oneOf(a, v, List.of("binaryFile", "parquet"));
                    case "--image-column" -> o.imageColumn = v;
                    case "--master" -> o.master = v;
                    case "--batch-size" -> {
                        try {
                            o.batchSize = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--batch-size takes a whole number, got '" + v + "'");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            for (String[] req : new String[][] {{"--detector", o.detector}, {"--input", o.input}, {"--output", o.output}}) {
                if (req[1] == null) {
                    throw new IllegalArgumentException(req[0] + " is required");
                }
            }
            return o;
        }

        private static String oneOf(String option, String v, List<String> allowed) {
            if (!allowed.contains(v)) {
                throw new IllegalArgumentException(option + " takes one of " + String.join(", ", allowed) + ", got '" + v + "'");
            }
            return v;
        }
    }
}
