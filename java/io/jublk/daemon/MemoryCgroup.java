package io.jublk.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The cgroup v2 memory limit the server runs under. A RAM disk's data is the server's own
 * memory, so without care a disk written past the cgroup's memory.max gets its server
 * OOM-killed and every byte lost. jublk turns the limit into an implicit --max-memory:
 * the smallest memory.max on the way from the server's cgroup to the root, minus
 * {@link #HEADROOM} for the JVM itself — writes beyond it fail with ENOSPC instead.
 */
public final class MemoryCgroup {
    /** Room left for the JVM (heap, code, metaspace: ~60 MiB measured) and page tables. */
    public static final long HEADROOM = 128L << 20;

    private MemoryCgroup() {}

    /** The tightest memory.max over this process's cgroup and its ancestors, or 0 if none. */
    public static long limitBytes() {
        return limitBytes(Path.of("/proc/self/cgroup"), Path.of("/sys/fs/cgroup"));
    }

    static long limitBytes(Path procCgroup, Path mount) {
        String rel;
        try {
            rel = Files.readAllLines(procCgroup).stream().filter(l -> l.startsWith("0::")).findFirst()
                    .map(l -> l.substring(3)).orElse(null);
        } catch (IOException e) {
            return 0;
        }
        if (rel == null) return 0;
        long limit = 0;
        for (Path p = mount.resolve(rel.startsWith("/") ? rel.substring(1) : rel); p != null && p.startsWith(mount);
             p = p.getParent()) {
            long max = readMax(p.resolve("memory.max"));
            if (max > 0 && (limit == 0 || max < limit)) limit = max;
        }
        return limit;
    }

    private static long readMax(Path file) {
        try {
            String v = Files.readString(file).trim();
            return v.equals("max") ? 0 : Long.parseLong(v);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** The memory limit to serve with, for a disk with no memory beside its data (see the full form). */
    public static long effectiveLimit(long explicit, long cgroupLimit) {
        return effectiveLimit(explicit, cgroupLimit, 0, false);
    }

    /**
     * The memory limit to serve with: the explicit one, tightened by the cgroup's. The cgroup is
     * charged more than the disk's data, and all of it must fit: the JVM ({@link #HEADROOM}),
     * {@code tagBufferBytes} (copy mode buffer: queues × depth × max I/O, touched under large
     * I/O at full depth), and page tables — 8 bytes per 4 KiB page of data, twice with a
     * write-back cache (its saved copies are mapped too). Throws if that leaves no room for
     * data. (Not counted: the page bitmaps, 1/32768 of the data when it is dense.)
     */
    public static long effectiveLimit(long explicit, long cgroupLimit, long tagBufferBytes, boolean writeBack) {
        if (cgroupLimit <= 0) return explicit;
        long room = cgroupLimit - HEADROOM - tagBufferBytes;
        if (room < (16L << 20)) {
            throw new io.jublk.JublkException(io.jublk.JublkException.Reason.USAGE, "the memory cgroup limit ("
                    + cgroupLimit + " bytes) leaves no room for data: the server needs " + (HEADROOM >> 20)
                    + " MiB for itself" + (tagBufferBytes > 0 ? " and " + (tagBufferBytes >> 20)
                    + " MiB for its request buffers (copy mode buffer: queues x depth x max I/O)" : "")
                    + " plus at least 16 MiB for the disk");
        }
        long pageTables = writeBack ? 2 : 1; // bytes of page table per 512 bytes of data
        long data = room / (512 + pageTables) * 512;
        return explicit > 0 ? Math.min(explicit, data) : data;
    }
}
