package densitylab.cli;

import densitylab.io.Progress;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The command line's progress display: a redrawn bar on a terminal, a line every few seconds otherwise (logs, pipes). */
final class TerminalProgress {
    /** Seconds between two progress lines when no terminal is attached. */
    static final long LINE_INTERVAL_MILLIS = 10_000;

    private TerminalProgress() {
    }

    /**
     * Installs the display for this process, unless progress is switched off ({@code DENSITYLAB_PROGRESS=0} or
     * {@code -Ddensitylab.progress=false}, which the test suite sets).
     */
    static void install() {
        if ("false".equals(System.getProperty("densitylab.progress")) || "0".equals(System.getenv("DENSITYLAB_PROGRESS"))) {
            return;
        }
        if (System.console() == null) {
            Progress.Display.install(Progress.Display.lines(System.err, LINE_INTERVAL_MILLIS));
            return;
        }
        // every bar gets an explicit width: without one, the progress bar library asks JLine for the terminal's width
        // on every bar, which forks processes (stty) each time: 11-75 ms per bar, and a bar per scoring call held a
        // detector at 13 single-image calls per second
        int width = Math.max(40, new DelegatingProgressBarConsumer(s -> { }).getMaxRenderedLength());
        Progress.Display.install((task, max, unit) -> {
            ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                    .setStyle(ProgressBarStyle.ASCII).continuousUpdate().setUpdateIntervalMillis(500)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err, width));
            if (!unit.isEmpty()) {
                b.setUnit(unit, 1);
            }
            return new Bar(b.build());
        });
    }

    /** A progress bar of the progressbar library. */
    private record Bar(ProgressBar bar) implements Progress {
        @Override
        public void stepBy(long n) {
            bar.stepBy(n);
        }

        @Override
        public void stepTo(long n) {
            bar.stepTo(n);
        }

        @Override
        public void setExtraMessage(String message) {
            bar.setExtraMessage(message);
        }

        @Override
        public void close() {
            bar.close();
        }
    }
}
