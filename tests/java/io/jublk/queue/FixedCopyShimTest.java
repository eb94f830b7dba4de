package io.jublk.queue;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.nat.OffHeap;
import io.jublk.nat.Ring;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The shim's copy mode FIXED on the host's io_uring (no ublk needed): a fixed copy is linked
 * before its command, so a copy that fails never lets the command run: the failure comes
 * back as an event (the cancelled command's own carries -ECANCELED), which the dispatcher
 * turns into an EIO commit. Every copy posts its event, so a running one is counted until
 * it has. (A copy into a request the kernel registered: the VM, t_copy_mode_fixed_verifies.)
 */
class FixedCopyShimTest {
    private static final int COMMIT = Uapi.ioOp(Uapi.IO_COMMIT_AND_FETCH_REQ);

    @Test
    void aFailedFixedCopyCancelsItsCommandAndNeverCopiesOutsideTheStore() throws Exception {
        Path file = Files.createTempFile("jublk-fixed", ".store");
        int fd = Native.jublk_open(file.toString(), Native.O_RDWR);
        assertTrue(fd >= 0, "open: " + Errno.describe(fd));
        try (Ring ring = Ring.create(8, 0, 16);
             OffHeap cmds = new OffHeap(2L * ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap(8L * ShimLayout.EVENT_SIZE);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE)) {
            assertEquals(0, Native.jublk_ftruncate(fd, 1 << 20));
            assertEquals(0, Native.jublk_ring_use_fixed(ring.handle(), fd, 4), "sparse buffer table");
            ShimLayout.putBounds(bounds.buffer(), 0x10000, 1 << 20, 0, 0);
            ByteBuffer c = cmds.buffer();
            // tag 2: read 4 KiB at file offset 8192 into buffer slot 2, which nothing registered
            Dispatcher.putCommand(c, 0, COMMIT, 2, 4096, ShimLayout.COPY_FILE_TO_REQUEST, 0, 8192, 4096, 0);
            // tag 3: a copy reaching past the store: refused by the shim, the command fails with EIO
            Dispatcher.putCommand(c, 1, COMMIT, 3, 4096, ShimLayout.COPY_REQUEST_TO_FILE, (1 << 20) - 512, 0, 4096, 0);
            assertEquals(0, Native.jublk_cmd_in_bounds(cmds.address() + ShimLayout.CMD_SIZE, bounds.address()));

            int n = Native.jublk_queue_batch(ring.handle(), fd, (short) 0, cmds.address(), 2, events.address(), 8,
                    0, 4, 2, 2000, bounds.address());
            int total = n;
            for (int i = 0; i < 3 && total >= 0; i++) { // wait a while for any late event
                int more = Native.jublk_queue_batch(ring.handle(), fd, (short) 0, 0, 0,
                        events.address() + (long) total * ShimLayout.EVENT_SIZE, 8 - total, 0, 4, 1, 500, bounds.address());
                assertTrue(more >= 0, Errno.describe(more));
                total += more;
            }
            ByteBuffer ev = events.buffer();
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < total; i++) {
                seen.append(Long.toHexString(ev.getLong(i * ShimLayout.EVENT_SIZE + ShimLayout.EV_USER_DATA))).append('=')
                        .append(ev.getInt(i * ShimLayout.EVENT_SIZE + ShimLayout.EV_RES)).append(' ');
            }
            assertEquals(3, total, "the failed copy, its cancelled command and the out-of-bounds commit: " + seen);
            boolean sawCopy = false, sawCancelled = false, sawRefused = false;
            for (int i = 0; i < total; i++) {
                long ud = ev.getLong(i * ShimLayout.EVENT_SIZE + ShimLayout.EV_USER_DATA);
                int res = ev.getInt(i * ShimLayout.EVENT_SIZE + ShimLayout.EV_RES);
                int tag = (int) (ud & 0xffff), op = (int) (ud >>> 16) & 0xff;
                if (op == ShimLayout.FIXED_COPY_OP) {
                    assertEquals(2, tag);
                    assertTrue(res < 0, "copy into an empty buffer slot fails: " + res);
                    sawCopy = true;
                } else if (tag == 2) {
                    assertEquals(Errno.ECANCELED.negative(), res, "the command linked to the failed copy never ran");
                    sawCancelled = true;
                } else {
                    assertEquals(3, tag);
                    assertNotEquals(Errno.ECANCELED.negative(), res, "no copy was linked to the refused command");
                    sawRefused = true;
                }
            }
            assertTrue(sawCopy && sawCancelled && sawRefused);
            assertEquals(0, Native.jublk_ring_fixed_copies(ring.handle(), 0), "the failed copy's event was harvested");
            assertEquals(-5, c.getInt(ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT), "the refused copy's command carries EIO");
        } finally {
            Native.jublk_close(fd);
            Files.deleteIfExists(file);
        }
    }

    /**
     * A fixed copy the kernel cannot finish at once (here: a read from an empty FIFO into a
     * registered buffer) is still running after the batch call returned; it is counted until
     * its event is in the CQ, so a queue can wait for it before the store changes. Its event
     * stays in the CQ for the next batch call, which counts it off without handing it over
     * (it moved the whole request: Java has nothing to do), while the commit's event is.
     */
    @Test
    void aRunningFixedCopyIsCountedUntilItsEventArrives() throws Exception {
        Path dir = Files.createTempDirectory("jublk-fixed");
        Path fifo = dir.resolve("fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        int fd = Native.jublk_open(fifo.toString(), Native.O_RDWR); // O_RDWR: open does not wait for a writer
        assertTrue(fd >= 0, "open: " + Errno.describe(fd));
        try (Ring ring = Ring.create(8, 0, 16);
             OffHeap cmds = new OffHeap(ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap(8L * ShimLayout.EVENT_SIZE);
             OffHeap buffer = new OffHeap(4096);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE)) {
            assertEquals(0, Native.jublk_ring_use_fixed(ring.handle(), fd, 4));
            assertEquals(0, Native.jublk_test_register_buffer(ring.handle(), 1, buffer.address(), 4096));
            ShimLayout.putBounds(bounds.buffer(), 0x10000, 1 << 20, 0, 0);
            Dispatcher.putCommand(cmds.buffer(), 0, COMMIT, 1, 4096, ShimLayout.COPY_FILE_TO_REQUEST, 0, 0, 4096, 0);
            int n = Native.jublk_queue_batch(ring.handle(), fd, (short) 0, cmds.address(), 1, events.address(), 8,
                    0, 4, 0, 0, bounds.address());
            assertEquals(0, n, "nothing finished yet: " + describe(events.buffer(), n));
            assertEquals(1, Native.jublk_ring_fixed_copies(ring.handle(), 200), "the copy waits for data");

            byte[] data = new byte[4096];
            java.util.Arrays.fill(data, (byte) 'F');
            Files.write(fifo, data);
            long t0 = System.nanoTime();
            assertEquals(0, Native.jublk_ring_fixed_copies(ring.handle(), 5000), "the copy ended");
            assertTrue(System.nanoTime() - t0 < 4_000_000_000L, "woken by the copy's event, not the time limit");
            assertEquals(0, Native.jublk_ring_fixed_copies(ring.handle(), 0), "still 0: nothing consumed it");

            int total = 0;
            for (int i = 0; i < 4 && total < 1; i++) {
                int more = Native.jublk_queue_batch(ring.handle(), fd, (short) 0, 0, 0,
                        events.address() + (long) total * ShimLayout.EVENT_SIZE, 8 - total, 0, 4, 1, 500, bounds.address());
                assertTrue(more >= 0, Errno.describe(more));
                total += more;
            }
            ByteBuffer ev = events.buffer();
            assertEquals(1, total, "only the commit's event: " + describe(ev, total));
            assertEquals(1L | ((long) (COMMIT & 0xff) << 16), ev.getLong(ShimLayout.EV_USER_DATA),
                    "the commit ran after the copy (a FIFO is no ublk device: it fails)");
            assertEquals((byte) 'F', buffer.buffer().get(4095), "the copy moved the data");
            assertEquals(0, Native.jublk_ring_fixed_copies(ring.handle(), 0));
        } finally {
            Native.jublk_close(fd);
            Files.deleteIfExists(fifo);
            Files.deleteIfExists(dir);
        }
    }

    private static String describe(ByteBuffer ev, int n) {
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < n; i++) {
            seen.append(Long.toHexString(ev.getLong(i * ShimLayout.EVENT_SIZE + ShimLayout.EV_USER_DATA))).append('=')
                    .append(ev.getInt(i * ShimLayout.EVENT_SIZE + ShimLayout.EV_RES)).append(' ');
        }
        return seen.toString();
    }

    @Test
    void aRingWithBatchIoOrNoFileCannotUseFixedCopies() {
        try (Ring ring = Ring.create(8, 0, 16)) {
            assertEquals(Errno.EINVAL.negative(), Native.jublk_ring_use_fixed(ring.handle(), -1, 4));
            assertEquals(Errno.EINVAL.negative(), Native.jublk_ring_use_fixed(ring.handle(), 0, 0));
        }
    }
}
