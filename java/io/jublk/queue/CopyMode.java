package io.jublk.queue;

/**
 * How request data moves between the kernel and the store (see README, "Copy modes").
 * A third mode, "direct" (the kernel copying straight into the store via NEED_GET_DATA),
 * was removed: it needed one more command per WRITE, kernels with BATCH_IO refuse it, and
 * USER_COPY gives the same single copy.
 */
public enum CopyMode {
    /**
     * Per-tag buffers: the kernel copies bio ↔ tag buffer, the shim copies tag buffer ↔ store
     * in the batch call. Two copies, no extra commands.
     */
    BUFFER,
    /**
     * UBLK_F_USER_COPY: the server copies with pwrite/pread on /dev/ublkcN straight between
     * the store and the request (done by the shim inside the batch call). One copy, one
     * syscall per request, no buffers.
     */
    USER_COPY;

    /** UBLK_F_* flags ADD_DEV must request for this mode. */
    public long devFlags() {
        return this == USER_COPY ? 0x80 : 0;
    }
}
