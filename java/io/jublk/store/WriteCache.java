package io.jublk.store;

import io.jublk.nat.Native;
import io.jublk.nat.NativeException;

/**
 * A simulated volatile write cache ({@code --cache writeback}): the store always holds the
 * latest data (reads see every write), and this class keeps what a power cut would fall back
 * to — for every page changed since the last FLUSH, its <em>durable</em> content, saved the
 * moment the page is first changed ("undo" copy). A FLUSH makes everything in the store
 * durable (the copies are dropped); a FUA write makes its own range durable (the range is
 * copied into the saved page once its data is in the store); a {@link #cut power cut} puts
 * the saved content back — for every page, or for a reproducible random subset of its
 * logical blocks, or (torn) of its sectors — and the device then fails I/O until power on.
 *
 * <p>Without write-back ({@code --cache none}) nothing is saved: every completed write is
 * durable, and a power cut only powers the disk off.
 *
 * <p>The saved pages live in a sparse anonymous mapping as large as the store (a page only
 * costs memory once saved), counted against the store's memory limit and in its memory use,
 * and given back at every FLUSH: the cache costs at most what was written since the last one.
 *
 * <p>Safe for concurrent queues: every method takes the cache's lock, and on a write-back
 * disk every change to the store happens inside it together with its data copy (writes are
 * serialized across queues: the price of exact crash states, paid only by write-back disks).
 * At the memory limit the cache destages rather than refuse a discard or an overwrite.
 */
public final class WriteCache implements AutoCloseable {
    private static final int PAGE = PageStore.PAGE_SIZE;
    /** Sector size of a torn write: what a real disk writes atomically. */
    public static final int SECTOR = 512;
    /** A discard is saved and zeroed this much at a time (see {@link #zero}). */
    private static final long ZERO_CHUNK = 2L << 20;

    /** What a power cut loses. */
    public enum Loss {
        /** Every write not yet durable is undone. */
        ALL,
        /** Each logical block (with tearing: each sector) of a non-durable page is undone or kept at random. */
        RANDOM
    }

    private final PageStore store;
    private final boolean writeBack;
    private final long shadowBase;
    private final long shadowLength;
    /**
     * Per page: saved since the last flush — the pages a cut restores and a flush gives back,
     * enumerated in page order through the bitmap's summary. Bitmaps only, off the heap and
     * sparse like the data: no write pattern grows the server's Java heap (a list of pages on
     * the heap ran a 64 MiB heap out of memory after ~8 GiB written without a flush).
     */
    private final PageTracker saved;
    /** Per page: the store page was unwritten at the last flush (restoring it = zeros). */
    private final PageTracker wasEmpty;
    private volatile boolean poweredOff;
    private long flushes;
    private long fuas;
    private long cuts;
    private long lostBlocks;
    /** Saved copies in the shadow mapping, counted in the store's memory (given back by dropSaved). */
    private long held;
    private long destages;
    private long writtenThrough;

    /** A write-back cache over {@code store}. */
    public WriteCache(PageStore store) {
        this(store, true);
    }

    /** @param writeBack false: no volatile cache (every completed write durable), only power off/on */
    public WriteCache(PageStore store, boolean writeBack) {
        this.store = store;
        this.writeBack = writeBack;
        this.shadowLength = writeBack ? (store.capacity() + PAGE - 1) / PAGE * PAGE : 0;
        this.shadowBase = !writeBack ? 0 : NativeException.check("mmap of the write cache's saved pages",
                Native.jublk_mmap(0, shadowLength, Native.PROT_READ | Native.PROT_WRITE,
                        Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_NORESERVE, -1, 0));
        this.saved = writeBack ? new PageTracker(store.capacity(), 0, true) : null;
        this.wasEmpty = writeBack ? new PageTracker(store.capacity(), 0) : null;
    }

    /** True for a volatile write-back cache (the kernel is told so: it sends FLUSH and FUA). */
    public boolean writeBack() {
        return writeBack;
    }

    /**
     * A WRITE on a write-back disk, whole under the cache's lock: the durable content of each
     * page it changes is saved (a page never written needs no copy: it was zeros), the store's
     * memory is claimed, and {@code data} copies the request into the store. Nothing can run
     * between those steps — not another queue's FLUSH dropping a copy this write relies on,
     * not another write tearing the page being saved — so the count of saved pages is exact
     * and every saved page is a state the disk really had.
     *
     * <p>At the memory limit the cache destages (everything becomes durable and its copies are
     * given back, as a real disk's full cache does) rather than refuse; if the store alone is
     * at the limit, the write's pages are written through (durable at once, nothing saved).
     * False — nothing changed — only if the write needs fresh store pages beyond the limit.
     */
    public synchronized boolean write(long offset, int length, WriteSource data) {
        if (length <= 0) return true;
        long first = offset / PAGE;
        long last = (offset + length - 1) / PAGE;
        // Under this lock nothing else changes the store, so the room counted here is exact.
        long fresh = (last - first + 1) - store.usedPagesIn(first, last);
        long copies = pagesToCopy(first, last);
        // Destage only when that makes room at least for the data (else it is ENOSPC anyway).
        if (store.freePages() < fresh + copies && held > 0 && store.freePages() + held >= fresh) {
            destage();
            copies = pagesToCopy(first, last); // every page is durable now: each one with data needs a copy
        }
        if (store.freePages() < fresh) return false; // the data itself does not fit: nothing changed
        // The user's data comes first: with no room left for the copies, write through.
        boolean copy = holdCopiesOrWriteThrough(copies, fresh);
        for (long p = first; p <= last; p++) {
            if (saved.isUsed(p)) continue;
            if (store.isPageUsed(p)) {
                if (!copy) continue; // written through: this page's change is durable at once
                Native.jublk_memcpy(shadowBase + p * PAGE, store.address(p * PAGE), PAGE);
            } else {
                wasEmpty.markUsed(p, p); // durable content zeros: nothing to copy, no memory
            }
            saved.markUsed(p, p);
        }
        if (!store.reserveForWrite(offset, length)) {
            throw new IllegalStateException("the store's free memory changed under the write cache's lock");
        }
        data.copyInto(store.address(offset), length);
        return true;
    }

    /** Pages of [first, last] that need a copy to change (see {@link #needsCopy}). */
    private long pagesToCopy(long first, long last) {
        long n = 0;
        for (long p = first; p <= last; p++) {
            if (needsCopy(p)) n++;
        }
        return n;
    }

    /** Page {@code p} holds data and is not saved since the last flush: changing it needs a copy. */
    private boolean needsCopy(long p) {
        return !saved.isUsed(p) && store.isPageUsed(p);
    }

    /**
     * Claims {@code copies} saved copies if they fit beside {@code keepFree} pages the caller
     * still needs; else counts them written through. True if they are to be copied.
     */
    private boolean holdCopiesOrWriteThrough(long copies, long keepFree) {
        if (copies == 0) return true;
        if (store.freePages() - keepFree < copies) {
            writtenThrough += copies;
            return false;
        }
        if (!store.reserveExtra(copies)) {
            throw new IllegalStateException("the store's free memory changed under the write cache's lock");
        }
        held += copies;
        return true;
    }

    /**
     * A DISCARD or WRITE_ZEROES on a write-back disk: the durable content of each page it
     * changes is saved first, then the store zeros the range. It never needs new memory, so
     * the one thing that frees memory always works at the limit: a whole page the store
     * releases moves into the cache (counted once, as it was), and only a partial end page
     * needs a new copy (destaged for, or written through, as for a write). Done in 2 MiB
     * chunks, so memory never holds a large range twice on its way out.
     */
    public synchronized void zero(long offset, long length) {
        long end = offset + length;
        for (long at = offset; at < end; ) {
            long chunkEnd = Math.min(end, (at / ZERO_CHUNK + 1) * ZERO_CHUNK);
            zeroChunk(at, chunkEnd - at);
            at = chunkEnd;
        }
    }

    private void zeroChunk(long offset, long length) {
        long first = offset / PAGE;
        long last = (offset + length - 1) / PAGE;
        if (store.usedPagesIn(first, last) == 0) return; // reads zeros already: nothing changes
        long firstWhole = store.firstWholePage(offset);
        long endWhole = store.endWholePage(offset, length);
        // Only a partial end page (at most two) needs new memory; room for it is found before
        // any page is saved, so a destage cannot drop what this discard saved — and after a
        // destage they are counted again (a page saved before it needs its copy now).
        long partials = partialsToCopy(first, last, firstWhole, endWhole);
        if (store.freePages() < partials && held > 0) {
            destage();
            partials = partialsToCopy(first, last, firstWhole, endWhole);
        }
        boolean copyPartials = holdCopiesOrWriteThrough(partials, 0);
        for (long p = first; p <= last; p++) {
            if (!needsCopy(p)) continue;
            if (p >= firstWhole && p < endWhole) {
                store.addExtra(1); // the store gives this page back below: net no memory
                held++;
            } else if (!copyPartials) {
                continue; // written through
            }
            Native.jublk_memcpy(shadowBase + p * PAGE, store.address(p * PAGE), PAGE);
            saved.markUsed(p, p);
        }
        store.zero(offset, length);
    }

    /**
     * The partial end pages of [first, last] — outside [firstWhole, endWhole), so only {@code first}
     * and {@code last} — that need a copy.
     */
    private long partialsToCopy(long first, long last, long firstWhole, long endWhole) {
        long n = first < firstWhole && needsCopy(first) ? 1 : 0;
        if (last != first && last >= endWhole && needsCopy(last)) n++;
        return n;
    }

    /**
     * The cache is full: every change becomes durable now and the saved copies are given back
     * (a disk may always make data durable early; FLUSH and FUA promise only the other way).
     */
    private void destage() {
        destages++;
        dropSaved();
    }

    /**
     * A FUA write's data is in the store: [offset, offset+length) is durable now, so the saved
     * copies take it over (a later power cut keeps it, whatever else it undoes).
     */
    public synchronized void madeDurable(long offset, long length) {
        fuas++;
        if (!writeBack) return;
        long end = offset + length;
        for (long p = offset / PAGE; p * PAGE < end; p++) {
            if (!saved.isUsed(p)) continue; // nothing to undo there: the store's content is durable
            long from = Math.max(offset, p * PAGE);
            long to = Math.min(end, (p + 1) * PAGE);
            if (wasEmpty.isUsed(p)) {
                // The durable page was all zeros; its shadow page is still untouched zeros.
                wasEmpty.release(p, 1);
                // The copy below makes it a page in memory; a FUA write already done cannot be
                // refused, so it is counted whatever the limit (dropSaved gives it back).
                store.addExtra(1);
                held++;
            }
            Native.jublk_memcpy(shadowBase + from, store.address(from), to - from);
        }
    }

    /** A FLUSH: everything in the store is durable; the saved copies are given back. */
    public synchronized void flush() {
        flushes++;
        dropSaved();
    }

    /**
     * The power fails: the non-durable changes are undone ({@code loss} ALL), or for each
     * logical block of {@code blockSize} bytes of a changed page — each {@link #SECTOR} with
     * {@code tear} — undone or kept, drawn from {@code seed}. Then every request fails until
     * {@link #powerOn}. Only with no request in flight (a StoreGate pause). Returns the
     * number of blocks (sectors when torn) undone.
     */
    public synchronized long cut(Loss loss, long seed, boolean tear, int blockSize) {
        int unit = tear ? SECTOR : blockSize;
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        long undone = 0;
        int units = PAGE / unit;
        boolean[] undo = new boolean[units];
        // In page order, whatever order they were changed in: the same seed, the same outcome.
        // (Without write-back nothing was saved and there is no bitmap: a cut only powers off.)
        for (long p = writeBack ? saved.nextSet(0) : -1; p >= 0; p = saved.nextSet(p + 1)) {
            long base = p * PAGE;
            boolean empty = wasEmpty.isUsed(p);
            // A discard or write-zeroes since the flush released the store page (its bit is
            // clear, reads give zeros): what is undone must go back *with* the bit, or the
            // device would keep reading zeros and a later sub-page write would bring back the
            // rest of the old page — sectors changing without a write. Its memory is counted
            // whatever the limit: the saved copy holds as much, and dropSaved gives that back.
            boolean inStore = store.isPageUsed(p);
            boolean all = true;
            for (int u = 0; u < units; u++) {
                undo[u] = loss == Loss.ALL || random.nextBoolean();
                if (undo[u]) undone++;
                else all = false;
            }
            // A page that was zeros at the flush and is out of the store reads zeros already;
            // copying its zeros in would fault in a page nobody counts.
            if (empty && !inStore) continue;
            // A page that was zeros at the last flush and is undone whole goes back to using no
            // memory: released, not filled with zeros first.
            if (empty && all) {
                if (base < store.size()) store.zero(base, Math.min(PAGE, store.size() - base));
                continue;
            }
            for (int u = 0; u < units; u++) {
                if (!undo[u]) continue;
                int off = u * unit;
                if (!inStore) {
                    store.markPageUsed(p);
                    inStore = true;
                }
                Native.jublk_memcpy(store.address(base + off), shadowBase + base + off, unit);
            }
        }
        cuts++;
        lostBlocks += undone;
        dropSaved();
        poweredOff = true;
        return undone;
    }

    public void powerOn() {
        poweredOff = false;
    }

    public boolean poweredOff() {
        return poweredOff;
    }

    /** Every saved copy is given back (one madvise per run of copied pages) and forgotten. */
    private void dropSaved() {
        if (!writeBack || saved.usedPages() == 0) return;
        long runStart = -1, runEnd = -2;
        for (long p = saved.nextSet(0); p >= 0; p = saved.nextSet(p + 1)) {
            if (wasEmpty.isUsed(p)) continue; // never copied: its shadow page is untouched
            if (p != runEnd + 1) {
                releaseShadow(runStart, runEnd);
                runStart = p;
            }
            runEnd = p;
        }
        releaseShadow(runStart, runEnd);
        store.releaseExtra(held);
        held = 0;
        saved.releaseAll();
        wasEmpty.releaseAll();
    }

    private void releaseShadow(long firstPage, long lastPage) {
        if (firstPage < 0) return;
        Native.jublk_madvise(shadowBase + firstPage * PAGE, (lastPage - firstPage + 1) * PAGE, Native.MADV_DONTNEED);
    }

    /** Bytes of the store not yet durable (pages changed since the last flush). */
    public synchronized long nonDurableBytes() {
        return writeBack ? saved.usedPages() * PAGE : 0;
    }

    public synchronized long flushes() {
        return flushes;
    }

    public synchronized long fuas() {
        return fuas;
    }

    /** Times the cache was full at the memory limit and made everything durable to make room. */
    public synchronized long destages() {
        return destages;
    }

    /** Pages changed without a saved copy (durable at once) because even a destaged cache left no room. */
    public synchronized long writtenThroughPages() {
        return writtenThrough;
    }

    public synchronized long cuts() {
        return cuts;
    }

    /** Blocks (sectors, when torn) undone by all power cuts so far. */
    public synchronized long lostBlocks() {
        return lostBlocks;
    }

    @Override
    public synchronized void close() {
        if (!writeBack) return;
        Native.jublk_munmap(shadowBase, shadowLength);
        saved.close();
        wasEmpty.close();
    }
}
