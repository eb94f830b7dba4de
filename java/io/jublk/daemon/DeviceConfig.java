package io.jublk.daemon;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Uapi;
import io.jublk.queue.CopyMode;

import java.util.function.LongSupplier;

/**
 * What the user asked for, validated before anything touches the kernel, so that every
 * mistake is reported as one line naming the option.
 */
public record DeviceConfig(TargetType type, int devId, long sizeBytes, long maxSizeBytes, int queues, int depth,
                           int logicalBlockSize, int maxIoBytes, long maxMemory, CopyMode copyMode, int pollMicros,
                           boolean pinQueues, boolean noPartScan, boolean batchIo, String scheduler,
                           boolean recoverable, boolean writebackCache) {
    /** What serves the requests. */
    public enum TargetType {
        /** The RAM disk. */
        RAM,
        /** Completes every request without moving data (ublksrv's null target): the server's own cost. */
        NULL
    }

    /** With no --max-size a disk can grow ('ublk resize') to this many times its size (address space only). */
    public static final int DEFAULT_GROWTH = 4;
    public static final int DEFAULT_QUEUES = 1;
    public static final int DEFAULT_DEPTH = 128;
    public static final int DEFAULT_MAX_IO_BYTES = 1 << 20;
    /**
     * With no --copy-mode: USER_COPY when the kernel offers it — one copy, no per-tag buffers,
     * so the fastest for large I/O and the smallest memory overhead (tests/bench/README.md) —
     * else BUFFER, which every ublk kernel supports. Null in a config means "this default".
     */
    public static final CopyMode PREFERRED_COPY_MODE = CopyMode.USER_COPY;
    public static final CopyMode FALLBACK_COPY_MODE = CopyMode.BUFFER;
    /** {@code --poll} without a value: long enough to bridge a request round trip in the test VM. */
    public static final int DEFAULT_POLL_MICROS = 50;
    public static final int MAX_POLL_MICROS = 10_000;
    /** Explicit ids must be below 2^20 (the kernel's limit). */
    public static final int MAX_DEV_ID = (1 << 20) - 1;

    public DeviceConfig {
        if (devId != DevInfo.ANY_ID && (devId < 0 || devId > MAX_DEV_ID)) {
            throw usage("device id must be between 0 and " + MAX_DEV_ID + ", got " + devId);
        }
        if (logicalBlockSize != 512 && logicalBlockSize != 4096) {
            throw usage("--logical-block-size must be 512 or 4096, got " + logicalBlockSize);
        }
        if (sizeBytes <= 0) {
            throw usage("--size must be greater than 0");
        }
        if (sizeBytes > io.jublk.store.PageStore.MAX_SIZE) {
            throw usage("--size must be at most 32T (" + io.jublk.store.PageStore.MAX_SIZE + " bytes), got " + sizeBytes);
        }
        if (maxSizeBytes < sizeBytes || maxSizeBytes > io.jublk.store.PageStore.MAX_SIZE) {
            throw usage("--max-size must be between --size and 32T, got " + maxSizeBytes);
        }
        if (sizeBytes % logicalBlockSize != 0) {
            throw usage("--size " + sizeBytes + " is not a multiple of the logical block size " + logicalBlockSize);
        }
        if (queues < 1 || queues > Uapi.MAX_NR_QUEUES) {
            throw usage("--queues must be between 1 and " + Uapi.MAX_NR_QUEUES + ", got " + queues);
        }
        if (depth < 1 || depth > Uapi.MAX_QUEUE_DEPTH) {
            throw usage("--depth must be between 1 and " + Uapi.MAX_QUEUE_DEPTH + ", got " + depth);
        }
        if (maxMemory < 0 || (maxMemory > 0 && maxMemory < 4096)) {
            throw usage("--max-memory must be at least 4K (or 0 for no limit)");
        }
        if (pollMicros < 0 || pollMicros > MAX_POLL_MICROS) {
            throw usage("--poll must be between 0 and " + MAX_POLL_MICROS + " microseconds, got " + pollMicros);
        }
        if (!IoScheduler.validName(scheduler)) {
            throw usage("--scheduler must be a scheduler name such as none or mq-deadline, or 'keep', got '" + scheduler + "'");
        }
        if (recoverable && type == TargetType.NULL) {
            throw usage("--recoverable keeps a RAM disk's data when its server dies; the null target keeps none");
        }
        if (writebackCache && type == TargetType.NULL) {
            throw usage("--cache writeback simulates a disk's volatile cache over stored data; the null target stores none");
        }
        if (writebackCache && recoverable) {
            throw usage("--cache writeback cannot be combined with --recoverable yet (the cache's saved blocks live in the server)");
        }
        if (copyMode == CopyMode.FIXED && !recoverable) {
            throw usage("--copy-mode fixed moves data between requests and the store file of a --recoverable disk: add --recoverable");
        }
        if (copyMode == CopyMode.FIXED && batchIo) {
            throw usage("--copy-mode fixed and --batch-io cannot be combined (fixed copies are linked to per-tag commits)");
        }
        if (maxIoBytes < 4096 || maxIoBytes % 4096 != 0 || maxIoBytes > (32 << 20)) {
            throw usage("max I/O size must be a multiple of 4096 between 4 KiB and 32 MiB, got " + maxIoBytes);
        }
    }

    /** A RAM disk without a memory limit, growable to {@link #defaultMaxSize}. */
    public DeviceConfig(int devId, long sizeBytes, int queues, int depth, int logicalBlockSize, int maxIoBytes) {
        this(TargetType.RAM, devId, sizeBytes, defaultMaxSize(sizeBytes), queues, depth, logicalBlockSize, maxIoBytes,
                0, null, 0, false, false, false, IoScheduler.DEFAULT, false, false);
    }

    /**
     * How far a disk may grow when --max-size is not given: {@link #DEFAULT_GROWTH} times
     * its size, within the store's limit. It costs address space only, never memory.
     */
    public static long defaultMaxSize(long sizeBytes) {
        long max = io.jublk.store.PageStore.MAX_SIZE;
        return sizeBytes >= max / DEFAULT_GROWTH ? Math.max(sizeBytes, max) : sizeBytes * DEFAULT_GROWTH;
    }

    /**
     * The copy mode to serve with: the configured one, else the default for the UBLK_F_*
     * features the kernel reports ({@code kernelFeatures} is asked only in that case).
     */
    public CopyMode copyModeFor(LongSupplier kernelFeatures) {
        if (copyMode != null) return copyMode;
        long needed = PREFERRED_COPY_MODE.devFlags();
        return (kernelFeatures.getAsLong() & needed) == needed ? PREFERRED_COPY_MODE : FALLBACK_COPY_MODE;
    }

    /**
     * This configuration as one line of {@code name=value} fields, for handing it to a
     * background server without a second command-line parse ({@link #decode}).
     */
    public String encode() {
        return "type=" + type + " devId=" + devId + " sizeBytes=" + sizeBytes + " maxSizeBytes=" + maxSizeBytes
                + " queues=" + queues + " depth=" + depth + " logicalBlockSize=" + logicalBlockSize
                + " maxIoBytes=" + maxIoBytes + " maxMemory=" + maxMemory
                + " copyMode=" + (copyMode == null ? "default" : copyMode.name()) + " pollMicros=" + pollMicros
                + " pinQueues=" + pinQueues + " noPartScan=" + noPartScan + " batchIo=" + batchIo
                + " scheduler=" + scheduler + " recoverable=" + recoverable + " writebackCache=" + writebackCache;
    }

    /** The same configuration for device {@code id} (what a recovering server serves). */
    public DeviceConfig withDevId(int id) {
        return new DeviceConfig(type, id, sizeBytes, maxSizeBytes, queues, depth, logicalBlockSize, maxIoBytes,
                maxMemory, copyMode, pollMicros, pinQueues, noPartScan, batchIo, scheduler, recoverable, writebackCache);
    }

    /** The configuration {@link #encode} wrote; validated again by the constructor. */
    public static DeviceConfig decode(String line) {
        java.util.Map<String, String> f = new java.util.HashMap<>();
        for (String field : line.trim().split(" +")) {
            int eq = field.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("bad device configuration field '" + field + "'");
            f.put(field.substring(0, eq), field.substring(eq + 1));
        }
        String mode = field(f, "copyMode");
        return new DeviceConfig(TargetType.valueOf(field(f, "type")), Integer.parseInt(field(f, "devId")),
                Long.parseLong(field(f, "sizeBytes")), Long.parseLong(field(f, "maxSizeBytes")),
                Integer.parseInt(field(f, "queues")), Integer.parseInt(field(f, "depth")),
                Integer.parseInt(field(f, "logicalBlockSize")), Integer.parseInt(field(f, "maxIoBytes")),
                Long.parseLong(field(f, "maxMemory")), mode.equals("default") ? null : CopyMode.valueOf(mode),
                Integer.parseInt(field(f, "pollMicros")), Boolean.parseBoolean(field(f, "pinQueues")),
                Boolean.parseBoolean(field(f, "noPartScan")), Boolean.parseBoolean(field(f, "batchIo")),
                field(f, "scheduler"), Boolean.parseBoolean(field(f, "recoverable")),
                Boolean.parseBoolean(f.getOrDefault("writebackCache", "false")));
    }

    private static String field(java.util.Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null) throw new IllegalArgumentException("device configuration without '" + name + "'");
        return v;
    }

    private static JublkException usage(String message) {
        return new JublkException(Reason.USAGE, message);
    }
}
