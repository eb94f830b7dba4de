package io.jublk.daemon;

import io.jublk.store.PageStore;
import io.jublk.store.StoreGate;
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

    /**
     * The kernel's size; {@code failAfter} calls to set succeed, then each one throws. It checks
     * the order: the kernel never grows beyond the store, and shrinks while the store still
     * holds the old size (no request may reach a store smaller than the disk).
     */
    static final class FakeKernel implements Resizer.KernelSize {
        long size;
        int failAfter = Integer.MAX_VALUE;
        PageStore store;

        FakeKernel(long size) {
            this.size = size;
        }

        @Override
        public long bytes() {
            return size;
        }

        @Override
        public void set(long bytes) {
            if (bytes > size) assertTrue(store.size() >= bytes, "the kernel grew to " + bytes + " beyond the store's " + store.size());
            else assertEquals(size, store.size(), "the store shrank before the kernel");
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

    static byte[] read(RamTarget disk, PageStore s, long offset, int length) {
        return io.jublk.target.ReadThrough.read(disk, s, offset, length);
    }

    /** A 64 MiB disk with one page 'T' at 40 MiB, its kernel, gate and resizer (pause limit 200 ms). */
    static final class Disk implements AutoCloseable {
        final PageStore s = new PageStore(64 * MIB, 64 * MIB, 0);
        final RamTarget disk = new RamTarget(s);
        final StoreGate gate = new StoreGate();
        final FakeKernel kernel = new FakeKernel(64 * MIB);
        final Resizer resizer = new Resizer(kernel, gate, s, null, 200);

        Disk() {
            kernel.store = s;
            s.write(40 * MIB, filled(PAGE, 'T'));
        }

        @Override
        public void close() {
            s.close();
        }
    }

    @Test
    void aShrinkWhosePauseFailsSetsTheKernelBackAndKeepsTheTail() throws Exception {
        try (Disk d = new Disk()) {
            try (StuckQueue q = new StuckQueue(d.gate)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.resizer.resize(32 * MIB));
                assertTrue(e.getMessage().contains("not resized, still " + 64 * MIB), e.getMessage());
                assertEquals(64 * MIB, d.kernel.size, "the kernel is back at the old size");
                assertEquals(64 * MIB, d.s.size());
                assertArrayEquals(filled(PAGE, 'T'), read(d.disk, d.s, 40 * MIB, PAGE), "the tail kept its data");
            }
            // With the queue gone the same shrink works, and a grow back shows zeros there.
            assertEquals(new Resizer.Result(64 * MIB, 32 * MIB, PAGE), d.resizer.resize(32 * MIB));
            assertEquals(32 * MIB, d.kernel.size);
            d.resizer.resize(64 * MIB);
            assertEquals(64 * MIB, d.kernel.size);
            assertArrayEquals(new byte[PAGE], read(d.disk, d.s, 40 * MIB, PAGE));
        }
    }

    @Test
    void whenSettingTheSizeBackFailsTooTheNextResizeReleasesTheTailFirst() throws Exception {
        try (Disk d = new Disk()) {
            try (StuckQueue q = new StuckQueue(d.gate)) {
                d.kernel.failAfter = 1; // the shrink's UPDATE_SIZE works, the one setting it back does not
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.resizer.resize(32 * MIB));
                assertTrue(e.getMessage().contains("setting the size back"), e.getMessage());
                assertEquals(32 * MIB, d.kernel.size);
            }
            d.kernel.failAfter = Integer.MAX_VALUE;
            // Growing back to the old size is not a no-op (the store was already that large)...
            assertEquals(new Resizer.Result(32 * MIB, 64 * MIB, 0), d.resizer.resize(64 * MIB));
            assertEquals(64 * MIB, d.kernel.size);
            // ...and shows zeros where the disk, at 32 MiB, had nothing.
            assertArrayEquals(new byte[PAGE], read(d.disk, d.s, 40 * MIB, PAGE));
            assertEquals(0, d.s.usedBytes());
        }
    }

    @Test
    void aGrowWhoseUpdateSizeFailsLeavesTheStoreAtTheOldSizeToo() throws Exception {
        try (Disk d = new Disk()) {
            d.resizer.resize(32 * MIB);
            d.kernel.failAfter = 0;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.resizer.resize(48 * MIB));
            assertTrue(e.getMessage().contains("not resized, still " + 32 * MIB), e.getMessage());
            assertEquals(32 * MIB, d.kernel.size);
            assertEquals(32 * MIB, d.s.size(), "the store is back at the old size");
        }
    }
}
