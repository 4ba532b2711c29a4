package densitylab.io;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/**
 * The progress of one long loop: steps toward a maximum (or an open count when the maximum is negative) and a short
 * message. What it shows depends on the installed {@link Display}: nothing by default (a library embedded in a
 * service prints nothing of its own); the command line installs a terminal bar, or a line every few seconds when no
 * terminal is attached.
 */
public interface Progress extends AutoCloseable {
    /** Advances by n steps. */
    void stepBy(long n);

    /** Advances by one step. */
    default void step() {
        stepBy(1);
    }

    /** Sets the steps done to n. */
    void stepTo(long n);

    /** A short message shown beside the count (a loss, a rate). */
    void setExtraMessage(String message);

    /** Finishes the display of this loop. */
    @Override
    void close();

    /** A loop named task of max steps (max < 0: an open count), shown by the installed display; close it when done. */
    static Progress bar(String task, long max) {
        return Display.current().open(task, max, "");
    }

    /** An open count of unit (e.g. " images") named task. */
    static Progress counter(String task, String unit) {
        return Display.current().open(task, -1, unit);
    }

    /** Progress that shows nothing. */
    Progress SILENT = new Progress() {
        @Override
        public void stepBy(long n) {
        }

        @Override
        public void stepTo(long n) {
        }

        @Override
        public void setExtraMessage(String message) {
        }

        @Override
        public void close() {
        }
    };

    /** How loops show their progress, process-wide. */
    interface Display {
        /** Shows nothing: the default. */
        Display NONE = (task, max, unit) -> SILENT;

        /** A new loop's progress. */
        Progress open(String task, long max, String unit);

        /** The installed display ({@link #NONE} until one is installed). */
        static Display current() {
            return Holder.display;
        }

        /** Installs d for every loop opened from now on. */
        static void install(Display d) {
            Holder.display = Objects.requireNonNull(d);
        }

        /**
         * One short line per loop every intervalMillis and one when it ends ({@code task: 1200/6000 (20%) 3.1 s, msg}),
         * for logs and pipes, where a redrawn bar would write one line per update.
         */
        static Display lines(PrintStream out, long intervalMillis) {
            return (task, max, unit) -> new LineProgress(out, intervalMillis, task, max, unit);
        }
    }

    /** The installed display. */
    final class Holder {
        private static volatile Display display = Display.NONE;

        private Holder() {
        }
    }

    /** {@link Display#lines}'s progress. */
    final class LineProgress implements Progress {
        private final PrintStream out;
        private final long interval;
        private final String task;
        private final long max;
        private final String unit;
        private final long start = System.nanoTime();
        private long done;
        private long lastPrint = System.nanoTime();
        private String message = "";
        private boolean closed;

        LineProgress(PrintStream out, long intervalMillis, String task, long max, String unit) {
            this.out = out;
            this.interval = intervalMillis * 1_000_000L;
            this.task = task;
            this.max = max;
            this.unit = unit;
        }

        @Override
        public synchronized void stepBy(long n) {
            stepTo(done + n);
        }

        @Override
        public synchronized void stepTo(long n) {
            done = n;
            long now = System.nanoTime();
            if (now - lastPrint >= interval) {
                lastPrint = now;
                print();
            }
        }

        @Override
        public synchronized void setExtraMessage(String message) {
            this.message = message == null ? "" : message;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                if (System.nanoTime() - start >= interval) { // a loop shorter than one interval stays silent
                    print();
                }
            }
        }

        private void print() {
            double secs = (System.nanoTime() - start) / 1e9;
            String count = max > 0 ? String.format(Locale.ROOT, "%d/%d%s (%d%%)", done, max, unit, 100 * done / max)
                    : done + unit;
            out.printf(Locale.ROOT, "%s: %s %.0f s%s%n", task, count, secs, message.isEmpty() ? "" : ", " + message);
        }
    }
}
