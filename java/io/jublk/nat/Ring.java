package io.jublk.nat;

/**
 * One io_uring instance owned by the shim. Not thread-safe: with SINGLE_ISSUER only
 * the creating thread may submit, and ublk queue rings must be driven by one thread.
 */
public final class Ring implements AutoCloseable {
    public static final int SETUP_CQSIZE = 1 << 3;
    public static final int SETUP_COOP_TASKRUN = 1 << 8;
    public static final int SETUP_SQE128 = 1 << 10;
    public static final int SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int SETUP_DEFER_TASKRUN = 1 << 13;

    private long handle;

    private Ring(long handle) {
        this.handle = handle;
    }

    /** Creates a ring; the error names io_uring being disabled when that is the cause. */
    public static Ring create(int entries, int flags, int cqEntries) {
        Native.ensureLoaded();
        long h = Native.jublk_ring_create(entries, flags, cqEntries);
        if (h < 0) throw new NativeException("io_uring_setup", (int) h);
        return new Ring(h);
    }

    public long handle() {
        return handle;
    }

    public int fd() {
        return Native.jublk_ring_fd(handle);
    }

    public int features() {
        return Native.jublk_ring_features(handle);
    }

    /** How long {@code jublk_queue_batch} polls for work before it sleeps (0: never). */
    public void setSpinMicros(int micros) {
        Native.jublk_ring_set_spin(handle, micros);
    }

    @Override
    public void close() {
        if (handle != 0) {
            Native.jublk_ring_destroy(handle);
            handle = 0;
        }
    }
}
