package io.jublk.store;

import io.jublk.target.Completion;
import io.jublk.target.RamTarget;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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

    /** A request's data, copied into the store the way the queue's copy mode would. */
    static WriteSource dataOf(PageStore s, byte[] data) {
        return (address, length) -> s.write(address - s.address(0), java.util.Arrays.copyOf(data, length));
    }

    /** A write whose data the test does not care about (nothing copied). */
    static final WriteSource NO_DATA = (address, length) -> { };

    /** A WRITE as the queue serves it: the target admits it and copies the data; FUA reported after. */
    void write(long offset, byte[] data, boolean fua) {
        disk.write(offset, data.length, c, dataOf(store, data));
        assertEquals(data.length, c.result, "write admitted");
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
        disk.write(0, PAGE, c, NO_DATA);
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
                    d.write((long) p * PAGE, PAGE, c, dataOf(s, filled(PAGE, 'N')));
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
        return readThroughDisk(disk, store, offset, length);
    }

    static byte[] readThroughDisk(RamTarget disk, PageStore store, long offset, int length) {
        return io.jublk.target.ReadThrough.read(disk, store, offset, length);
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
                d.write(p * PAGE, PAGE, c, NO_DATA);
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
            d.write(0, PAGE, c, null);
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

    /** A disk of 64 pages whose memory limit is 4 pages, its first 4 pages 'A' and durable. */
    static final class FullDisk implements AutoCloseable {
        final PageStore s = new PageStore(64 * PAGE, 4 * PAGE);
        final WriteCache wc = new WriteCache(s);
        final RamTarget d = new RamTarget(s, wc);
        final Completion c = new Completion();

        FullDisk() {
            write(0, filled(4 * PAGE, 'A'));
            d.flush(c);
        }

        int write(long offset, byte[] data) {
            d.write(offset, data.length, c, dataOf(s, data));
            return c.result;
        }

        byte[] read(long offset, int length) {
            byte[] out = new byte[length];
            long base = s.address(0);
            d.read(offset, length, c, (ro, src, n) -> {
                if (src != 0) System.arraycopy(s.read(src - base, n), 0, out, ro, n);
            });
            if (!c.delivered && c.address != 0) return s.read(c.address - base, length);
            return out;
        }

        @Override
        public void close() {
            wc.close();
            s.close();
        }
    }

    @Test
    void aDiscardAtTheLimitSucceedsAndACutUndoesIt() {
        try (FullDisk f = new FullDisk()) {
            f.d.discard(0, 2 * PAGE, f.c);
            assertEquals(0, f.c.result, "the discard that frees memory is not refused at the limit");
            assertArrayEquals(new byte[2 * PAGE], f.read(0, 2 * PAGE));
            assertEquals(4L * PAGE, f.s.usedBytes(), "the discarded pages moved into the cache: no new memory");
            f.wc.cut(WriteCache.Loss.ALL, 0, false, 4096);
            f.wc.powerOn();
            assertArrayEquals(filled(4 * PAGE, 'A'), f.read(0, 4 * PAGE), "the unflushed discard is undone");
            assertEquals(4L * PAGE, f.s.usedBytes());
        }
    }

    @Test
    void aSubPageDiscardAtTheLimitIsWrittenThrough() {
        try (FullDisk f = new FullDisk()) {
            f.d.discard(512, 1024, f.c); // part of page 0: needs a saved copy, and there is no room
            assertEquals(0, f.c.result);
            assertEquals(1, f.wc.writtenThroughPages());
            f.wc.cut(WriteCache.Loss.ALL, 0, false, 512);
            f.wc.powerOn();
            byte[] want = filled(PAGE, 'A');
            Arrays.fill(want, 512, 1536, (byte) 0);
            assertArrayEquals(want, f.read(0, PAGE), "written through: durable at once");
        }
    }

    /**
     * A discard whose end pages both need copies, one of them saved already, at the limit: the
     * destage that makes room un-saves that page, so both are counted again; with room for one
     * copy only, both are written through. (They were copied with one counted: memory the
     * limit never saw.)
     */
    @Test
    void aPartialDiscardThatDestagesCountsEveryCopyItMakes() {
        try (PageStore s = new PageStore(64 * PAGE, 5 * PAGE); WriteCache wc = new WriteCache(s)) {
            RamTarget d = new RamTarget(s, wc);
            d.write(0, 4 * PAGE, c, dataOf(s, filled(4 * PAGE, 'A')));
            d.flush(c);
            d.write(0, 512, c, dataOf(s, filled(512, 'B'))); // page 0 saved: 4 store pages + 1 copy
            assertEquals(5L * PAGE, s.usedBytes());
            d.discard(512, PAGE, c); // the end of page 0 and the start of page 1
            assertEquals(0, c.result);
            assertEquals(1, wc.destages());
            assertEquals(2, wc.writtenThroughPages(), "no room for two copies after the destage: written through");
            assertEquals(4L * PAGE, s.usedBytes(), "the store's pages, no copy");
            wc.cut(WriteCache.Loss.ALL, 0, false, 512);
            wc.powerOn();
            byte[] want = filled(4 * PAGE, 'A');
            Arrays.fill(want, 0, 512, (byte) 'B');
            Arrays.fill(want, 512, 512 + PAGE, (byte) 0);
            assertArrayEquals(want, readThroughDisk(d, s, 0, 4 * PAGE), "destaged and written through: all kept");
            assertEquals(4L * PAGE, s.usedBytes());
        }
    }

    @Test
    void anOverwriteAtTheLimitIsWrittenThroughAndKeptByACut() {
        try (FullDisk f = new FullDisk()) {
            assertEquals(PAGE, f.write(0, filled(PAGE, 'B')), "an overwrite needs no memory the user asked for");
            assertEquals(1, f.wc.writtenThroughPages());
            assertEquals(4L * PAGE, f.s.usedBytes());
            f.wc.cut(WriteCache.Loss.ALL, 0, false, 4096);
            f.wc.powerOn();
            assertArrayEquals(filled(PAGE, 'B'), f.read(0, PAGE));
        }
    }

    @Test
    void aWriteAfterADiscardAtTheLimitDestagesTheCache() {
        try (FullDisk f = new FullDisk()) {
            f.d.discard(0, 2 * PAGE, f.c);
            assertEquals(2 * PAGE, f.write(4 * PAGE, filled(2 * PAGE, 'C')), "room made by destaging the discard");
            assertEquals(1, f.wc.destages());
            assertEquals(4L * PAGE, f.s.usedBytes());
            assertEquals(4L * PAGE, f.s.residentPagesByMincore() * PAGE, "counted = in memory");
            f.wc.cut(WriteCache.Loss.ALL, 0, false, 4096);
            f.wc.powerOn();
            byte[] want = new byte[6 * PAGE];
            Arrays.fill(want, 2 * PAGE, 4 * PAGE, (byte) 'A');
            // The destage made the discard durable, not the write it made room for: that one
            // was never flushed, so the cut undoes it (it once came back, being saved only
            // before the destage dropped every saved page).
            assertArrayEquals(want, f.read(0, 6 * PAGE), "a destaged cache made everything before it durable");
            assertEquals(0, f.wc.writtenThroughPages());
        }
    }

    @Test
    void theSavedCopiesCountAsMemoryAndAreDestagedForFreshPagesButTheStoreItselfIsLimited() {
        try (PageStore s = new PageStore(1 << 20, 4 * PAGE); WriteCache wc = new WriteCache(s)) {
            RamTarget d = new RamTarget(s, wc);
            d.write(0, 2 * PAGE, c, dataOf(s, filled(2 * PAGE, 'A')));
            d.flush(c);
            assertEquals(2 * PAGE, s.usedBytes());
            d.write(0, 2 * PAGE, c, dataOf(s, filled(2 * PAGE, 'B'))); // overwrite: the old content is saved
            assertEquals(2 * PAGE, c.result);
            assertEquals(4 * PAGE, s.usedBytes(), "store pages + saved copies");
            d.write(2 * PAGE, PAGE, c, dataOf(s, filled(PAGE, 'C')));
            assertEquals(PAGE, c.result, "a fresh page at the limit destages the cache instead of failing");
            assertEquals(3 * PAGE, s.usedBytes());
            d.write(3 * PAGE, PAGE, c, NO_DATA);
            assertEquals(PAGE, c.result);
            d.write(4 * PAGE, PAGE, c, NO_DATA);
            assertEquals(-28, c.result, "ENOSPC: the disk's own data is at the limit");
            assertEquals(4 * PAGE, s.usedBytes());
        }
    }

    /**
     * Two queues write different sectors of the same pages while a third sends FLUSHes, on a
     * disk at or near its memory limit; each copy is slow (64 bytes at a time), as a queue's
     * copy of a large request is. (With the copy outside the cache's lock, a FLUSH dropped the
     * copy a write relied on and another queue saved a page mid-copy: this test failed 3 of 3
     * runs.) Each epoch ends that race with a cut (no sector torn, each holding a value written
     * there), then FLUSHes once, notes what the disk holds, lets the two queues race
     * again without a FLUSH, and cuts the power losing everything: the disk must read exactly
     * what it held at that FLUSH — or, where the cache destaged at the limit, a value written
     * after it — no sector torn, and the memory count exact.
     */
    @Test
    void concurrentWritesAndFlushesNeverTearASavedSectorOrSkewTheCount() throws Exception {
        assertEquals(0, raceWritesFlushesAndCuts(4), "room for every copy: FLUSHes race the writes, nothing destaged");
    }

    /** As above with room for one saved copy only: the queues' writes destage the cache too. */
    @Test
    void concurrentWritesAtTheLimitDestageWithoutTearingOrSkewingTheCount() throws Exception {
        assertTrue(raceWritesFlushesAndCuts(1) > 0, "the limit was reached");
    }

    private static final int RACE_PAGES = 2;
    private static final int RACE_SECTORS = RACE_PAGES * PAGE / 512;

    /** Returns the cache's destages. */
    private static long raceWritesFlushesAndCuts(int roomForCopies) throws Exception {
        int epochs = 60, rounds = 400;
        try (PageStore s = new PageStore(RACE_PAGES * PAGE, (RACE_PAGES + roomForCopies) * PAGE);
             WriteCache wc = new WriteCache(s)) {
            RamTarget d = new RamTarget(s, wc);
            AtomicReference<String> problem = new AtomicReference<>();
            boolean[][] everWritten = new boolean[RACE_SECTORS][256];
            for (boolean[] w : everWritten) w[0] = true;
            for (int epoch = 0; epoch < epochs; epoch++) {
                AtomicBoolean stopFlushing = new AtomicBoolean();
                Thread flusher = new Thread(() -> {
                    Completion cc = new Completion();
                    while (!stopFlushing.get()) d.flush(cc);
                });
                flusher.start();
                raceWriters(d, rounds, epoch * 4L, everWritten, problem, stopFlushing);
                stopFlushing.set(true);
                flusher.join();
                assertNull(problem.get());
                // The cut after racing FLUSHes: pages saved while the other queue was copying go back.
                wc.cut(WriteCache.Loss.ALL, epoch, false, 4096);
                wc.powerOn();
                for (int sector = 0; sector < RACE_SECTORS; sector++) {
                    int v = sectorValue(s, sector, epoch);
                    assertTrue(everWritten[sector][v], "epoch " + epoch + ": sector " + sector + " holds " + v + ", never written there");
                }

                d.flush(new Completion());
                long destagesBefore = wc.destages();
                int[] atFlush = new int[RACE_SECTORS];
                for (int sector = 0; sector < RACE_SECTORS; sector++) atFlush[sector] = sectorValue(s, sector, epoch);
                boolean[][] writtenAfter = new boolean[RACE_SECTORS][256];
                raceWriters(d, rounds / 4, epoch * 4L + 2, writtenAfter, problem, null);
                for (int sector = 0; sector < RACE_SECTORS; sector++) {
                    for (int v = 0; v < 256; v++) everWritten[sector][v] |= writtenAfter[sector][v];
                }
                assertNull(problem.get());
                boolean destaged = wc.destages() > destagesBefore;
                wc.cut(WriteCache.Loss.ALL, epoch, false, 4096);
                wc.powerOn();
                for (int sector = 0; sector < RACE_SECTORS; sector++) {
                    int v = sectorValue(s, sector, epoch);
                    if (v != atFlush[sector] && !(destaged && writtenAfter[sector][v])) {
                        fail("epoch " + epoch + ": sector " + sector + " holds " + v + " after the cut, held "
                                + atFlush[sector] + " at the last FLUSH" + (destaged ? " and was never written " + v + " after it" : ""));
                    }
                }
                assertEquals(s.usedPagesIn(0, RACE_PAGES - 1) * PAGE, s.usedBytes(),
                        "epoch " + epoch + ": no saved copy left counted after the cut");
            }
            return wc.destages();
        }
    }

    /** Two writers on alternate sectors; {@code written[sector][value]} records each value written; any failure into {@code problem}. */
    private static void raceWriters(RamTarget d, int rounds, long seedBase, boolean[][] written,
                                    AtomicReference<String> problem, AtomicBoolean stopFlushingAt3Quarters) throws Exception {
        Thread[] writers = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int parity = t;
            java.util.SplittableRandom r = new java.util.SplittableRandom(seedBase + t);
            writers[t] = new Thread(() -> {
                try {
                    Completion cc = new Completion();
                    for (int i = 0; i < rounds && problem.get() == null; i++) {
                        if (stopFlushingAt3Quarters != null && i == rounds * 3 / 4) stopFlushingAt3Quarters.set(true);
                        int sector = r.nextInt(RACE_SECTORS / 2) * 2 + parity;
                        int value = 1 + r.nextInt(127) * 2 + parity;
                        synchronized (written) {
                            written[sector][value] = true;
                        }
                        d.write(sector * 512L, 512, cc, (address, length) -> slowFill(address, length, value));
                        if (cc.result == 512 && !cc.delivered) slowFill(cc.address, 512, value);
                        else if (cc.result != 512) problem.compareAndSet(null, "write failed: " + cc.result);
                    }
                } catch (Throwable e) {
                    problem.compareAndSet(null, "writer: " + e);
                }
            });
        }
        for (Thread w : writers) w.start();
        for (Thread w : writers) w.join();
    }

    /** The byte every byte of {@code sector} holds, as the device reads it; fails if the sector mixes values. */
    private static int sectorValue(PageStore s, int sector, int epoch) {
        byte[] b = s.isPageUsed(sector / 8) ? s.read(sector * 512L, 512) : new byte[512];
        for (int i = 1; i < 512; i++) {
            if (b[i] != b[0]) fail("epoch " + epoch + ": sector " + sector + " mixes bytes " + (b[0] & 0xff) + " and " + (b[i] & 0xff));
        }
        return b[0] & 0xff;
    }

    /** Fills [address, address+length) with {@code value}, 64 bytes at a time with pauses between. */
    static void slowFill(long address, int length, int value) {
        byte[] piece = filled(64, value);
        com.sun.jna.Pointer p = new com.sun.jna.Pointer(address);
        for (int off = 0; off < length; off += 64) {
            p.write(off, piece, 0, 64);
            for (int spin = 0; spin < 50; spin++) Thread.onSpinWait();
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
            d.write(0, PAGE, c, dataOf(s, filled(PAGE, 'A'))); // a fresh page: the store's one page of limit
            assertEquals(PAGE, c.result);
            d.write(0, 512, c, dataOf(s, filled(512, 'F')));
            d.madeDurable(0, 512); // its durable content now needs a saved page, over the limit
            d.flush(c);
            assertEquals(PAGE, s.usedBytes(), "after the flush: the store's page, counted once");
        }
    }
}
