package io.jublk.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Who has a file open, found the way fuser does: the /proc/PID/fd links of every process
 * this one can see. For kernels whose ublk driver cannot refuse a stop while the disk is
 * open (no UBLK_F_SAFE_STOP_DEV); processes in other PID namespaces are not seen.
 */
final class OpenFiles {
    private static final Path PROC = Path.of("/proc");

    private OpenFiles() {}

    /** "PID (command)" of the first process found holding {@code path} open, or null. */
    static String firstHolder(String path) {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                if (holds(proc, path)) return proc.getFileName() + " (" + command(proc) + ")";
            }
        } catch (IOException e) {
            return null; // no /proc: nothing to say
        }
        return null;
    }

    private static boolean holds(Path proc, String path) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(path)) return true;
                } catch (IOException | UnsupportedOperationException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | SecurityException e) {
            // gone, or not ours to look at
        }
        return false;
    }

    private static String command(Path proc) {
        try {
            return Files.readString(proc.resolve("comm")).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
