package io.jublk.store;

/**
 * Where a WRITE's data comes from when the target copies it itself rather than naming the
 * memory for the queue's batched copy: a disk with a write-back cache copies under the
 * cache's lock, so no other queue's flush or save can run between admitting a write and its
 * data landing. The queue implements it for its copy mode.
 */
public interface WriteSource {
    /** Copies the request's first {@code length} bytes to memory at {@code address}. */
    void copyInto(long address, int length);
}
