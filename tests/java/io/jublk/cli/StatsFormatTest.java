package io.jublk.cli;

import io.jublk.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class StatsFormatTest {
    static final String STATS = "{\"id\":0,\"pid\":12,\"uptime_seconds\":5,\"queues\":2,\"size_bytes\":1073741824,"
            + "\"memory_bytes\":8192,\"memory_pages\":2,\"memory_rss_bytes\":8192,\"max_memory_bytes\":0,\"errors\":1,"
            + "\"unsupported\":0,\"wakeups\":4,\"ring_events\":10,\"ops\":{\"read\":{\"count\":3,\"bytes\":12288},\"write\":{\"count\":2,\"bytes\":8192},"
            + "\"flush\":{\"count\":0,\"bytes\":0},\"discard\":{\"count\":0,\"bytes\":0},\"write_zeroes\":{\"count\":0,\"bytes\":0}}}";

    @Test
    void jsonRoundTrips() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(STATS);
        assertEquals(2L, m.get("queues"));
        assertEquals(List.of(1L, "a\"b", true), Json.parse("[1, \"a\\\"b\", true]"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":}"));
    }

    @Test
    void tableShowsCountsMemoryAndLimit() {
        String t = StatsCommand.table(STATS, new long[] {0, 1});
        assertTrue(t.contains("memory 8 KiB (2 pages)  limit none  in flight: 0 read, 1 write  errors 1"), t);
        assertTrue(t.matches("(?s).*read\\s+3\\s+12 KiB.*"), t);
        assertTrue(t.contains("wake-ups 4  requests per wake-up 2.5"), t);
        assertFalse(t.contains("cache"), "no cache line from a server without one");
    }

    @Test
    void tableShowsTheWriteCacheAndAPoweredOffDisk() {
        String withCache = STATS.substring(0, STATS.length() - 1) + ",\"cache\":{\"mode\":\"writeback\","
                + "\"non_durable_bytes\":8192,\"flushes\":3,\"fua_writes\":1,\"power_cuts\":2,\"blocks_lost\":9,"
                + "\"powered_off\":true}}";
        String t = StatsCommand.table(withCache, new long[] {0, 0});
        assertTrue(t.contains("cache writeback  non-durable 8 KiB  flushes 3  FUA writes 1  power cuts 2 (9 blocks lost)"
                + "  POWERED OFF"), t);
        assertFalse(t.contains("memory limit"), "no destage shown for a cache that never filled");
    }

    @Test
    void tableShowsACacheThatFilledAtTheMemoryLimit() {
        String withCache = STATS.substring(0, STATS.length() - 1) + ",\"cache\":{\"mode\":\"writeback\","
                + "\"non_durable_bytes\":0,\"flushes\":0,\"fua_writes\":0,\"destages\":7,\"written_through_pages\":12,"
                + "\"power_cuts\":0,\"blocks_lost\":0,\"powered_off\":false}}";
        String t = StatsCommand.table(withCache, new long[] {0, 0});
        assertTrue(t.contains("(0 blocks lost)  full at the memory limit: 7 destages, 12 pages written through\n"), t);
    }
}
