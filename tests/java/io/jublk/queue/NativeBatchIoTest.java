package io.jublk.queue;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.nat.OffHeap;
import io.jublk.nat.Ring;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The shim's BATCH_IO path on the host (no ublk here: the fd is -1, so every command
 * completes with EBADF): copies are still done first, consecutive commits become ONE command
 * whose failure comes back as one event naming the opcode and the element count, the fetch's
 * end is reported, and the element buffers are free again for the next calls.
 */
class NativeBatchIoTest {
    private static final int DEPTH = 8;
    private static final int COMMIT = Uapi.ioOp(Uapi.IO_COMMIT_IO_CMDS);
    private static final int FETCH = Uapi.ioOp(Uapi.IO_FETCH_IO_CMDS);

    private static Ring batchRing() {
        Ring ring = Ring.create(DEPTH, 0, DEPTH * 2);
        assertEquals(0, Native.jublk_batch_setup(ring.handle(), (short) 0, DEPTH, 16),
                "registering the tag buffer ring failed");
        return ring;
    }

    @Test
    void setUpTwiceOrWithABadElementSizeIsRefused() {
        try (Ring ring = batchRing(); Ring other = Ring.create(DEPTH, 0, 0)) {
            assertEquals(Errno.EINVAL.negative(), Native.jublk_batch_setup(ring.handle(), (short) 0, DEPTH, 16));
            assertEquals(Errno.EINVAL.negative(), Native.jublk_batch_setup(other.handle(), (short) 0, DEPTH, 12));
        }
    }

    @Test
    void commitsGoOutAsOneCommandAfterTheirCopies() {
        try (Ring ring = batchRing();
             OffHeap cmds = new OffHeap((long) (DEPTH + 1) * ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap((long) (DEPTH + 16) * ShimLayout.EVENT_SIZE);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE);
             OffHeap store = new OffHeap(3 * 4096);
             OffHeap buffers = new OffHeap(DEPTH * 4096L)) {
            ShimLayout.putBounds(bounds.buffer(), store.address(), 3 * 4096, buffers.address(), DEPTH * 4096L);
            for (int i = 0; i < 3 * 4096; i++) store.buffer().put(i, (byte) (i / 4096 + 1));
            for (int round = 0; round < 5; round++) {
                ByteBuffer c = cmds.buffer();
                for (int t = 0; t < 3; t++) {
                    Dispatcher.putCommand(c, t, COMMIT, t, 4096, ShimLayout.COPY_MEM, buffers.address() + t * 4096L,
                            store.address() + t * 4096L, 4096, buffers.address() + t * 4096L);
                }
                int n = 3;
                if (round == 0) Dispatcher.putCommand(c, n++, FETCH, Dispatcher.NO_TAG, 0, ShimLayout.COPY_MEM, 0, 0, 0, 0);
                int ev = Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), n, events.address(),
                        DEPTH + 16, 0, DEPTH, 0, 0, bounds.address());
                assertEquals(round == 0 ? 2 : 1, ev, "round " + round + ": one event per failed command: "
                        + (ev < 0 ? Errno.describe(ev) : ""));
                ByteBuffer e = events.buffer();
                long ud = e.getLong(ShimLayout.EV_USER_DATA);
                assertEquals(Dispatcher.NO_TAG, (int) (ud & 0xffff));
                assertEquals(Uapi.IO_COMMIT_IO_CMDS, (int) (ud >>> 16) & 0xff);
                assertEquals(3, (int) (ud >>> 32) & 0xffff, "the three commits went out as one command");
                assertEquals(Errno.EBADF.negative(), e.getInt(ShimLayout.EV_RES));
                if (round == 0) {
                    long fetchUd = e.getLong(ShimLayout.EVENT_SIZE + ShimLayout.EV_USER_DATA);
                    assertEquals(Uapi.IO_FETCH_IO_CMDS, (int) (fetchUd >>> 16) & 0xff);
                    assertTrue(e.getInt(ShimLayout.EVENT_SIZE + ShimLayout.EV_RES) < 0, "the fetch's end is reported");
                }
                for (int t = 0; t < 3; t++) {
                    assertEquals(t + 1, buffers.buffer().get(t * 4096 + 4095), "copy of tag " + t + " done first");
                }
                buffers.buffer().put(4095, (byte) 0);
            }
        }
    }

    /** A PREP/COMMIT element with no buffer address is refused, not given tag 0's buffer. */
    @Test
    void anElementWithoutABufferIsRefusedNotGivenTagZeros() {
        try (Ring ring = batchRing();
             OffHeap cmds = new OffHeap(2L * ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap(4L * ShimLayout.EVENT_SIZE);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE);
             OffHeap buffers = new OffHeap(DEPTH * 4096L)) {
            ShimLayout.putBounds(bounds.buffer(), 0x10000, 4096, buffers.address(), DEPTH * 4096L);
            Dispatcher.putCommand(cmds.buffer(), 0, COMMIT, 0, 4096, ShimLayout.COPY_MEM, 0, 0, 0, buffers.address());
            Dispatcher.putCommand(cmds.buffer(), 1, COMMIT, 3, -5, ShimLayout.COPY_MEM, 0, 0, 0, 0);
            assertEquals(Errno.EFAULT.negative(), Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), 2,
                    events.address(), 4, 0, DEPTH, 0, 0, bounds.address()));
            assertEquals(0, Native.jublk_queue_batch(ring.handle(), -1, (short) 0, cmds.address(), 0,
                    events.address(), 4, 0, DEPTH, 1, 200, bounds.address()), "nothing was submitted");
        }
    }
}
