package io.jublk.daemon;

import io.jublk.Json;
import io.jublk.ctrl.Uapi;
import io.jublk.queue.QueueStats;
import io.jublk.queue.QueueWorker;
import io.jublk.store.PageStore;
import io.jublk.store.WriteCache;

import java.util.List;

/** A device's counters, summed over its queues on demand, as one JSON object. */
final class DeviceStats {
    private static final String[] OP_NAMES = {"read", "write", "flush", "discard", "write_same", "write_zeroes"};

    private DeviceStats() {}

    /**
     * @param mapped also count the store's mapped pages with mincore ("mapped_pages"), an
     *               independent check of the page tracker. It walks the page tables of the whole
     *               capacity (9.7 s for a 16 TiB disk), so only on request.
     */
    static String json(int devId, List<QueueWorker> workers, PageStore store, WriteCache cache, long startedMillis,
                       boolean mapped) {
        long[] count = new long[QueueStats.OPS];
        long[] bytes = new long[QueueStats.OPS];
        long errors = 0;
        long unsupported = 0;
        long wakeups = 0;
        long events = 0;
        for (QueueWorker w : workers) {
            QueueStats s = w.stats();
            for (int op = 0; op < QueueStats.OPS; op++) {
                count[op] += s.count(op);
                bytes[op] += s.bytes(op);
            }
            errors += s.errors();
            unsupported += s.unsupported();
            wakeups += s.wakeups();
            events += s.events();
        }
        Json.Writer j = new Json.Writer().beginObject()
                .field("id", devId)
                .field("pid", ProcessHandle.current().pid())
                .field("uptime_seconds", (System.currentTimeMillis() - startedMillis) / 1000)
                .field("queues", workers.size())
                .field("size_bytes", store.size())
                .field("memory_bytes", store.usedBytes())
                .field("memory_pages", store.usedBytes() / PageStore.PAGE_SIZE)
                .field("memory_rss_bytes", store.residentBytes())
                .field("max_memory_bytes", store.maxMemory())
                .field("errors", errors)
                .field("unsupported", unsupported)
                .field("wakeups", wakeups)
                .field("ring_events", events);
        if (mapped) j.field("mapped_pages", store.residentPagesByMincore());
        if (cache != null) {
            j.name("cache").beginObject()
                    .field("mode", cache.writeBack() ? "writeback" : "none")
                    .field("non_durable_bytes", cache.nonDurableBytes())
                    .field("flushes", cache.flushes())
                    .field("fua_writes", cache.fuas())
                    .field("destages", cache.destages())
                    .field("written_through_pages", cache.writtenThroughPages())
                    .field("power_cuts", cache.cuts())
                    .field("blocks_lost", cache.lostBlocks())
                    .field("powered_off", cache.poweredOff())
                    .endObject();
        }
        j.name("ops").beginObject();
        for (int op = 0; op < QueueStats.OPS; op++) {
            if (op == Uapi.OP_WRITE_SAME) continue;
            j.name(OP_NAMES[op]).beginObject().field("count", count[op]).field("bytes", bytes[op]).endObject();
        }
        return j.endObject().endObject().toString();
    }
}
