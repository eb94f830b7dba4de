package io.jublk.target;

/**
 * A block device's behaviour, one call per request. The queue worker decodes each ublk
 * descriptor and calls exactly one method; the target fills the {@link Completion}.
 * This seam is what lets the queue loop be tested with a fake target.
 *
 * <p>Offsets and lengths are in bytes. {@code buffer} is the tag's data buffer: WRITE
 * data is already in it, READ data must end up in it.
 */
public interface Target {
    void read(long offset, int length, long buffer, Completion c);

    void write(long offset, int length, long buffer, Completion c);

    /**
     * Direct copy mode: names where the kernel can copy READ data from (no copy here).
     * Targets without one contiguous backing address fail with EOPNOTSUPP.
     */
    default void readDirect(long offset, int length, Completion c) {
        c.fail(-95);
    }

    /** Direct copy mode: names where the kernel should put WRITE data (after any limit check). */
    default void writeDirect(long offset, int length, Completion c) {
        c.fail(-95);
    }

    void flush(Completion c);

    void discard(long offset, long length, Completion c);

    void writeZeroes(long offset, long length, boolean noUnmap, Completion c);

    /** Capacity in bytes. */
    long size();
}
