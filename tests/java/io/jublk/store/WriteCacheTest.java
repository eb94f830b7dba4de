package io.jublk.store;

import io.jublk.target.Completion;
import io.jublk.target.RamTarget;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The write-back cache's promise, through the RAM target a queue calls (data copied the way
 * the shim would, after the target named the place): what a FLUSH or FUA made durable
 * survives a power cut, nothing else does; random loss is reproducible; torn blocks mix.
 */
class WriteCacheTest {
    static final int PAGE = PageStore.PAGE_SIZE;

    final PageStore store = new PageStore(1 << 20);
    final WriteCache cache = new WriteCache(store);
    final RamTarget disk = new RamTarget(store, cache);
    final Completion c = new Completion();

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** A WRITE as the queue serves it: the target admits it, then the data lands; FUA reported after. */
    void write(long offset, byte[] data, boolean fua) {
        disk.write(offset, data.length, c);
        assertEquals(data.length, c.result, "write admitted");
        store.write(offset, data);
        if (fua) disk.madeDurable(offset, data.length);
    }

    void flush() {
        disk.flush(c);
        assertEquals(0, c.result);
    }

    @Test
    void aFlushedWriteSurvivesAndALaterOneIsUndone() {
        write(0, filled(PAGE, 'A'), false);
        flush();
        write(0, filled(PAGE, 'B'), false);
        assertArrayEquals(filled(PAGE, 'B'), store.read(0, PAGE), "reads see the latest data");
        assertEquals(PAGE, cache.nonDurableBytes());
        assertEquals(PAGE, cache.cut(WriteCache.Loss.ALL, 0, false, PAGE) * PAGE);
        assertArrayEquals(filled(PAGE, 'A'), store.read(0, PAGE));
        assertEquals(0, cache.nonDurableBytes());
    }

    @Test
    void aFuaWriteSurvivesAlsoWithinAPageOtherWritesChanged() {
        write(0, filled(PAGE, 'A'), false);
        flush();
        write(0, filled(1024, 'B'), false);          // not durable
        write(1024, filled(512, 'F'), true);         // FUA: durable at once
        cache.cut(WriteCache.Loss.ALL, 0, false, 512);
        byte[] want = filled(PAGE, 'A');
        Arrays.fill(want, 1024, 1536, (byte) 'F');
        assertArrayEquals(want, store.read(0, PAGE));
    }

    @Test
    void aPowerCutFailsEveryRequestUntilPowerOn() {
        write(0, filled(PAGE, 'A'), false);
        cache.cut(WriteCache.Loss.ALL, 0, false, 512);
        disk.read(0, PAGE, c, (o, s, l) -> { });
        assertEquals(-5, c.result, "EIO while powered off");
        disk.write(0, PAGE, c);
        assertEquals(-5, c.result);
        disk.flush(c);
        assertEquals(-5, c.result);
        cache.powerOn();
        disk.read(0, PAGE, c, (o, s, l) -> { });
        assertEquals(PAGE, c.result);
        assertEquals(0, c.address, "the never-flushed page is gone: it reads as zeros again");
        assertEquals(0, store.usedBytes(), "and holds no memory");
    }

    @Test
    void randomLossIsReproducibleAndTearingMixesOldAndNewSectors() {
        byte[][] outcomes = new byte[3][];
        for (int run = 0; run < 3; run++) {
            try (PageStore s = new PageStore(1 << 20); WriteCache wc = new WriteCache(s)) {
                RamTarget d = new RamTarget(s, wc);
                for (int p = 0; p < 32; p++) {
                    d.write((long) p * PAGE, PAGE, c);
                    s.write((long) p * PAGE, filled(PAGE, 'N'));
                }
                wc.cut(WriteCache.Loss.RANDOM, run < 2 ? 42 : 43, run == 2, 4096);
                outcomes[run] = s.read(0, 32 * PAGE);
            }
        }
        assertArrayEquals(outcomes[0], outcomes[1], "the same seed, the same loss");
        long kept = 0;
        for (byte b : outcomes[0]) if (b == 'N') kept++;
        assertTrue(kept > 0 && kept < 32 * PAGE, "random keeps some blocks and loses others: " + kept);
        assertEquals(0, kept % PAGE, "untorn: whole 4 KiB blocks");
        boolean torn = false;
        for (int p = 0; p < 32 && !torn; p++) {
            int newSectors = 0;
            for (int s = 0; s < 8; s++) if (outcomes[2][p * PAGE + s * 512] == 'N') newSectors++;
            torn = newSectors > 0 && newSectors < 8;
        }
        assertTrue(torn, "--tear leaves some block with old and new sectors");
    }

    /** What a READ of [offset, offset+length) through the device returns (as the queue copies it). */
    byte[] readThroughDisk(long offset, int length) {
        byte[] out = new byte[length];
        long base = store.address(0);
        disk.read(offset, length, c, (requestOffset, source, n) -> {
            if (source != 0) System.arraycopy(store.read(source - base, n), 0, out, requestOffset, n);
        });
        assertEquals(length, c.result, "read");
        if (!c.delivered && c.address != 0) return store.read(c.address - base, length);
        return out;
    }

    @Test
    void aDiscardThatWasNotDurableIsUndoneAsTheDeviceReadsIt() {
        write(0, filled(2 * PAGE, 'A'), false);
        flush();
        disk.discard(0, 2 * PAGE, c);
        assertArrayEquals(new byte[2 * PAGE], readThroughDisk(0, 2 * PAGE));
        cache.cut(WriteCache.Loss.ALL, 0, false, 512);
        cache.powerOn();
        assertArrayEquals(filled(2 * PAGE, 'A'), readThroughDisk(0, 2 * PAGE), "the durable data is back");
        assertEquals(2L * PAGE, store.usedBytes(), "and counted");
        // A later sub-page write changes its sector only.
        write(0, filled(512, 'B'), false);
        byte[] page = readThroughDisk(0, PAGE);
        assertArrayEquals(filled(512, 'B'), Arrays.copyOfRange(page, 0, 512));
        assertArrayEquals(filled(PAGE - 512, 'A'), Arrays.copyOfRange(page, 512, PAGE));
    }

    @Test
    void aTornCutOfADiscardLeavesEachSectorOldOrZerosAndTheCountExact() {
        write(0, filled(4 * PAGE, 'A'), false);
        flush();
        disk.discard(0, 4 * PAGE, c);
        long undone = cache.cut(WriteCache.Loss.RANDOM, 11, true, 4096);
        cache.powerOn();
        byte[] all = readThroughDisk(0, 4 * PAGE);
        long old = 0;
        for (int s = 0; s < all.length; s += 512) {
            byte[] sector = Arrays.copyOfRange(all, s, s + 512);
            boolean a = Arrays.equals(filled(512, 'A'), sector), zero = Arrays.equals(new byte[512], sector);
            assertTrue(a || zero, "sector " + s / 512 + " is neither the old data nor zeros");
            if (a) old++;
        }
        assertEquals(undone, old, "every undone sector reads the old data, every kept one zeros");
        assertTrue(old > 0 && old < 32, "a torn cut mixes (" + old + " of 32)");
        assertEquals(store.residentPagesByMincore() * PAGE, store.usedBytes(), "counted = in memory");
    }

    @Test
    void undoingADiscardOfAPageWrittenSinceTheFlushCostsNoMemory() {
        write(0, filled(2 * PAGE, 'A'), false);   // never durable: was zeros at the last flush
        disk.discard(0, 2 * PAGE, c);
        cache.cut(WriteCache.Loss.RANDOM, 5, true, 4096);
        cache.powerOn();
        assertArrayEquals(new byte[2 * PAGE], readThroughDisk(0, 2 * PAGE));
        assertEquals(0, store.usedBytes());
        assertEquals(0, store.residentPagesByMincore(), "no page faulted in");
    }

    @Test
    void manyUnflushedPagesAllocateNoHeapAndACutGivesEveryOneBack() {
        // 300,000 pages written since the last flush (never copied: the test moves no data);
        // a list of them on the heap would take 2.4 MB and grow by copying, a 64 MiB server
        // heap ran out after ~8 GiB. Bitmaps only: no heap per page, at the write or the cut.
        long pages = 300_000;
        try (PageStore big = new PageStore(pages * PAGE); WriteCache wc = new WriteCache(big)) {
            RamTarget d = new RamTarget(big, wc);
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long a0 = mx.getCurrentThreadAllocatedBytes();
            for (long p = 0; p < pages; p++) {
                d.write(p * PAGE, PAGE, c);
                if (c.result != PAGE) fail("write of page " + p + ": " + c.result);
            }
            long writes = mx.getCurrentThreadAllocatedBytes() - a0;
            assertEquals(pages * PAGE, wc.nonDurableBytes());
            long a1 = mx.getCurrentThreadAllocatedBytes();
            wc.cut(WriteCache.Loss.ALL, 0, false, 4096);
            long cut = mx.getCurrentThreadAllocatedBytes() - a1;
            assertTrue(writes < 256 << 10, "the writes allocated " + writes + " bytes of heap");
            assertTrue(cut < 256 << 10, "the cut allocated " + cut + " bytes of heap");
            assertEquals(0, wc.nonDurableBytes());
            assertEquals(0, big.usedBytes(), "every never-durable page undone to no memory");
            wc.powerOn();
        }
    }

    @Test
    void withoutWriteBackACutLosesNothingAndOnlyPowersOff() {
        try (PageStore s = new PageStore(1 << 20); WriteCache none = new WriteCache(s, false)) {
            RamTarget d = new RamTarget(s, none);
            d.write(0, PAGE, c);
            assertEquals(PAGE, c.result);
            s.write(0, filled(PAGE, 'N'));
            assertEquals(0, none.cut(WriteCache.Loss.ALL, 0, false, 512), "nothing undone");
            assertTrue(none.poweredOff());
            d.read(0, PAGE, c, (o, src, n) -> { });
            assertTrue(c.result < 0, "a read while the power is off fails");
            none.powerOn();
            assertArrayEquals(filled(PAGE, 'N'), s.read(0, PAGE));
            assertEquals(0, none.nonDurableBytes());
        }
    }

    @Test
    void aDiscardThatWasNotDurableIsUndone() {
        write(0, filled(2 * PAGE, 'A'), false);
        flush();
        disk.discard(0, 2 * PAGE, c);
        assertArrayEquals(new byte[PAGE], store.read(0, PAGE));
        cache.cut(WriteCache.Loss.ALL, 0, false, 512);
        assertArrayEquals(filled(2 * PAGE, 'A'), store.read(0, 2 * PAGE));
    }

    @Test
    void theSavedCopiesCountAsMemoryAgainstTheLimitAndAreFreedByAFlush() {
        try (PageStore s = new PageStore(1 << 20, 4 * PAGE); WriteCache wc = new WriteCache(s)) {
            RamTarget d = new RamTarget(s, wc);
            for (int p = 0; p < 2; p++) {
                d.write((long) p * PAGE, PAGE, c);
                s.write((long) p * PAGE, filled(PAGE, 'A'));
            }
            d.flush(c);
            assertEquals(2 * PAGE, s.usedBytes());
            d.write(0, 2 * PAGE, c); // overwrite: the old content is saved, 2 more pages
            assertEquals(2 * PAGE, c.result);
            assertEquals(4 * PAGE, s.usedBytes(), "store pages + saved copies");
            d.write(2 * PAGE, PAGE, c);
            assertEquals(-28, c.result, "ENOSPC: the limit counts the cache");
            d.flush(c);
            assertEquals(2 * PAGE, s.usedBytes(), "a flush gives the saved copies back");
        }
    }

    @Test
    void aFlushRequestThroughTheDispatcherSucceedsAndEmptiesTheCache() {
        write(0, filled(PAGE, 'A'), false);
        java.nio.ByteBuffer ev = java.nio.ByteBuffer.allocateDirect(40).order(java.nio.ByteOrder.nativeOrder());
        ev.putLong(0, 5 | ((long) io.jublk.ctrl.Uapi.IO_FETCH_REQ << 16));
        ev.putInt(8, 0);
        ev.putInt(16 + io.jublk.ctrl.Uapi.IOD_OP_FLAGS, io.jublk.ctrl.Uapi.OP_FLUSH);
        ev.putLong(16 + io.jublk.ctrl.Uapi.IOD_START_SECTOR, -1); // what the block layer's flush requests carry
        java.nio.ByteBuffer cmds = java.nio.ByteBuffer.allocateDirect(8 * 48).order(java.nio.ByteOrder.nativeOrder());
        io.jublk.queue.QueueStats qs = new io.jublk.queue.QueueStats();
        io.jublk.queue.Dispatcher d = new io.jublk.queue.Dispatcher(disk, 8, 0, 1 << 20, qs);
        assertEquals(1, d.dispatch(ev, 1, cmds));
        assertEquals(0, cmds.getInt(32), "FLUSH committed with 0");
        assertEquals(1, cache.flushes());
        assertEquals(0, cache.nonDurableBytes());
    }

    @Test
    void aFuaWriteAtTheLimitKeepsTheMemoryCountExact() {
        try (PageStore s = new PageStore(1 << 20, PAGE); WriteCache wc = new WriteCache(s)) {
            RamTarget d = new RamTarget(s, wc);
            d.write(0, PAGE, c); // a fresh page: the store's one page of limit, nothing to save
            assertEquals(PAGE, c.result);
            s.write(0, filled(PAGE, 'A'));
            d.write(0, 512, c);
            s.write(0, filled(512, 'F'));
            d.madeDurable(0, 512); // its durable content now needs a saved page, over the limit
            d.flush(c);
            assertEquals(PAGE, s.usedBytes(), "after the flush: the store's page, counted once");
        }
    }
}
