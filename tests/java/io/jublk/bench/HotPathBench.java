package io.jublk.bench;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Native;
import io.jublk.nat.OffHeap;
import io.jublk.queue.Dispatcher;
import io.jublk.queue.QueueStats;
import io.jublk.queue.ShimLayoutAccess;
import io.jublk.store.PageStore;
import io.jublk.target.RamTarget;
import org.openjdk.jmh.annotations.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The per-request Java path and the copy it asks for, on the host (no ublk needed).
 * Run with tests/bench/jmh.sh; '-prof gc' shows the allocation per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBench {
    static final int BATCH = 32;

    @Param({"4096", "65536", "1048576"})
    int bytes;

    PageStore store;
    OffHeap buffers;
    OffHeap events;
    OffHeap cmds;
    Dispatcher dispatcher;

    @Setup
    public void setup() {
        store = new PageStore(1L << 30);
        buffers = new OffHeap((long) BATCH * (1 << 20));
        events = new OffHeap((long) BATCH * ShimLayoutAccess.eventSize());
        cmds = new OffHeap((long) BATCH * ShimLayoutAccess.cmdSize());
        dispatcher = new Dispatcher(new RamTarget(store), BATCH, buffers.address(), 1 << 20, new QueueStats());
        ByteBuffer ev = events.buffer();
        for (int i = 0; i < BATCH; i++) {
            int b = i * ShimLayoutAccess.eventSize();
            ev.putLong(b, i);
            ev.putInt(b + 8, 0);
            ev.putInt(b + 16 + Uapi.IOD_OP_FLAGS, i % 2 == 0 ? Uapi.OP_READ : Uapi.OP_WRITE);
            ev.putInt(b + 16 + Uapi.IOD_NR_SECTORS, bytes >> 9);
            ev.putLong(b + 16 + Uapi.IOD_START_SECTOR, ((long) i * (1 << 20)) >> 9);
        }
        // populate the store and buffers so the copies measure memory bandwidth, not page faults
        Native.jublk_memset(store.address(0), 1, (long) BATCH << 20);
        store.reserveForWrite(0, (long) BATCH << 20);
        Native.jublk_memset(buffers.address(), 2, (long) BATCH << 20);
    }

    @TearDown
    public void tearDown() {
        store.close();
        buffers.close();
        events.close();
        cmds.close();
    }

    /** Decode + target + commit encoding for a batch of 32 requests (no data moved). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int dispatchBatch() {
        return dispatcher.dispatch(events.buffer(), BATCH, cmds.buffer());
    }

    /** The copy a READ asks for (store to tag buffer), done by the shim's memcpy. */
    @Benchmark
    public void storeCopy() {
        Native.jublk_memcpy(buffers.address(), store.address(1 << 20), bytes);
    }

    /** Bound: the same bytes moved by a plain memcpy between two buffers. */
    @Benchmark
    public void plainMemcpyBound() {
        Native.jublk_memcpy(buffers.address(), buffers.address() + (4 << 20), bytes);
    }
}
