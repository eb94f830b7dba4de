package io.jublk.daemon;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The block layer's I/O scheduler of a ublk disk ({@code /sys/block/ublkbN/queue/scheduler}).
 * The kernel gives a new ublk disk mq-deadline, which inserts every request into its queues
 * and has a kblockd worker dispatch it: measured in the test VM, 4 KiB random I/O at queue
 * depth 32 ran 4x faster on 7.3 (1.5x on 6.12) with {@code none} (tests/bench/README.md). A RAM
 * disk has no seek cost for a scheduler to save, so {@code none} is the default.
 */
public final class IoScheduler {
    /** What {@code add} selects unless told otherwise. */
    public static final String DEFAULT = "none";
    /** Leave the kernel's choice alone. */
    public static final String KEEP = "keep";

    private IoScheduler() {
    }

    /** True for a name sysfs could hold: {@link #KEEP} or a scheduler name such as mq-deadline. */
    public static boolean validName(String name) {
        return name != null && name.matches("[a-z][a-z0-9_-]{0,31}");
    }

    /**
     * Selects {@code name} for {@code blockDevice} ("/dev/ublkbN") unless it is {@link #KEEP}.
     * A scheduler the kernel does not have is the user's mistake: the error lists the ones it has.
     */
    public static void select(String blockDevice, String name) {
        if (KEEP.equals(name)) return;
        Path file = sysfsFile(blockDevice);
        try {
            Files.writeString(file, name);
        } catch (IOException e) {
            throw new JublkException(Reason.USAGE, "cannot select I/O scheduler '" + name + "' for " + blockDevice
                    + " (" + e.getMessage() + "); this kernel offers: " + offered(file));
        }
    }

    /** The scheduler in use ("none", "mq-deadline"), or null when the disk has no queue in sysfs. */
    public static String current(String blockDevice) {
        String all = read(sysfsFile(blockDevice));
        if (all == null) return null;
        int open = all.indexOf('['), close = all.indexOf(']');
        return open >= 0 && close > open ? all.substring(open + 1, close) : all.trim();
    }

    private static String offered(Path file) {
        String all = read(file);
        return all == null ? "unknown" : all.replace("[", "").replace("]", "").trim();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private static Path sysfsFile(String blockDevice) {
        return Path.of("/sys/block", Path.of(blockDevice).getFileName().toString(), "queue", "scheduler");
    }
}
