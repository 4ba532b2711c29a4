package densitylab.eval;

import densitylab.io.AtomicFiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-image scores of one data set as a CSV file: {@code index,label,SCORE...}, one row per image
 * (label -1 when the set has none). Doubles are written in full precision so files round-trip exactly.
 */
public final class ScoreTable {
    private final int[] labels;
    private final Map<String, double[]> columns = new LinkedHashMap<>();

    /** An empty table for images with these labels (null = unlabelled). */
    public ScoreTable(int count, int[] labels) {
        this.labels = labels == null ? filled(count) : labels.clone();
        if (this.labels.length != count) {
            throw new IllegalArgumentException(count + " images but " + this.labels.length + " labels");
        }
    }

    private static int[] filled(int n) {
        int[] l = new int[n];
        Arrays.fill(l, -1);
        return l;
    }

    public int size() {
        return labels.length;
    }

    /** The labels column (-1 for unlabelled images). */
    public int[] labels() {
        return labels.clone();
    }

    /** The score names present, in column order. */
    public List<String> scores() {
        return List.copyOf(columns.keySet());
    }

    /** The scores of one column, or null when absent. */
    public double[] get(String score) {
        double[] v = columns.get(score);
        return v == null ? null : v.clone();
    }

    /** Adds or replaces a column. */
    public ScoreTable put(String score, double[] values) {
        if (values.length != labels.length) {
            throw new IllegalArgumentException("score '" + score + "' has " + values.length + " values for " + labels.length + " images");
        }
        if (score.contains(",") || score.contains("\n")) {
            throw new IllegalArgumentException("score names cannot contain commas or newlines: " + score);
        }
        columns.put(score, values.clone());
        return this;
    }

    /** Removes a column if present; returns whether it was. */
    public boolean remove(String score) {
        return columns.remove(score) != null;
    }

    /** Writes the CSV atomically. */
    public void write(Path file) throws IOException {
        StringBuilder b = new StringBuilder("index,label");
        for (String s : columns.keySet()) {
            b.append(',').append(s);
        }
        b.append('\n');
        for (int i = 0; i < labels.length; i++) {
            b.append(i).append(',').append(labels[i]);
            for (double[] v : columns.values()) {
                b.append(',').append(Double.toString(v[i]));
            }
            b.append('\n');
        }
        AtomicFiles.writeString(file, b.toString());
    }

    /** Reads a CSV written by {@link #write}. */
    public static ScoreTable read(Path file) throws IOException {
        List<String[]> rows = new ArrayList<>();
        String[] header;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String h = r.readLine();
            if (h == null || !h.startsWith("index,label")) {
                throw new IOException(file + ": not a score file (expected a header starting with index,label)");
            }
            header = h.split(",", -1);
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isEmpty()) {
                    String[] f = line.split(",", -1);
                    if (f.length != header.length) {
                        throw new IOException(file + ": row " + (rows.size() + 1) + " has " + f.length + " fields, header has " + header.length);
                    }
                    rows.add(f);
                }
            }
        }
        int[] labels = new int[rows.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = Integer.parseInt(rows.get(i)[1]);
        }
        ScoreTable t = new ScoreTable(labels.length, labels);
        for (int c = 2; c < header.length; c++) {
            double[] v = new double[rows.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = Double.parseDouble(rows.get(i)[c]);
            }
            t.columns.put(header[c], v);
        }
        return t;
    }

    /** A file-name-safe form of a data set spec, e.g. "mnist:test+invert" -> "mnist_test+invert". */
    public static String fileName(String spec) {
        String s = spec.replaceAll("[^A-Za-z0-9._+=@-]", "_");
        return (s.length() > 120 ? s.substring(0, 120) + "-" + Integer.toHexString(spec.hashCode()) : s) + ".csv";
    }
}
