package io.jublk.queue;

import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.nat.OffHeap;
import io.jublk.nat.Ring;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The native batch call on the host: copies are done before submission, only inside the
 * memory the queue declared, one SQE per command is submitted, and completions come back
 * as events with their tags. (The fd is not a ublk device, so each command completes with
 * EBADF — that is what lets the round trip be checked without ublk.)
 */
class NativeBatchTest {
    private static void put(ByteBuffer c, int i, int tag, int result, long dst, long src, long len) {
        Dispatcher.putCommand(c, i, 0x21, tag, result, ShimLayout.COPY_MEM, dst, src, len, 0);
    }

    /** Runs one batch of {@code n} commands and collects every completion; returns the commands' results. */
    private static int[] runBatch(Ring ring, OffHeap cmds, int n, long bounds) {
        try (OffHeap events = new OffHeap((long) n * ShimLayout.EVENT_SIZE)) {
            int got = 0;
            boolean[] seen = new boolean[n];
            int ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), n, events.address(), n,
                    0, n, 1, 1000, bounds);
            while (true) {
                assertTrue(ev >= 0, "batch failed: " + Errno.describe(ev));
                for (int i = 0; i < ev; i++) {
                    int b = i * ShimLayout.EVENT_SIZE;
                    int tag = (int) (events.buffer().getLong(b + ShimLayout.EV_USER_DATA) & 0xffff);
                    assertEquals(Errno.EBADF.negative(), events.buffer().getInt(b + ShimLayout.EV_RES));
                    assertFalse(seen[tag]);
                    seen[tag] = true;
                }
                got += ev;
                if (got == n) break;
                ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), 0, events.address(), n,
                        0, n, 1, 1000, bounds);
                assertTrue(ev > 0, "completions missing");
            }
        }
        int[] results = new int[n];
        for (int i = 0; i < n; i++) results[i] = cmds.buffer().getInt(i * ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT);
        return results;
    }

    @Test
    void batchCopiesZeroFillsSubmitsAndHarvestsEveryCompletion() {
        int n = 4;
        try (Ring ring = Ring.create(8, 0, 16);
             OffHeap cmds = new OffHeap((long) n * ShimLayout.CMD_SIZE);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE);
             OffHeap src = new OffHeap(4096);
             OffHeap dst = new OffHeap(4 * 4096)) {
            ShimLayout.putBounds(bounds.buffer(), src.address(), 4096, dst.address(), 4 * 4096);
            for (int i = 0; i < 4096; i++) src.buffer().put(i, (byte) (i * 7));
            for (int i = 0; i < 4 * 4096; i++) dst.buffer().put(i, (byte) 0x5a);
            ByteBuffer c = cmds.buffer();
            put(c, 0, 0, 4096, dst.address(), src.address(), 4096);
            put(c, 1, 1, 0, dst.address() + 4096, 0, 100);
            put(c, 2, 2, 0, 0, 0, 0);
            put(c, 3, 3, 0, 0, 0, 0);
            int[] results = runBatch(ring, cmds, n, bounds.address());
            assertArrayEquals(new int[] {4096, 0, 0, 0}, results, "no command was refused");
            for (int i = 0; i < 4096; i++) assertEquals((byte) (i * 7), dst.buffer().get(i), "copied byte " + i);
            for (int i = 4096; i < 4096 + 100; i++) assertEquals(0, dst.buffer().get(i), "zero-filled byte " + i);
            assertEquals(0x5a, dst.buffer().get(4096 + 100), "bytes past the zero-fill are untouched");
        }
    }

    /** A host ring (8 entries), room for {@code n} commands and their events, a 4 KiB source and destination. */
    private static final class OneRing implements AutoCloseable {
        final Ring ring = Ring.create(8, 0, 16);
        final OffHeap cmds, events;
        final OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE), src = new OffHeap(4096), dst = new OffHeap(4096);

        OneRing(int n) {
            cmds = new OffHeap((long) n * ShimLayout.CMD_SIZE);
            events = new OffHeap((long) n * ShimLayout.EVENT_SIZE);
            ShimLayout.putBounds(bounds.buffer(), src.address(), 4096, dst.address(), 4096);
        }

        /** One batch call of the first {@code ncmds} commands, harvesting up to as many events as there is room for. */
        int batch(int ncmds, int waitNr, int timeoutMs) {
            int room = (int) (events.size() / ShimLayout.EVENT_SIZE);
            return Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), ncmds, events.address(), room,
                    0, room, waitNr, timeoutMs, bounds.address());
        }

        @Override
        public void close() {
            cmds.close();
            events.close();
            bounds.close();
            src.close();
            dst.close();
            ring.close();
        }
    }

    /**
     * A transient io_uring_enter error leaves the batch's commands queued: a call with no
     * commands submits each exactly once, and the copies are not done again.
     */
    @Test
    void aTransientEnterErrorLeavesTheBatchPendingForOneRetry() {
        int n = 3;
        try (OneRing r = new OneRing(n)) {
            r.src.buffer().put(0, (byte) 1);
            ByteBuffer c = r.cmds.buffer();
            put(c, 0, 0, 1, r.dst.address(), r.src.address(), 1);
            put(c, 1, 1, 0, 0, 0, 0);
            put(c, 2, 2, 0, 0, 0, 0);
            Native.jublk_test_fail_enter(Errno.EAGAIN.code, 1);
            assertEquals(Errno.EAGAIN.negative(), r.batch(n, 1, 1000), "the injected error is returned");
            assertEquals(1, r.dst.buffer().get(0), "the copy was done before the error");
            r.src.buffer().put(0, (byte) 2);   // a second copy would show
            boolean[] seen = new boolean[n];
            int got = 0;
            for (int round = 0; round < 5 && got < n; round++) {
                int ev = r.batch(0, 1, 1000);
                assertTrue(ev >= 0, Errno.describe(ev));
                for (int i = 0; i < ev; i++) {
                    int tag = (int) (r.events.buffer().getLong(i * ShimLayout.EVENT_SIZE + ShimLayout.EV_USER_DATA) & 0xffff);
                    assertFalse(seen[tag], "tag " + tag + " completed twice");
                    seen[tag] = true;
                    got++;
                }
            }
            assertEquals(n, got, "every queued command was submitted by the retry");
            assertEquals(0, r.batch(0, 1, 100), "nothing submitted twice");
            assertEquals(1, r.dst.buffer().get(0), "the copy was not done again");
        } finally {
            Native.jublk_test_fail_enter(0, 0);
        }
    }

    @Test
    void aBatchTooLargeForTheRingIsRefusedWholeWithNothingCopied() {
        int n = 9;
        try (OneRing r = new OneRing(n)) {
            r.src.buffer().put(0, (byte) 7);
            for (int i = 0; i < n; i++) put(r.cmds.buffer(), i, i, 1, r.dst.address(), r.src.address(), 1);
            assertEquals(Errno.EOVERFLOW.negative(), r.batch(n, 0, 0));
            assertEquals(0, r.dst.buffer().get(0), "nothing was copied");
        }
    }

    @Test
    void copiesOutsideTheDeclaredMemoryFailWithEioAndTouchNothing() {
        int n = 5;
        try (Ring ring = Ring.create(8, 0, 16);
             OffHeap cmds = new OffHeap((long) n * ShimLayout.CMD_SIZE);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE);
             OffHeap store = new OffHeap(8192);
             OffHeap bufs = new OffHeap(8192);
             OffHeap victim = new OffHeap(8192)) {
            ShimLayout.putBounds(bounds.buffer(), store.address(), 8192, bufs.address(), 8192);
            for (int i = 0; i < 8192; i++) victim.buffer().put(i, (byte) 0x77);
            ByteBuffer c = cmds.buffer();
            put(c, 0, 0, 4096, victim.address(), bufs.address(), 4096);        // destination outside
            put(c, 1, 1, 4096, store.address() + 4096, bufs.address(), 8192); // runs past the store's end
            put(c, 2, 2, 0, victim.address(), 0, 100);                          // zero-fill outside
            put(c, 3, 3, 4096, bufs.address(), victim.address(), 4096);         // source outside
            put(c, 4, 4, 4096, store.address(), bufs.address() + 4096, 4096);  // fine
            int[] results = runBatch(ring, cmds, n, bounds.address());
            int eio = Errno.EIO.negative();
            assertArrayEquals(new int[] {eio, eio, eio, eio, 4096}, results);
            for (int i = 0; i < 8192; i++) assertEquals(0x77, victim.buffer().get(i), "victim byte " + i + " changed");
            assertEquals(1, Native.jublk_cmd_in_bounds(cmds.address() + 4L * ShimLayout.CMD_SIZE, bounds.address()));
            assertEquals(0, Native.jublk_cmd_in_bounds(cmds.address(), 0), "no bounds: no copy allowed");
        }
    }

    /**
     * A copy outside the declared memory fails that request with EIO and keeps its buffer
     * address (it was zeroed, and a BATCH_IO element without an address became tag 0's buffer);
     * a buffer address outside the tag buffers is a bug on our side: the whole call is refused
     * before anything is copied or submitted.
     */
    @Test
    void aCopyOutOfBoundsFailsWithEioAndKeepsItsBufferWhileABadBufferRefusesTheCall() {
        try (Ring ring = Ring.create(8, 0, 16);
             OffHeap cmds = new OffHeap(2L * ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap(4L * ShimLayout.EVENT_SIZE);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE);
             OffHeap store = new OffHeap(8192);
             OffHeap bufs = new OffHeap(8192);
             OffHeap victim = new OffHeap(4096)) {
            ShimLayout.putBounds(bounds.buffer(), store.address(), 8192, bufs.address(), 8192);
            ByteBuffer c = cmds.buffer();
            long tagBuffer = bufs.address() + 4096;
            Dispatcher.putCommand(c, 0, 0x21, 0, 4096, ShimLayout.COPY_MEM, victim.address(), tagBuffer, 4096, tagBuffer);
            int[] results = runBatch(ring, cmds, 1, bounds.address());
            assertEquals(Errno.EIO.negative(), results[0]);
            assertEquals(tagBuffer, c.getLong(ShimLayout.CMD_ADDR), "the request keeps its own buffer");

            store.buffer().put(0, (byte) 0);
            bufs.buffer().put(0, (byte) 9);
            Dispatcher.putCommand(c, 0, 0x21, 0, 1, ShimLayout.COPY_MEM, store.address(), bufs.address(), 1, bufs.address());
            Dispatcher.putCommand(c, 1, 0x21, 1, 4096, ShimLayout.COPY_MEM, 0, 0, 0, victim.address());
            assertEquals(Errno.EFAULT.negative(), Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), 2,
                    events.address(), 4, 0, 2, 0, 0, bounds.address()));
            assertEquals(0, store.buffer().get(0), "nothing was copied");
            assertEquals(0, Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), 0,
                    events.address(), 4, 0, 2, 1, 200, bounds.address()), "nothing was submitted");
        }
    }

    @Test
    void idleWaitTimesOutWithNoEvents() {
        try (Ring ring = Ring.create(8, 0, 16); OffHeap events = new OffHeap(ShimLayout.EVENT_SIZE * 8)) {
            long t0 = System.nanoTime();
            int ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, 0, 0, events.address(), 8, 0, 8, 1, 200, 0);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, ev);
            assertTrue(ms >= 150 && ms < 5000, "waited " + ms + " ms");
        }
    }

    /** CPU time this thread spends in one idle wait of {@code timeoutMs} on a ring polling {@code spinMicros}. */
    private static long cpuMillisOfIdleWait(Ring ring, OffHeap events, int timeoutMs) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long c0 = mx.getCurrentThreadCpuTime();
        int ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, 0, 0, events.address(), 8, 0, 8, 1, timeoutMs, 0);
        assertEquals(0, ev);
        return (mx.getCurrentThreadCpuTime() - c0) / 1_000_000;
    }

    @Test
    void pollingSpinsForItsWindowOnlyWhileWorkIsArriving() {
        try (Ring ring = Ring.create(8, 0, 16); OffHeap events = new OffHeap(ShimLayout.EVENT_SIZE * 8)) {
            // No polling: an idle wait sleeps in the kernel and costs (almost) no CPU.
            long sleeping = cpuMillisOfIdleWait(ring, events, 300);
            assertTrue(sleeping < 60, "a wait without polling used " + sleeping + " ms of CPU");
            // Polling 150 ms: a fresh ring counts as busy, so the next wait spins its window first.
            Ring busy = Ring.create(8, 0, 16);
            try {
                busy.setSpinMicros(150_000);
                long spinning = cpuMillisOfIdleWait(busy, events, 300);
                // >= 40, not ~150: on a loaded machine (two test VMs on 2 cores) the spinning thread
                // got 73 ms of CPU in its 150 ms window; a sleeping wait gets ~0.
                assertTrue(spinning >= 40 && spinning > 3 * sleeping,
                        "a polling wait used only " + spinning + " ms of CPU: it did not poll");
                // That wait ended idle (timeout): the queue is no longer busy, so no more spinning.
                long after = cpuMillisOfIdleWait(busy, events, 300);
                assertTrue(after < 60, "polling went on after an idle period: " + after + " ms of CPU");
            } finally {
                busy.close();
            }
        }
    }
}
