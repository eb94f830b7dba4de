package io.jublk.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The systemd service this process runs as, if any: its server then belongs to the unit, and
 * a hand-over ('ublk restart') leaves starting the next server to systemd (the unit's
 * RestartForceExitStatus=) instead of starting one outside the unit.
 */
public final class SystemdUnit {
    private SystemdUnit() {}

    /** The unit name ("jublk@x.service"), or null outside a systemd service. */
    public static String current() {
        // systemd sets INVOCATION_ID for every process it starts as a unit's main process.
        if (System.getenv("INVOCATION_ID") == null) return null;
        try {
            return fromCgroup(Files.readAllLines(Path.of("/proc/self/cgroup")));
        } catch (IOException e) {
            return null;
        }
    }

    /** The service named by the cgroup v2 line ("0::/system.slice/.../jublk@x.service"), or null. */
    static String fromCgroup(List<String> lines) {
        for (String line : lines) {
            if (!line.startsWith("0::")) continue;
            String path = line.substring(3);
            String last = path.substring(path.lastIndexOf('/') + 1);
            return last.endsWith(".service") ? last : null;
        }
        return null;
    }
}
