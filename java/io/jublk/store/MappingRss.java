package io.jublk.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of one mapping of a process, from /proc/PID/smaps. Unlike mincore this
 * does not count the shared zero page that reads of never-written blocks map in, so it
 * is the memory a RAM disk really holds.
 */
public final class MappingRss {
    private MappingRss() {}

    /**
     * Rss in bytes of the mapping of {@code pid} ("self" for this process) that starts at
     * {@code start}, or -1 if there is no such mapping or smaps cannot be read.
     */
    public static long of(String pid, long start) {
        String prefix = Long.toHexString(start) + "-";
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc", pid, "smaps"))) {
            String line;
            boolean inMapping = false;
            while ((line = r.readLine()) != null) {
                if (isHeader(line)) {
                    inMapping = line.startsWith(prefix);
                } else if (inMapping && line.startsWith("Rss:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Mapping header lines look like "7f12a000-7f12b000 rw-p ..."; field lines like "Rss: 4 kB". */
    private static boolean isHeader(String line) {
        int dash = line.indexOf('-');
        int colon = line.indexOf(':');
        return dash > 0 && (colon < 0 || colon > dash) && Character.digit(line.charAt(0), 16) >= 0
                && line.indexOf(' ') > dash;
    }
}
