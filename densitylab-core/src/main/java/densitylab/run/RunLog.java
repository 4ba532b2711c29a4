package densitylab.run;

import org.slf4j.LoggerFactory;

import java.io.PrintStream;

/** Where the run layer's human-readable lines go: a terminal's streams for the command line, SLF4J in a service. */
public interface RunLog {
    /** A line of what is being done or was found (the command line's standard output). */
    void info(String line);

    /** A line the user should notice: a changed setting, a shortened step (the command line's standard error). */
    void note(String line);

    /** Lines to SLF4J's logger {@code densitylab.run}: info and warn. */
    static RunLog slf4j() {
        org.slf4j.Logger log = LoggerFactory.getLogger("densitylab.run");
        return new RunLog() {
            @Override
            public void info(String line) {
                log.info(line);
            }

            @Override
            public void note(String line) {
                log.warn(line);
            }
        };
    }

    /** Discards every line (a run whose caller reports for itself). */
    static RunLog silent() {
        return new RunLog() {
            @Override
            public void info(String line) {
            }

            @Override
            public void note(String line) {
            }
        };
    }

    /** info lines to out, notes to err, each prefixed "densitylab: note: ". */
    static RunLog of(PrintStream out, PrintStream err) {
        return new RunLog() {
            @Override
            public void info(String line) {
                out.println(line);
            }

            @Override
            public void note(String line) {
                err.println("densitylab: note: " + line);
            }
        };
    }
}
