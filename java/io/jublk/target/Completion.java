package io.jublk.target;

/**
 * What a target decided for one request, filled in place (one instance per queue worker,
 * reused for every request: no allocation on the hot path).
 *
 * <p>The target names the memory ({@link #address}); the queue turns that into the copy
 * the native batch call performs just before it commits the request ({@code copy*}
 * fields), so a whole batch costs one native call.
 */
public final class Completion {
    /** Result committed to the kernel: bytes done for READ/WRITE, 0 for others, -errno on error. */
    public int result;
    /** READ/WRITE: the data's place in memory; for a READ, 0 means "all zeros". */
    public long address;
    /**
     * The data was already handed over (a READ through a {@link ReadSink}, a WRITE the target
     * copied itself), or is not to move at all (the null target): nothing to copy.
     */
    public boolean delivered;
    /** The copy the shim performs (set by the queue): see native/jublk.h, struct jublk_io_cmd. */
    public long copyDst;
    /** 0 means zeros instead of a source. */
    public long copySrc;
    public long copyLen;
    public short copyKind;

    public void reset() {
        result = 0;
        address = 0;
        delivered = false;
        copyKind = 0;
        copyDst = 0;
        copySrc = 0;
        copyLen = 0;
    }

    public void fail(int negativeErrno) {
        reset();
        result = negativeErrno;
    }

    /** READ/WRITE of {@code length} bytes at {@code address} (0 for a READ of zeros). */
    public void at(long address, int length) {
        reset();
        this.address = address;
        this.result = length;
    }

    /** READ whose data has been handed over already, or a READ/WRITE that moves no data. */
    public void delivered(int length) {
        reset();
        this.delivered = true;
        this.result = length;
    }

    /** Sets the copy the shim is to perform before the commit. */
    public void copy(short kind, long dst, long src, long len) {
        this.copyKind = kind;
        this.copyDst = dst;
        this.copySrc = src;
        this.copyLen = len;
    }
}
