package io.jublk.queue;

/** How request data moves between the kernel and the store (see README, "Copy modes"). */
public enum CopyMode {
    /**
     * Per-tag buffers: the kernel copies bio ↔ tag buffer, the shim copies tag buffer ↔ store
     * in the batch call. Two copies, no extra commands.
     */
    BUFFER,
    /**
     * Direct addresses: a READ is committed with the store address (the kernel copies
     * straight from the store); a WRITE comes first without data (UBLK_F_NEED_GET_DATA) and
     * a NEED_GET_DATA command hands the kernel the store address to copy into. One copy,
     * no per-tag buffers, one extra (batched) command per WRITE.
     */
    DIRECT,
    /**
     * UBLK_F_USER_COPY: the server copies with pwrite/pread on /dev/ublkcN straight between
     * the store and the request (done by the shim inside the batch call). One copy, one
     * syscall per request, no buffers.
     */
    USER_COPY;

    /** UBLK_F_* flags ADD_DEV must request for this mode. */
    public long devFlags() {
        switch (this) {
            case DIRECT: return 0x4;    // NEED_GET_DATA
            case USER_COPY: return 0x80; // USER_COPY
            default: return 0;
        }
    }
}
