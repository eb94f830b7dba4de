package io.jublk.cli;

import io.jublk.Json;
import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "stats", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
            "Show a device's live statistics.",
            "Per-operation counts and bytes (read, write, flush, discard, write-zeroes), errors,",
            "requests in flight, memory in use and its limit, uptime, and how many requests",
            "each wake-up of the server brought (batching)."})
final class StatsCommand implements Callable<Integer> {
    @Option(names = {"-n", "--number"}, paramLabel = "ID", required = true, description = "Device id.")
    int id;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--mapped", description = {"Also count the pages mapped in the store with mincore (\"mapped_pages\"),",
            "a check of the memory figure that walks the whole capacity: seconds on a multi-TiB disk."})
    boolean mapped;

    @Option(names = "--watch", paramLabel = "SECONDS", description = "Repeat every SECONDS until interrupted.")
    Integer watch;

    @Override
    public Integer call() throws InterruptedException {
        if (watch != null && watch < 1) throw new JublkException(Reason.USAGE, "--watch must be at least 1 second");
        while (true) {
            String reply = ControlClient.request(id, mapped ? "stats mapped" : "stats");
            long[] inflight = inflight(id);
            if (json) {
                String withInflight = reply.substring(0, reply.length() - 1)
                        + ",\"in_flight\":{\"read\":" + inflight[0] + ",\"write\":" + inflight[1] + "}}";
                System.out.println(withInflight);
            } else {
                System.out.print(table(reply, inflight));
            }
            System.out.flush();
            if (watch == null) return 0;
            Thread.sleep(watch * 1000L);
        }
    }

    /** Requests the block layer has in flight for the disk (reads, writes), from sysfs. */
    static long[] inflight(int id) {
        try {
            String[] parts = Files.readString(Path.of("/sys/block/ublkb" + id + "/inflight")).trim().split("\\s+");
            return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
        } catch (Exception e) {
            return new long[] {-1, -1};
        }
    }

    @SuppressWarnings("unchecked")
    static String table(String json, long[] inflight) {
        Map<String, Object> s = (Map<String, Object>) Json.parse(json);
        Map<String, Object> ops = (Map<String, Object>) s.get("ops");
        StringBuilder sb = new StringBuilder();
        long limit = (Long) s.get("max_memory_bytes");
        sb.append(String.format("device %s  pid %s  uptime %ss  queues %s  size %s%n", s.get("id"), s.get("pid"),
                s.get("uptime_seconds"), s.get("queues"), Sizes.human((Long) s.get("size_bytes"))));
        sb.append(String.format("memory %s (%s pages)  limit %s  in flight: %d read, %d write  errors %s%n",
                Sizes.human((Long) s.get("memory_bytes")), s.get("memory_pages"),
                limit > 0 ? Sizes.human(limit) : "none", inflight[0], inflight[1], s.get("errors")));
        long wakeups = (Long) s.getOrDefault("wakeups", 0L);
        if (wakeups > 0) {
            // How well requests batch: 1.0 means every request cost the server a wake-up.
            sb.append(String.format(Locale.ROOT, "wake-ups %d  requests per wake-up %.1f%n", wakeups,
                    (Long) s.get("ring_events") / (double) wakeups));
        }
        Map<String, Object> cache = (Map<String, Object>) s.get("cache");
        if (cache != null) {
            // Destages only happen at --max-memory: shown once they did, so the usual line stays short.
            long destages = (Long) cache.getOrDefault("destages", 0L);
            String full = destages == 0 ? "" : String.format("  full at the memory limit: %d destages, %d pages written through",
                    destages, (Long) cache.getOrDefault("written_through_pages", 0L));
            sb.append(String.format("cache %s  non-durable %s  flushes %s  FUA writes %s  power cuts %s (%s blocks lost)%s%s%n",
                    cache.get("mode"), Sizes.human((Long) cache.get("non_durable_bytes")), cache.get("flushes"),
                    cache.get("fua_writes"), cache.get("power_cuts"), cache.get("blocks_lost"), full,
                    Boolean.TRUE.equals(cache.get("powered_off")) ? "  POWERED OFF" : ""));
        }
        sb.append(String.format("  %-13s %12s %12s%n", "OP", "REQUESTS", "BYTES"));
        for (Map.Entry<String, Object> e : ops.entrySet()) {
            Map<String, Object> op = (Map<String, Object>) e.getValue();
            sb.append(String.format("  %-13s %12d %12s%n", e.getKey(), (Long) op.get("count"),
                    Sizes.human((Long) op.get("bytes"))));
        }
        return sb.toString();
    }
}
