package io.jublk.target;

/**
 * What a target decided for one request, filled in place (one instance per queue worker,
 * reused for every request: no allocation on the hot path).
 *
 * <p>A target never moves data itself: it names one copy (or zero-fill) that the native
 * batch call performs just before it commits the request, so a whole batch costs one
 * native call.
 */
public final class Completion {
    /** Result committed to the kernel: bytes done for READ/WRITE, 0 for others, -errno on error. */
    public int result;
    public long copyDst;
    /** 0 means zero-fill {@link #copyDst} instead of copying. */
    public long copySrc;
    public long copyLen;
    /**
     * Address the kernel should copy from/to instead of the tag's buffer (direct copy
     * mode: READ data straight from the store, WRITE data straight into it); 0 = the buffer.
     */
    public long directAddress;
    /** How the shim performs the copy (0 = memory copy; USER_COPY kinds set by the queue). */
    public short copyKind;

    public void reset() {
        copyKind = 0;
        result = 0;
        directAddress = 0;
        copyDst = 0;
        copySrc = 0;
        copyLen = 0;
    }

    public void fail(int negativeErrno) {
        reset();
        result = negativeErrno;
    }

    /** The kernel copies {@code len} bytes straight from/to {@code address}; nothing to copy here. */
    public void direct(long address, int result) {
        reset();
        this.directAddress = address;
        this.result = result;
    }

    public void copy(long dst, long src, long len, int result) {
        this.copyDst = dst;
        this.copySrc = src;
        this.copyLen = len;
        this.result = result;
    }
}
