package io.jublk.store;

import io.jublk.nat.Native;
import io.jublk.nat.NativeException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which pages of the store hold data, and how many: one bit per 4 KiB page in a bitmap
 * that lives off the Java heap, in a sparse anonymous mapping of its own. The kernel
 * gives the bitmap a page only where a bit is set (one bitmap page covers 128 MiB of
 * disk), so the tracker costs nothing for an unwritten disk and never grows the 64 MiB
 * Java heap, however the writes are spread: random 4 KiB writes over 16 TiB cost bitmap
 * pages, not heap, and at most one bitmap page per data page.
 *
 * <p>This is what enforces the memory limit before a write copies anything, what tells a
 * read whether it can skip the store (never-written pages are served as zeros without
 * touching it), and what `stats` reports as pages in use.
 *
 * <p>Safe for concurrent queues: bits are set and cleared with CAS on 64-bit words, the
 * count is atomic; a limit check and the reservation are one CAS on the count, so queues
 * racing for the last pages cannot overshoot it. {@link #releaseAll} must not run while
 * requests are in flight (the store calls it at a {@link StoreGate} pause).
 */
public final class PageTracker implements AutoCloseable {
    private static final int PAGE_SHIFT = 12;
    private static final VarHandle WORD = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    /** Largest bitmap one direct ByteBuffer can address: 2^30 bytes = 2^33 pages = 32 TiB of disk. */
    public static final long MAX_PAGES = 1L << 33;

    private final long pages;
    private final long words;
    /**
     * With a summary ({@link #nextSet} is used): one more bit per chunk of 64 words (4096
     * pages, 16 MiB of disk), set once any bit of the chunk is, cleared only by releaseAll —
     * so enumerating the set pages of a mostly empty 32 TiB bitmap reads 256 KiB of summary,
     * not 1 GiB of bitmap. It lives in the same mapping, after the bitmap.
     */
    private final boolean summarized;
    private final long summaryOffset;
    private final long mapLength;
    private final ByteBuffer bits;
    private long mapAddress;
    private final AtomicLong used = new AtomicLong();
    private final long limitPages;

    /** @param limitBytes memory limit, or 0 for none */
    public PageTracker(long sizeBytes, long limitBytes) {
        this(sizeBytes, limitBytes, false);
    }

    /**
     * @param limitBytes memory limit, or 0 for none
     * @param summarized keep the chunk summary {@link #nextSet} uses to skip empty chunks (costs
     *                   a read per word a set touches: for bookkeeping bitmaps, not the store's)
     */
    public PageTracker(long sizeBytes, long limitBytes, boolean summarized) {
        this.pages = (sizeBytes + (1 << PAGE_SHIFT) - 1) >>> PAGE_SHIFT;
        if (pages > MAX_PAGES) throw new IllegalArgumentException("a store of " + sizeBytes + " bytes is too large to track");
        Native.ensureLoaded();
        this.words = (pages + 63) >>> 6;
        this.summarized = summarized;
        this.summaryOffset = words * 8;
        long summaryWords = summarized ? (((words + 63) >>> 6) + 63) >>> 6 : 0;
        this.mapLength = Math.max(4096, ((words + summaryWords) * 8 + 4095) / 4096 * 4096);
        this.mapAddress = NativeException.check("mmap of the page bitmap",
                Native.jublk_mmap(0, mapLength, Native.PROT_READ | Native.PROT_WRITE,
                        Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_NORESERVE, -1, 0));
        this.bits = new com.sun.jna.Pointer(mapAddress).getByteBuffer(0, mapLength).order(ByteOrder.nativeOrder());
        this.limitPages = limitBytes <= 0 ? Long.MAX_VALUE : limitBytes >>> PAGE_SHIFT;
    }

    /** Pages holding data now. */
    public long usedPages() {
        return used.get();
    }

    public long limitBytes() {
        return limitPages == Long.MAX_VALUE ? 0 : limitPages << PAGE_SHIFT;
    }

    public long pages() {
        return pages;
    }

    /**
     * Marks the pages of [offset, offset+length) as holding data. Returns false — and
     * marks nothing — if the pages not yet in use would take memory beyond the limit.
     */
    public boolean reserve(long offset, long length) {
        if (length <= 0) return true;
        long first = offset >>> PAGE_SHIFT;
        long last = (offset + length - 1) >>> PAGE_SHIFT;
        if (limitPages != Long.MAX_VALUE) {
            long fresh = (last - first + 1) - countSet(first, last);
            if (fresh == 0) return true;
            long u;
            do {
                u = used.get();
                if (u + fresh > limitPages) return false;
            } while (!used.compareAndSet(u, u + fresh));
            // Pages a racing queue marked meanwhile were counted twice: give them back.
            long already = fresh - setRange(first, last);
            if (already > 0) used.addAndGet(-already);
            return true;
        }
        used.addAndGet(setRange(first, last));
        return true;
    }

    /**
     * Marks pages [first, last] as holding data whatever the limit: they already do (a
     * recovered store's content, or one a power cut put back). Only with no request in flight.
     */
    public void markUsed(long first, long last) {
        if (last >= first) used.addAndGet(setRange(first, last));
    }

    /** Forgets the pages [firstPage, firstPage+pageCount) (they were returned to the kernel). */
    public void release(long firstPage, long pageCount) {
        if (pageCount <= 0) return;
        long last = firstPage + pageCount - 1;
        long cleared = 0;
        for (long w = firstPage >>> 6; w <= last >>> 6; w++) {
            long mask = maskOf(w, firstPage, last);
            long old = word(w);
            if ((old & mask) == 0) continue; // also keeps never-touched bitmap pages unallocated
            while (!WORD.compareAndSet(bits, (int) (w << 3), old, old & ~mask)) old = word(w);
            cleared += Long.bitCount(old & mask);
        }
        used.addAndGet(-cleared);
    }

    /**
     * Pages that may still be claimed before the limit (Long.MAX_VALUE without one). Exact only
     * while nothing else claims pages (a write-back disk changes its store under one lock).
     */
    public long freePages() {
        return limitPages == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, limitPages - used.get());
    }

    /**
     * Counts {@code n} pages of memory that are not store pages (a write cache's saved copies)
     * against the limit; false, and nothing counted, if they would exceed it.
     */
    public boolean reserveExtra(long n) {
        long u;
        do {
            u = used.get();
            if (limitPages != Long.MAX_VALUE && u + n > limitPages) return false;
        } while (!used.compareAndSet(u, u + n));
        return true;
    }

    /**
     * Counts {@code n} such pages whatever the limit: memory already taken that must be given
     * back later through {@link #releaseExtra} (so it is counted even when the limit is reached).
     */
    public void addExtra(long n) {
        used.addAndGet(n);
    }

    /** Gives back {@code n} pages counted by {@link #reserveExtra} or {@link #addExtra}. */
    public void releaseExtra(long n) {
        used.addAndGet(-n);
    }

    /** Forgets every page (and the summary) and gives the bitmap's own memory back. Only with no request in flight. */
    public void releaseAll() {
        NativeException.check("madvise(MADV_DONTNEED) of the page bitmap",
                Native.jublk_madvise(mapAddress, mapLength, Native.MADV_DONTNEED));
        used.set(0);
    }

    /** True if page {@code page} may hold data. */
    public boolean isUsed(long page) {
        return (word(page >>> 6) & (1L << (page & 63))) != 0;
    }

    /** How many pages of [first, last] hold data. */
    public long countSet(long first, long last) {
        long n = 0;
        for (long w = first >>> 6; w <= last >>> 6; w++) n += Long.bitCount(word(w) & maskOf(w, first, last));
        return n;
    }

    /** Sets the bits; returns how many were newly set. */
    private long setRange(long first, long last) {
        long added = 0;
        for (long w = first >>> 6; w <= last >>> 6; w++) {
            long mask = maskOf(w, first, last);
            long old = word(w);
            if ((old & mask) == mask) continue;
            while (!WORD.compareAndSet(bits, (int) (w << 3), old, old | mask)) old = word(w);
            added += Long.bitCount(mask & ~old);
            if (summarized) markChunk(w >>> 6);
        }
        return added;
    }

    /** Sets chunk {@code c}'s summary bit (after its word was set: a scanner never misses a set bit). */
    private void markChunk(long c) {
        int at = (int) (summaryOffset + ((c >>> 6) << 3));
        long bit = 1L << (c & 63);
        long old = (long) WORD.getVolatile(bits, at);
        while ((old & bit) == 0 && !WORD.compareAndSet(bits, at, old, old | bit)) old = (long) WORD.getVolatile(bits, at);
    }

    /**
     * The first page at or after {@code from} whose bit is set, or -1: pages in ascending order,
     * skipping chunks the summary shows empty. Only on a tracker made with a summary.
     */
    public long nextSet(long from) {
        if (!summarized) throw new IllegalStateException("nextSet needs a tracker made with a summary");
        if (from < 0) from = 0;
        if (from >= pages) return -1;
        long w = from >>> 6;
        long found = word(w) & (-1L << (from & 63));
        while (found == 0) {
            if (++w >= words) return -1;
            if ((w & 63) == 0) {
                long c = nextMarkedChunk(w >>> 6);
                if (c < 0) return -1;
                w = Math.max(w, c << 6);
            }
            found = word(w);
        }
        long p = (w << 6) + Long.numberOfTrailingZeros(found);
        return p < pages ? p : -1;
    }

    /** The first chunk at or after {@code c} whose summary bit is set, or -1. */
    private long nextMarkedChunk(long c) {
        long chunks = (words + 63) >>> 6;
        while (c < chunks) {
            long sw = (long) WORD.getVolatile(bits, (int) (summaryOffset + ((c >>> 6) << 3))) & (-1L << (c & 63));
            if (sw != 0) return ((c >>> 6) << 6) + Long.numberOfTrailingZeros(sw);
            c = ((c >>> 6) + 1) << 6;
        }
        return -1;
    }

    /** The bits of word {@code w} that fall in pages [first, last]. */
    private static long maskOf(long w, long first, long last) {
        long lo = Math.max(first, w << 6) & 63;
        long hi = Math.min(last, (w << 6) + 63) & 63;
        long upTo = hi == 63 ? -1L : (1L << (hi + 1)) - 1;
        return upTo & (-1L << lo);
    }

    private long word(long w) {
        return (long) WORD.getVolatile(bits, (int) (w << 3));
    }

    /** Unmaps the bitmap; only after every user of the store has stopped. */
    @Override
    public synchronized void close() {
        if (mapAddress != 0) {
            Native.jublk_munmap(mapAddress, mapLength);
            mapAddress = 0;
        }
    }
}
