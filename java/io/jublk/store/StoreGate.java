package io.jublk.store;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pause point between batches, so that the store can be changed by someone other than a
 * request (flush releases it all) without racing a request that is half done — a WRITE
 * whose pages are reserved but whose data is not copied yet would otherwise land in a
 * store just released, and be counted nowhere.
 *
 * <p>Every queue thread calls {@link #checkpoint} where it holds no half-done request (after
 * its batch call returned: the previous batch's copies are done and committed, the new
 * requests not yet looked at). {@link #runPaused} asks every queue to stop there, waits
 * until all have, runs the action, and lets them go. The cost on the hot path is one
 * volatile read per batch. A queue thread that ends calls {@link #leave}, so a pause never
 * waits for a thread that is gone.
 */
public final class StoreGate {
    private final ReentrantLock lock = new ReentrantLock();
    /** One pause at a time. */
    private final ReentrantLock pauses = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile boolean pauseRequested;
    private int members;
    private int parked;

    /** A queue thread that will call {@link #checkpoint} between its batches. */
    public void join() {
        lock.lock();
        try {
            members++;
        } finally {
            lock.unlock();
        }
    }

    /** The calling queue thread is done (it never calls {@link #checkpoint} again). */
    public void leave() {
        lock.lock();
        try {
            members--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True while a pause waits for the queues (a queue may finish work of its own before parking). */
    public boolean pauseRequested() {
        return pauseRequested;
    }

    /** Called by a queue thread between batches; blocks while a paused action runs. */
    public void checkpoint() {
        if (!pauseRequested) return;
        lock.lock();
        try {
            parked++;
            changed.signalAll();
            while (pauseRequested) changed.awaitUninterruptibly();
            parked--;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code action} while every member queue is parked at its checkpoint. A queue
     * waiting idle for work reaches its checkpoint at its next idle wake-up, so this waits
     * about that long at most; after {@code timeoutMs} it gives up and throws.
     */
    public <T> T runPaused(java.util.function.Supplier<T> action, long timeoutMs) {
        pauses.lock();
        lock.lock();
        try {
            pauseRequested = true;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (parked < members) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("the queues did not pause within " + timeoutMs + " ms ("
                            + parked + " of " + members + " paused)");
                }
                changed.awaitNanos(left);
            }
            return action.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while pausing the queues");
        } finally {
            pauseRequested = false;
            changed.signalAll();
            lock.unlock();
            pauses.unlock();
        }
    }
}
