package io.jublk.daemon;

import io.jublk.store.PageStore;
import io.jublk.store.StoreGate;
import io.jublk.store.WriteCache;

/**
 * Changes a live disk's size: the kernel's (UPDATE_SIZE) and the store's, in the order that
 * never lets a request reach beyond the store, and back when the store's half cannot be done.
 *
 * <ul>
 *   <li>Growing: the store first (paused: no request half done), then the kernel, so the
 *       kernel never sends a request beyond the store.</li>
 *   <li>Shrinking: the kernel first, so no new request reaches the tail, then the tail is
 *       released with every queue paused. If the pause fails (a queue did not reach its pause
 *       point in time) the kernel is set back to the old size — the store is untouched, so the
 *       tail still holds its data — and the resize fails; without that, the kernel stayed
 *       smaller than the store, a later grow back to the old size did nothing, and a grow to a
 *       size in between showed the unreleased tail's old data instead of zeros.</li>
 * </ul>
 * The size it starts from is the kernel's, which is what a reader of the disk sees.
 */
final class Resizer {
    /** The kernel's view of the disk's size (GET_PARAMS / UPDATE_SIZE). */
    interface KernelSize {
        long bytes();

        void set(long bytes);
    }

    /** What a resize did: sizes before and after, store bytes released. */
    record Result(long oldSize, long newSize, long released) {}

    private final KernelSize kernel;
    private final StoreGate gate;
    private final PageStore store;
    private final WriteCache cache;
    private final long pauseTimeoutMs;

    /** @param cache the disk's write cache, or null */
    Resizer(KernelSize kernel, StoreGate gate, PageStore store, WriteCache cache, long pauseTimeoutMs) {
        this.kernel = kernel;
        this.gate = gate;
        this.store = store;
        this.cache = cache;
        this.pauseTimeoutMs = pauseTimeoutMs;
    }

    /**
     * Resizes to {@code newSize} bytes (validated by the caller). Throws IllegalStateException
     * naming what failed; the disk then has its old size, in the kernel and in the store.
     */
    Result resize(long newSize) {
        long old = kernel.bytes();
        if (store.size() < old) {
            throw new IllegalStateException("the kernel's size " + old + " is larger than the store's " + store.size());
        }
        if (store.size() > old) {
            // An earlier resize left the store larger than the kernel (its UPDATE_SIZE back, or a
            // grow's, failed): that tail may hold data the disk no longer has. Release it first,
            // so a grow shows zeros there.
            gate.runPaused(() -> shrinkStore(old), pauseTimeoutMs);
        }
        if (newSize > old) {
            gate.runPaused(() -> store.resize(newSize), pauseTimeoutMs);
            try {
                kernel.set(newSize);
            } catch (RuntimeException e) {
                try {
                    gate.runPaused(() -> store.resize(old), pauseTimeoutMs);
                } catch (RuntimeException back) {
                    e.addSuppressed(back); // harmless: the tail holds zeros, and the next resize releases it first
                }
                throw new IllegalStateException("not resized, still " + old + " bytes: " + e.getMessage(), e);
            }
            return new Result(old, newSize, 0);
        }
        if (newSize == old) return new Result(old, newSize, 0);
        kernel.set(newSize);
        long released;
        try {
            released = gate.runPaused(() -> shrinkStore(newSize), pauseTimeoutMs);
        } catch (RuntimeException e) {
            try {
                kernel.set(old);
            } catch (RuntimeException back) {
                e.addSuppressed(back);
                throw new IllegalStateException("shrinking failed (" + e.getMessage() + ") and setting the size back to "
                        + old + " bytes failed too (" + back.getMessage() + "): the disk shows " + newSize
                        + " bytes over a store of " + old, e);
            }
            throw new IllegalStateException("not resized, still " + old + " bytes: " + e.getMessage(), e);
        }
        return new Result(old, newSize, released);
    }

    /** Only with every queue paused. Returns the bytes released. */
    private long shrinkStore(long newSize) {
        // The cut-off part has nothing to fall back to: what remains counts as durable.
        if (cache != null) cache.flush();
        return store.resize(newSize);
    }
}
