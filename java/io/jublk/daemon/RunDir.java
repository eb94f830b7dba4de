package io.jublk.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * /run/jublk: the root-only folder where each device server leaves a small state file
 * (its pid and where its store lives) so that other commands can find and measure it.
 */
public final class RunDir {
    public static final Path DEFAULT = Path.of("/run/jublk");
    private static volatile Path dir = Path.of(System.getProperty("jublk.rundir", DEFAULT.toString()));

    private RunDir() {}

    public static Path dir() {
        return dir;
    }

    /** Host tests only: points every file of this class at {@code other}; returns the folder before. */
    static Path useDirForTests(Path other) {
        Path before = dir;
        dir = other;
        return before;
    }

    /** Creates the folder with mode 0700 if needed. */
    public static Path ensure() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        return dir;
    }

    public static Path stateFile(int devId) {
        return dir.resolve("ublk" + devId + ".state");
    }

    public static Path socketFile(int devId) {
        return dir.resolve("ublk" + devId + ".sock");
    }

    public static Path logFile(int devId) {
        return dir.resolve("ublk" + devId + ".log");
    }

    /**
     * Writes key=value lines atomically (a temporary file of its own, then a rename), mode 0600:
     * a reader sees the old file or the new one, never part of either, also when two writers race
     * (with one shared temporary name one write truncated the other's file before its rename).
     */
    public static void writeState(int devId, Map<String, String> values) throws IOException {
        ensure();
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        Path tmp = Files.createTempFile(dir, ".ublk" + devId + ".state.", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, stateFile(devId), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The state of device {@code devId}, or an empty map if there is none. */
    public static Map<String, String> readState(int devId) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(stateFile(devId), StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0) out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        } catch (IOException e) {
            // no state: the server is gone or never started
        }
        return out;
    }

    /**
     * Removes what a device's server leaves here: its state file, its control socket and a
     * recoverable disk's store file (whose memory is freed once no process maps it).
     */
    public static void removeDeviceFiles(int devId) {
        removeState(devId);
        StoreFiles.system().delete(devId);
        try {
            Files.deleteIfExists(socketFile(devId));
        } catch (IOException ignored) {
            // a stale socket is replaced at the next start
        }
    }

    public static void removeState(int devId) {
        try {
            Files.deleteIfExists(stateFile(devId));
        } catch (IOException ignored) {
            // best effort: a stale file is ignored by readers that check the pid
        }
    }
}
