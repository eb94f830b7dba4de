package io.jublk.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A tracker with a summary enumerates its set pages in ascending order, exactly — none
 * missed across chunk and summary-word boundaries, none invented after releases — and
 * cheaply on a huge, mostly empty bitmap.
 */
class PageTrackerSummaryTest {
    static List<Long> enumerate(PageTracker t) {
        List<Long> out = new ArrayList<>();
        for (long p = t.nextSet(0); p >= 0; p = t.nextSet(p + 1)) out.add(p);
        return out;
    }

    @Test
    void enumeratesExactlyTheSetPagesInOrder() {
        long pages = 3 * 4096 * 64 + 77; // more than one summary word of chunks, a ragged end
        try (PageTracker t = new PageTracker(pages * 4096, 0, true)) {
            TreeSet<Long> expected = new TreeSet<>();
            long[] edges = {0, 63, 64, 4095, 4096, 4097, 4096L * 64 - 1, 4096L * 64, pages - 1};
            for (long p : edges) {
                t.markUsed(p, p);
                expected.add(p);
            }
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < 2000; i++) {
                long p = r.nextLong(pages);
                t.markUsed(p, p);
                expected.add(p);
            }
            assertEquals(new ArrayList<>(expected), enumerate(t));
            // Released pages are not enumerated (the summary may still mark their chunk).
            for (long p : edges) {
                t.release(p, 1);
                expected.remove(p);
            }
            assertEquals(new ArrayList<>(expected), enumerate(t));
            t.releaseAll();
            assertEquals(List.of(), enumerate(t));
            assertEquals(-1, t.nextSet(pages));
        }
    }

    @Test
    void aFewPagesOfA32TiBBitmapAreFoundQuickly() {
        long pages = PageTracker.MAX_PAGES;
        try (PageTracker t = new PageTracker(pages * 4096, 0, true)) {
            t.markUsed(5, 5);
            t.markUsed(pages / 2, pages / 2 + 2);
            t.markUsed(pages - 1, pages - 1);
            long t0 = System.nanoTime();
            List<Long> got = enumerate(t);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(List.of(5L, pages / 2, pages / 2 + 1, pages / 2 + 2, pages - 1), got);
            // Without the summary this reads the whole 1 GiB bitmap (seconds, and 1 GiB of page tables).
            assertTrue(ms < 2000, "enumeration took " + ms + " ms");
        }
    }
}
