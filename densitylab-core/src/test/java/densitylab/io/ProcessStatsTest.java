package densitylab.io;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessStatsTest {
    @Test
    void parsesMinorFaultsAndSystemTimeAfterACommandNameWithSpacesAndParentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String line = "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 123456 0 7 0 250 375 0 0 20 0 30 0";
        ProcessStats s = ProcessStats.parse(line);
        assertThat(s.minorFaults()).isEqualTo(123456);
        assertThat(s.systemSeconds()).isEqualTo(3.75);
    }

    @Test
    void readsThisProcessOnLinux() {
        ProcessStats s = ProcessStats.read();
        if (!System.getProperty("os.name").startsWith("Linux")) {
            assertThat(s).isEqualTo(ProcessStats.UNKNOWN);
            return;
        }
        assertThat(s.minorFaults()).isPositive(); // a running JVM has faulted in its heap and libraries
        assertThat(s.systemSeconds()).isGreaterThanOrEqualTo(0);
        assertThat(ProcessStats.read().since(s).minorFaults()).isGreaterThanOrEqualTo(0);
        assertThat(ProcessStats.UNKNOWN.since(s)).isEqualTo(ProcessStats.UNKNOWN);
    }
}
