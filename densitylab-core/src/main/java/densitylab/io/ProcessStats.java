package densitylab.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's minor page faults and system (kernel) CPU time, read from Linux's {@code /proc/self/stat}, so a
 * benchmark can report them beside images/s: memory that the allocator hands back to the kernel and faults in
 * again shows up here long before it shows up in a profile. Elsewhere {@link #read} returns {@link #UNKNOWN}.
 *
 * @param minorFaults   minor page faults since the process started (-1 = unknown)
 * @param systemSeconds CPU seconds spent in the kernel on the process's behalf (NaN = unknown)
 */
public record ProcessStats(long minorFaults, double systemSeconds) {
    /** What {@link #read} returns where /proc/self/stat cannot be read. */
    public static final ProcessStats UNKNOWN = new ProcessStats(-1, Double.NaN);
    /** Clock ticks per second of /proc's times (USER_HZ, 100 on every Linux this runs on). */
    private static final double TICKS_PER_SECOND = 100.0;

    /** The counters now. */
    public static ProcessStats read() {
        try {
            return parse(Files.readString(Path.of("/proc/self/stat")));
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    /** Parses a /proc/PID/stat line (fields after the command name, which may hold spaces, are split on spaces). */
    static ProcessStats parse(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // after "pid (comm) ": state(3) ppid pgrp session tty_nr tpgid flags minflt(10) cminflt majflt cmajflt utime stime(15)
        return new ProcessStats(Long.parseLong(f[10 - 3]), Long.parseLong(f[15 - 3]) / TICKS_PER_SECOND);
    }

    /** The counts from earlier to this ({@link #UNKNOWN} when either is unknown). */
    public ProcessStats since(ProcessStats earlier) {
        if (minorFaults < 0 || earlier.minorFaults < 0) {
            return UNKNOWN;
        }
        return new ProcessStats(minorFaults - earlier.minorFaults, systemSeconds - earlier.systemSeconds);
    }

    /** The process's peak resident memory in bytes (VmHWM of /proc/self/status), or -1 where it cannot be read. */
    public static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
