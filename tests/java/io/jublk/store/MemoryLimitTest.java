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
                t.write(i * MiB, (int) MiB, c, null);
                assertEquals(MiB, c.result, "write " + i + " fits under the limit");
            }
            t.write(4 * MiB, 4096, c, null);
            assertEquals(Errno.ENOSPC.negative(), c.result);
            assertEquals(0, c.address, "a refused write names no memory to copy to");
            t.write(0, (int) MiB, c, null);
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
        // Four queues race for the same 2000 pages (each in its own order, ranges of 1-3
        // pages that overlap) under a limit of 1000: exactly the limit is granted, every
        // granted page is marked, and no page is counted twice.
        long limitPages = 1000;
        try (PageTracker t = new PageTracker(1L << 30, limitPages * 4096L)) {
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
            java.util.Set<Long> granted = java.util.concurrent.ConcurrentHashMap.newKeySet();
            Thread[] threads = new Thread[4];
            for (int q = 0; q < threads.length; q++) {
                int seed = q;
                threads[q] = new Thread(() -> {
                    java.util.Random r = new java.util.Random(seed);
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                    for (int i = 0; i < 4000; i++) {
                        long page = r.nextInt(2000);
                        int n = 1 + r.nextInt(3);
                        if (t.reserve(page * 4096, n * 4096L)) {
                            for (long p = page; p < page + n; p++) granted.add(p);
                        }
                    }
                });
                threads[q].start();
            }
            for (Thread th : threads) th.join();
            assertEquals(limitPages, t.usedPages(), "the limit is reached exactly, not overshot");
            assertEquals(granted.size(), t.usedPages(), "each granted page counted once");
            long marked = 0;
            for (long p = 0; p < 2010; p++) if (t.isUsed(p)) marked++;
            assertEquals(t.usedPages(), marked, "the count equals the pages marked");
        }
    }

    @Test
    void trackerCountsEachPageOnce() {
        try (PageTracker t = new PageTracker(1L << 40, 0)) {
            assertTrue(t.reserve(0, 8192));
            assertTrue(t.reserve(4096, 8192));
            assertTrue(t.reserve((1L << 40) - 4096, 4096));
            assertEquals(4, t.usedPages());
            t.release(0, 2);
            assertEquals(2, t.usedPages());
            assertFalse(t.isUsed(0));
            assertTrue(t.isUsed(2));
            assertTrue(t.reserve(60 * 4096, 200 * 4096), "a range across bitmap words");
            assertEquals(200, t.countSet(60, 259));
            t.release(0, 1000);
            assertEquals(1, t.usedPages());
        }
    }

    @Test
    void randomWritesOverSixteenTebibytesStayOffTheJavaHeap() {
        // 64k random 4 KiB pages spread over a 16 TiB disk: the old on-heap chunks cost 4 KiB of
        // heap per 128 MiB touched (256 MiB here: an OutOfMemoryError in a 64 MiB heap).
        long size = 16L << 40;
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        try (PageTracker t = new PageTracker(size, 256L << 20)) {
            java.util.Random r = new java.util.Random(1);
            long refused = 0;
            for (int i = 0; i < 70_000; i++) {
                if (!t.reserve((r.nextLong() & (size - 1)) & ~4095L, 4096)) refused++;
            }
            assertEquals(65536, t.usedPages(), "the store fills up to the 256 MiB limit exactly");
            assertTrue(refused > 3000, "writes of new pages beyond the limit are refused: " + refused);
            assertFalse(t.reserve(size - 4096 * 7, 4096), "a fresh page is refused (ENOSPC) at the limit");
            long heapGrowth = rt.totalMemory() - rt.freeMemory() - heapBefore;
            assertTrue(heapGrowth < (16L << 20), "the tracker grew the heap by " + heapGrowth + " bytes");
        }
    }
}
