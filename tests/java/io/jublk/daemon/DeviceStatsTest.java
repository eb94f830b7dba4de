package io.jublk.daemon;

import io.jublk.Json;
import io.jublk.store.PageStore;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DeviceStatsTest {
    private static final long TiB = 1L << 40;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stats(PageStore store, boolean mapped) {
        return (Map<String, Object>) Json.parse(DeviceStats.json(3, List.of(), store, null, System.currentTimeMillis(), mapped));
    }

    @Test
    void mappedPagesOnlyWhenAskedAndThenEqualToTheTracker() {
        try (PageStore s = new PageStore(64L << 20)) {
            s.write(4096 * 5, new byte[3 * 4096]);
            Map<String, Object> plain = stats(s, false);
            assertFalse(plain.containsKey("mapped_pages"));
            assertEquals(3L, plain.get("memory_pages"));
            assertEquals(3L, stats(s, true).get("mapped_pages"));
        }
    }

    @Test
    void plainStatsOfAHugeDiskDoNotWalkItsCapacity() {
        // 16 TiB, capacity 32 TiB: the mincore walk alone took 9.7 s per call here.
        try (PageStore s = new PageStore(16 * TiB, 32 * TiB, 0)) {
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) stats(s, false);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 2000, "5 stats calls took " + ms + " ms");
        }
    }
}
