package densitylab.io;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Terminal progress bars in one style for every long loop. Off unless the system property {@code densitylab.progress}
 * is {@code true}: the command line sets it (a library embedded in a service prints nothing of its own), and the
 * environment variable {@code DENSITYLAB_PROGRESS=0} or {@code -Ddensitylab.progress=false} (the test suite) keeps it off.
 */
public final class Progress {
    private Progress() {
    }

    /** True unless progress bars are switched off. */
    public static boolean enabled() {
        return "true".equals(System.getProperty("densitylab.progress")) && !"0".equals(System.getenv("DENSITYLAB_PROGRESS"));
    }

    /** A builder for a bar named task with max steps, silent when progress is off. */
    public static ProgressBarBuilder builder(String task, long max) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).continuousUpdate().setUpdateIntervalMillis(500);
        // every consumer gets an explicit width: without one, the progress bar library asks JLine for the terminal's
        // width on every bar, which forks processes (stty) each time: 11-75 ms per bar, and a bar per scoring call
        // held a detector at 13 single-image calls per second
        b.setConsumer(enabled() ? new ConsoleProgressBarConsumer(System.err, terminalWidth())
                : new DelegatingProgressBarConsumer(s -> { }, 100));
        return b;
    }

    private static volatile int width;

    /** The terminal's width, asked once per process. */
    private static int terminalWidth() {
        if (width <= 0) {
            width = Math.max(40, new DelegatingProgressBarConsumer(s -> { }).getMaxRenderedLength());
        }
        return width;
    }

    /** A started bar named task with max steps; close it when done. */
    public static ProgressBar bar(String task, long max) {
        return builder(task, max).build();
    }
}
