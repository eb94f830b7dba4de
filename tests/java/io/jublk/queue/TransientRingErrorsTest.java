package io.jublk.queue;

import io.jublk.nat.Errno;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The queue's policy for io_uring_enter errors that pass: retry with back-off, bounded. */
class TransientRingErrorsTest {
    private long now;
    private final List<Long> sleeps = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    private int retry(int first, int... then) {
        int[] i = {0};
        return TransientRingErrors.retry(first, () -> then[Math.min(i[0]++, then.length - 1)],
                n -> { sleeps.add(n); now += n; }, () -> now, log::add);
    }

    @Test
    void eagainThenSuccessReturnsTheEvents() {
        int eagain = Errno.EAGAIN.negative();
        assertEquals(5, retry(eagain, eagain, eagain, 5));
        assertEquals(List.of(1_000_000L, 2_000_000L, 4_000_000L), sleeps, "back-off doubles");
        assertTrue(log.get(log.size() - 1).contains("after 3 retries"), log.toString());
    }

    @Test
    void anotherErrorEndsTheRetriesAndIsReturned() {
        assertEquals(Errno.EINVAL.negative(), retry(Errno.ENOMEM.negative(), Errno.EINVAL.negative()));
        assertFalse(TransientRingErrors.isTransient(Errno.EINVAL.negative()));
        assertFalse(TransientRingErrors.isTransient(Errno.EBUSY.negative()), "EBUSY is the shim's own: not retried");
        assertFalse(TransientRingErrors.isTransient(Errno.EOVERFLOW.negative()));
    }

    @Test
    void anErrorThatDoesNotPassGivesUpAfterTheBudget() {
        int enomem = Errno.ENOMEM.negative();
        assertEquals(enomem, retry(enomem, enomem));
        assertTrue(now >= TransientRingErrors.GIVE_UP_NANOS && now < TransientRingErrors.GIVE_UP_NANOS + 200_000_000L,
                "gave up after " + now + " ns");
        assertTrue(sleeps.stream().allMatch(n -> n <= 100_000_000L), "waits at most 100 ms");
        assertTrue(log.get(log.size() - 1).contains("giving up"));
    }
}
