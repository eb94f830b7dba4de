package io.jublk.store;

import io.jublk.nat.Errno;
import io.jublk.target.Completion;
import io.jublk.target.RamTarget;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** --max-memory: writes needing memory beyond the limit fail with ENOSPC; discard and flush make room. */
class MemoryLimitTest {
    private static final long MiB = 1 << 20;

    @Test
    void writesBeyondTheLimitFailWithEnospcAndCopyNothing() {
        try (PageStore s = new PageStore(64 * MiB, 4 * MiB)) {
            RamTarget t = new RamTarget(s);
            Completion c = new Completion();
            for (int i = 0; i < 4; i++) {
                t.write(i * MiB, (int) MiB, 0x1000, c);
                assertEquals(MiB, c.result, "write " + i + " fits under the limit");
            }
            t.write(4 * MiB, 4096, 0x1000, c);
            assertEquals(Errno.ENOSPC.negative(), c.result);
            assertEquals(0, c.copyLen, "a refused write copies nothing");
            t.write(0, (int) MiB, 0x1000, c);
            assertEquals(MiB, c.result, "rewriting pages already held needs no new memory");
            assertEquals(4 * MiB, s.usedBytes());
        }
    }

    @Test
    void discardAndReleaseAllMakeRoomAgain() {
        try (PageStore s = new PageStore(64 * MiB, 2 * MiB)) {
            s.write(0, new byte[(int) (2 * MiB)]);
            assertFalse(s.reserveForWrite(10 * MiB, 4096));
            s.zero(0, MiB);
            assertEquals(MiB, s.usedBytes());
            assertTrue(s.reserveForWrite(10 * MiB, 4096));
            s.releaseAll();
            assertEquals(0, s.usedBytes());
            assertTrue(s.reserveForWrite(20 * MiB, 2 * MiB));
        }
    }

    @Test
    void partialZeroOfAPageNeverWrittenAllocatesNothing() {
        try (PageStore s = new PageStore(8 * MiB)) {
            s.zero(100, 1000);
            s.zero(4096 + 512, 3 * 4096);
            assertEquals(0, s.usedBytes());
            assertEquals(0, s.residentBytes());
        }
    }

    @Test
    void racingQueuesCannotOvershootTheLimit() throws Exception {
        PageTracker t = new PageTracker(1L << 30, 1000 * 4096L);
        AtomicInteger granted = new AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int q = 0; q < threads.length; q++) {
            int base = q;
            threads[q] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    if (t.reserve(((long) i * 4 + base) * 4096, 4096)) granted.incrementAndGet();
                }
            });
            threads[q].start();
        }
        for (Thread th : threads) th.join();
        assertEquals(1000, granted.get());
        assertEquals(1000, t.usedPages());
    }

    @Test
    void trackerCountsEachPageOnce() {
        PageTracker t = new PageTracker(1L << 40, 0);
        assertTrue(t.reserve(0, 8192));
        assertTrue(t.reserve(4096, 8192));
        assertTrue(t.reserve((1L << 40) - 4096, 4096));
        assertEquals(4, t.usedPages());
        t.release(0, 2);
        assertEquals(2, t.usedPages());
        assertFalse(t.isUsed(0));
        assertTrue(t.isUsed(2));
    }
}
