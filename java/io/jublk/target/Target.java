package io.jublk.target;

import io.jublk.store.WriteSource;

/**
 * A block device's behaviour, one call per request. The queue worker decodes each ublk
 * descriptor and calls exactly one method; the target fills the {@link Completion}.
 * This seam is what lets the queue loop be tested with a fake target.
 *
 * <p>A target never moves request data itself in the common case: it names the memory
 * the data comes from or goes to, and the queue (which knows the copy mode) has the shim
 * move it inside its one native call per batch. Offsets and lengths are in bytes.
 */
public interface Target {
    /**
     * READ: names where the data is ({@link Completion#address}), or that it is all zeros
     * (address 0, nothing in memory to read), or — for data spread over memory and zeros —
     * hands it over piecewise to {@code sink} and marks the completion delivered.
     */
    void read(long offset, int length, Completion c, ReadSink sink);

    /**
     * WRITE: names where the data must go (after any admission check such as the memory
     * limit), or copies it from {@code source} itself and marks the completion delivered.
     */
    void write(long offset, int length, Completion c, WriteSource source);

    void flush(Completion c);

    /**
     * A WRITE with FUA has its data in place — called before it is committed if {@link #write}
     * copied the data itself ({@link Completion#delivered}), else after the batch that copied it,
     * before its queue can pause: with a volatile write cache, that range is durable now.
     */
    default void madeDurable(long offset, long length) {
    }

    void discard(long offset, long length, Completion c);

    void writeZeroes(long offset, long length, boolean noUnmap, Completion c);

    /** Capacity in bytes. */
    long size();
}
