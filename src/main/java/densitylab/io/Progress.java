package densitylab.io;

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
        if (!enabled()) {
            b.setConsumer(new DelegatingProgressBarConsumer(s -> { }));
        }
        return b;
    }

    /** A started bar named task with max steps; close it when done. */
    public static ProgressBar bar(String task, long max) {
        return builder(task, max).build();
    }
}
