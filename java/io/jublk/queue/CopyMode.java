package io.jublk.queue;

/**
 * How request data moves between the kernel and the store (see java/README.md, "How it works").
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
    USER_COPY,
    /**
     * UBLK_F_AUTO_BUF_REG (6.16+), for stores kept in a file (--recoverable): the kernel
     * registers each request's pages as a fixed buffer of the queue's ring, and the server
     * queues an io_uring READ_FIXED/WRITE_FIXED between the store file and that buffer,
     * linked before the commit. One copy, done by the kernel inside the batch's single
     * io_uring_enter: no syscall per request, no buffers.
     */
    FIXED;

    /** UBLK_F_* flags ADD_DEV must request for this mode. */
    public long devFlags() {
        switch (this) {
            case USER_COPY: return 0x80;
            case FIXED: return 0x800;
            default: return 0;
        }
    }

    /** The mode a device added with {@code flags} is served in (recovering a device). */
    public static CopyMode ofDevFlags(long flags) {
        if ((flags & FIXED.devFlags()) != 0) return FIXED;
        return (flags & USER_COPY.devFlags()) != 0 ? USER_COPY : BUFFER;
    }

    /** True where the shim never copies into the per-tag buffers (commands carry no address). */
    public boolean bufferless() {
        return this != BUFFER;
    }
}
