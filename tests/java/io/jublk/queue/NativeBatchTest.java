package io.jublk.queue;

import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.nat.OffHeap;
import io.jublk.nat.Ring;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The native batch call on the host: copies are done before submission, one SQE per
 * command is submitted, and completions come back as events with their tags. (The fd
 * is not a ublk device, so each command completes with EBADF — that is what lets the
 * round trip be checked without ublk.)
 */
class NativeBatchTest {
    @Test
    void batchCopiesZeroFillsSubmitsAndHarvestsEveryCompletion() {
        int n = 4;
        try (Ring ring = Ring.create(8, 0, 16);
             OffHeap cmds = new OffHeap((long) n * ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap((long) n * ShimLayout.EVENT_SIZE);
             OffHeap src = new OffHeap(4096);
             OffHeap dst = new OffHeap(4 * 4096)) {
            for (int i = 0; i < 4096; i++) src.buffer().put(i, (byte) (i * 7));
            for (int i = 0; i < 4 * 4096; i++) dst.buffer().put(i, (byte) 0x5a);
            ByteBuffer c = cmds.buffer();
            Dispatcher.putCommand(c, 0, 0x21, 0, 4096, dst.address(), src.address(), 4096, 0);
            Dispatcher.putCommand(c, 1, 0x21, 1, 0, dst.address() + 4096, 0, 100, 0);
            Dispatcher.putCommand(c, 2, 0x21, 2, 0, 0, 0, 0, 0);
            Dispatcher.putCommand(c, 3, 0x21, 3, 0, 0, 0, 0, 0);

            int got = 0;
            boolean[] seen = new boolean[n];
            int ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), n, events.address(), n,
                    0, n, 1, 1000);
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
                        0, n, 1, 1000);
                assertTrue(ev > 0, "completions missing");
            }
            for (int i = 0; i < 4096; i++) assertEquals((byte) (i * 7), dst.buffer().get(i), "copied byte " + i);
            for (int i = 4096; i < 4096 + 100; i++) assertEquals(0, dst.buffer().get(i), "zero-filled byte " + i);
            assertEquals(0x5a, dst.buffer().get(4096 + 100), "bytes past the zero-fill are untouched");
        }
    }

    @Test
    void idleWaitTimesOutWithNoEvents() {
        try (Ring ring = Ring.create(8, 0, 16); OffHeap events = new OffHeap(ShimLayout.EVENT_SIZE * 8)) {
            long t0 = System.nanoTime();
            int ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, 0, 0, events.address(), 8, 0, 8, 1, 200);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, ev);
            assertTrue(ms >= 150 && ms < 5000, "waited " + ms + " ms");
        }
    }

    @Test
    void pollingIsBoundedAndStillDeliversEveryCompletion() {
        int n = 4;
        try (Ring ring = Ring.create(8, 0, 16);
             OffHeap cmds = new OffHeap((long) n * ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap((long) n * ShimLayout.EVENT_SIZE)) {
            ring.setSpinMicros(2000);
            for (int i = 0; i < n; i++) Dispatcher.putCommand(cmds.buffer(), i, 0x21, i, 0, 0, 0, 0, 0);
            int got = 0;
            int ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), n, events.address(), n,
                    0, n, 1, 1000);
            while (ev > 0 && (got += ev) < n) {
                ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), 0, events.address(), n,
                        0, n, 1, 1000);
            }
            assertEquals(n, got, "every completion arrives with polling on");

            // Nothing in flight: the poll gives up after its window and the wait ends at the
            // timeout with no events — neither early nor never.
            long t0 = System.nanoTime();
            ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), 0, events.address(), n,
                    0, n, 1, 100);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, ev);
            assertTrue(ms >= 90 && ms < 2000, "an idle wait with polling took " + ms + " ms, want ~100");
        }
    }
}
