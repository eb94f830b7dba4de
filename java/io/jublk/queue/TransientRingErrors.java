package io.jublk.queue;

import io.jublk.nat.Errno;

import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * What a queue does when io_uring_enter fails for a passing reason: {@code EAGAIN} or
 * {@code ENOMEM} (the kernel could not allocate a request — normal under memory pressure,
 * and this is a RAM disk). Before, such an error ended the queue and the server: a dead
 * disk for a moment's shortage. Now the queue waits (1 ms, doubling to 100 ms) and calls
 * again with no new commands: the shim guarantees that an error leaves every command of the
 * failed call copied and queued, pending submission (native/jublk.h), so the retry submits
 * them exactly once. Only after {@link #GIVE_UP_NANOS} of failing without a break is the
 * error the queue's end.
 *
 * <p>The retries happen inside the batch call, before the queue's pause point: the commits
 * are queued but not acknowledged, so no flush or resize may act in between (it would
 * release data acknowledged after it returned).
 */
final class TransientRingErrors {
    static final long GIVE_UP_NANOS = 60_000_000_000L;
    private static final long FIRST_WAIT_NANOS = 1_000_000L;
    private static final long LONGEST_WAIT_NANOS = 100_000_000L;

    /** Sleeps the given nanoseconds (a test passes a fake clock's). */
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private TransientRingErrors() {}

    static boolean isTransient(int ret) {
        return ret == Errno.EAGAIN.negative() || ret == Errno.ENOMEM.negative();
    }

    /**
     * Called with the failed call's {@code ret}: retries {@code again} (the batch call with
     * no new commands) while it fails transiently, at most {@link #GIVE_UP_NANOS}. Returns
     * the first result that is not a transient error (events, or another error for the caller
     * to report), or the last transient error once the time is up.
     */
    static int retry(int ret, IntSupplier again, Sleeper sleeper, LongSupplier nanoClock, Consumer<String> log) {
        long start = nanoClock.getAsLong();
        long wait = FIRST_WAIT_NANOS;
        int attempts = 0;
        log.accept("io_uring_enter failed transiently (" + Errno.describe(ret) + "): retrying");
        while (isTransient(ret)) {
            if (nanoClock.getAsLong() - start >= GIVE_UP_NANOS) {
                log.accept("io_uring_enter still failing after " + attempts + " retries in "
                        + GIVE_UP_NANOS / 1_000_000_000L + " s: giving up");
                return ret;
            }
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ret;
            }
            wait = Math.min(wait * 2, LONGEST_WAIT_NANOS);
            attempts++;
            ret = again.getAsInt();
        }
        log.accept("io_uring_enter succeeded again after " + attempts + " retries");
        return ret;
    }

    /** The real sleeper. */
    static void sleepNanos(long nanos) throws InterruptedException {
        Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
    }
}
