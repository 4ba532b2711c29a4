package densitylab.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The C heap that libtorch's tensors live in. The launcher tells glibc to keep freed memory for reuse (no trimming, no
 * mmap), which is fast within a phase but kept everything a finished phase freed; {@link #release()} gives it back.
 */
public final class NativeMemory {
    private static volatile boolean unavailable;

    private NativeMemory() {
    }

    /**
     * Returns the C allocator's free memory to the operating system (glibc's {@code malloc_trim(0)}, every arena), so
     * that what a finished phase or a closed model freed stops counting as resident. Takes milliseconds; call it
     * between phases, not per batch. Does nothing where the C library has no {@code malloc_trim}.
     */
    public static void release() {
        if (unavailable) {
            return;
        }
        try {
            com.sun.jna.NativeLibrary.getInstance(com.sun.jna.Platform.C_LIBRARY_NAME).getFunction("malloc_trim")
                    .invokeInt(new Object[] {0});
        } catch (RuntimeException | LinkageError e) {
            unavailable = true; // not glibc (musl, macOS): their allocators give memory back themselves
        }
    }

    /** This process's resident set size in bytes (Linux's /proc/self/status), or -1 where the system does not say. */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
