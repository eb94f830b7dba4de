package io.jublk.queue;

import io.jublk.ctrl.Uapi;

/**
 * Per-queue request counters, written only by the queue's own thread (plain fields, no
 * atomics, no sharing between queues) and summed on demand by readers, which may see
 * values a few requests old.
 */
public final class QueueStats {
    public static final int OPS = 6;
    private final long[] count = new long[OPS];
    private final long[] bytes = new long[OPS];
    private long errors;
    private long unsupported;
    private long wakeups;
    private long events;

    void record(int op, long length, int result) {
        if (op >= 0 && op < OPS) {
            count[op]++;
            if (result >= 0) bytes[op] += length;
        } else {
            unsupported++;
        }
        if (result < 0) errors++;
    }

    /** One return from the ring with {@code n} completions (n = 0: an idle timeout, not counted). */
    void batch(int n) {
        if (n > 0) {
            wakeups++;
            events += n;
        }
    }

    /** Returns from the ring that brought work: requests per wake-up = events / wakeups. */
    public long wakeups() {
        return wakeups;
    }

    /** Completions harvested from the ring (new requests and aborts). */
    public long events() {
        return events;
    }

    public long count(int op) {
        return count[op];
    }

    public long bytes(int op) {
        return bytes[op];
    }

    public long errors() {
        return errors;
    }

    public long unsupported() {
        return unsupported;
    }

    public long reads() {
        return count[Uapi.OP_READ];
    }

    public long writes() {
        return count[Uapi.OP_WRITE];
    }
}
