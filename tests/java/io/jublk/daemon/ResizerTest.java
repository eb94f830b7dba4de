package io.jublk.daemon;

import io.jublk.store.PageStore;
import io.jublk.store.StoreGate;
import io.jublk.target.Completion;
import io.jublk.target.RamTarget;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A resize whose pause fails leaves the disk as it was, in the kernel and in the store; the
 * kernel's size is where a resize starts from; a tail the kernel no longer shows is released
 * before any grow shows it again.
 */
class ResizerTest {
    private static final long MIB = 1 << 20;
    private static final int PAGE = PageStore.PAGE_SIZE;

    /** The kernel's size; {@code failAfter} calls to set succeed, then each one throws. */
    static final class FakeKernel implements Resizer.KernelSize {
        long size;
        int failAfter = Integer.MAX_VALUE;

        FakeKernel(long size) {
            this.size = size;
        }

        @Override
        public long bytes() {
            return size;
        }

        @Override
        public void set(long bytes) {
            if (failAfter-- <= 0) throw new IllegalStateException("UPDATE_SIZE failed: EIO");
            size = bytes;
        }
    }

    /** A queue thread that joined the gate and never reaches a checkpoint until released. */
    static final class StuckQueue implements AutoCloseable {
        final CountDownLatch release = new CountDownLatch(1);
        final Thread thread;

        StuckQueue(StoreGate gate) throws InterruptedException {
            CountDownLatch joined = new CountDownLatch(1);
            thread = new Thread(() -> {
                gate.join();
                joined.countDown();
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                } finally {
                    gate.leave();
                }
            });
            thread.start();
            joined.await();
        }

        @Override
        public void close() throws InterruptedException {
            release.countDown();
            thread.join();
        }
    }

    static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }

    /** What a READ through the disk returns. */
    static byte[] read(RamTarget disk, PageStore s, long offset, int length) {
        Completion c = new Completion();
        byte[] out = new byte[length];
        long base = s.address(0);
        disk.read(offset, length, c, (ro, src, n) -> {
            if (src != 0) System.arraycopy(s.read(src - base, n), 0, out, ro, n);
        });
        assertEquals(length, c.result);
        if (!c.delivered && c.address != 0) return s.read(c.address - base, length);
        return out;
    }

    @Test
    void aShrinkWhosePauseFailsSetsTheKernelBackAndKeepsTheTail() throws Exception {
        try (PageStore s = new PageStore(64 * MIB, 64 * MIB, 0)) {
            RamTarget disk = new RamTarget(s);
            StoreGate gate = new StoreGate();
            FakeKernel kernel = new FakeKernel(64 * MIB);
            s.write(40 * MIB, filled(PAGE, 'T'));
            Resizer resizer = new Resizer(kernel, gate, s, null, 200);
            try (StuckQueue q = new StuckQueue(gate)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> resizer.resize(32 * MIB));
                assertTrue(e.getMessage().contains("not resized, still " + 64 * MIB), e.getMessage());
                assertEquals(64 * MIB, kernel.size, "the kernel is back at the old size");
                assertEquals(64 * MIB, s.size());
                assertArrayEquals(filled(PAGE, 'T'), read(disk, s, 40 * MIB, PAGE), "the tail kept its data");
            }
            // With the queue gone the same shrink works, and a grow back shows zeros there.
            assertEquals(new Resizer.Result(64 * MIB, 32 * MIB, PAGE), resizer.resize(32 * MIB));
            assertEquals(32 * MIB, kernel.size);
            resizer.resize(64 * MIB);
            assertEquals(64 * MIB, kernel.size);
            assertArrayEquals(new byte[PAGE], read(disk, s, 40 * MIB, PAGE));
        }
    }

    @Test
    void whenSettingTheSizeBackFailsTooTheNextResizeReleasesTheTailFirst() throws Exception {
        try (PageStore s = new PageStore(64 * MIB, 64 * MIB, 0)) {
            RamTarget disk = new RamTarget(s);
            StoreGate gate = new StoreGate();
            FakeKernel kernel = new FakeKernel(64 * MIB);
            s.write(40 * MIB, filled(PAGE, 'T'));
            Resizer resizer = new Resizer(kernel, gate, s, null, 200);
            try (StuckQueue q = new StuckQueue(gate)) {
                kernel.failAfter = 1; // the shrink's UPDATE_SIZE works, the one setting it back does not
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> resizer.resize(32 * MIB));
                assertTrue(e.getMessage().contains("setting the size back"), e.getMessage());
                assertEquals(32 * MIB, kernel.size);
            }
            kernel.failAfter = Integer.MAX_VALUE;
            // Growing back to the old size is not a no-op (the store was already that large)...
            assertEquals(new Resizer.Result(32 * MIB, 64 * MIB, 0), resizer.resize(64 * MIB));
            assertEquals(64 * MIB, kernel.size);
            // ...and shows zeros where the disk, at 32 MiB, had nothing.
            assertArrayEquals(new byte[PAGE], read(disk, s, 40 * MIB, PAGE));
            assertEquals(0, s.usedBytes());
        }
    }
}
