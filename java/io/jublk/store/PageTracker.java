package io.jublk.store;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Which pages of the store hold data, and how many: one bit per 4 KiB page, in chunks
 * allocated on first write (a chunk covers 128 MiB of disk with a 4 KiB bitmap, so an
 * unwritten 1 TiB disk costs 64 KiB of chunk pointers). This is what enforces the memory
 * limit before a write copies anything, and what `stats` reports as pages in use.
 *
 * <p>Safe for concurrent queues: bits are set and cleared with CAS, the count is atomic.
 * A limit check and the reservation are one CAS on the count, so queues racing for the
 * last pages cannot overshoot it.
 */
public final class PageTracker {
    private static final int PAGE_SHIFT = 12;
    private static final int CHUNK_PAGES_SHIFT = 15;
    private static final int CHUNK_PAGES = 1 << CHUNK_PAGES_SHIFT;
    private static final int WORDS_PER_CHUNK = CHUNK_PAGES / 64;

    private final long pages;
    private final AtomicReferenceArray<AtomicLongArray> chunks;
    private final AtomicLong used = new AtomicLong();
    private volatile long limitPages;

    /** @param limitBytes memory limit, or 0 for none */
    public PageTracker(long sizeBytes, long limitBytes) {
        this.pages = (sizeBytes + (1 << PAGE_SHIFT) - 1) >>> PAGE_SHIFT;
        this.chunks = new AtomicReferenceArray<>((int) ((pages + CHUNK_PAGES - 1) >>> CHUNK_PAGES_SHIFT));
        this.limitPages = limitBytes <= 0 ? Long.MAX_VALUE : limitBytes >>> PAGE_SHIFT;
    }

    /** Pages holding data now. */
    public long usedPages() {
        return used.get();
    }

    public long limitBytes() {
        return limitPages == Long.MAX_VALUE ? 0 : limitPages << PAGE_SHIFT;
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
            long fresh = countClear(first, last);
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

    /** Forgets the whole pages of [offset, offset+length) (they were returned to the kernel). */
    public void release(long firstPage, long pageCount) {
        long cleared = 0;
        for (long p = firstPage; p < firstPage + pageCount; p++) {
            AtomicLongArray c = chunks.get((int) (p >>> CHUNK_PAGES_SHIFT));
            if (c == null) {
                p |= CHUNK_PAGES - 1; // skip the rest of an unallocated chunk
                continue;
            }
            int word = (int) ((p & (CHUNK_PAGES - 1)) >>> 6);
            long bit = 1L << (p & 63);
            long w;
            do {
                w = c.get(word);
                if ((w & bit) == 0) break;
            } while (!c.compareAndSet(word, w, w & ~bit));
            if ((w & bit) != 0) cleared++;
        }
        used.addAndGet(-cleared);
    }

    /** Forgets every page. */
    public void releaseAll() {
        for (int i = 0; i < chunks.length(); i++) chunks.set(i, null);
        used.set(0);
    }

    private long countClear(long first, long last) {
        long clear = 0;
        for (long p = first; p <= last; p++) {
            if (!isUsed(p)) clear++;
        }
        return clear;
    }

    /** Sets the bits; returns how many were newly set. */
    private long setRange(long first, long last) {
        long added = 0;
        for (long p = first; p <= last; p++) {
            AtomicLongArray c = chunk((int) (p >>> CHUNK_PAGES_SHIFT));
            int word = (int) ((p & (CHUNK_PAGES - 1)) >>> 6);
            long bit = 1L << (p & 63);
            long w;
            do {
                w = c.get(word);
                if ((w & bit) != 0) break;
            } while (!c.compareAndSet(word, w, w | bit));
            if ((w & bit) == 0) added++;
        }
        return added;
    }

    private AtomicLongArray chunk(int index) {
        AtomicLongArray c = chunks.get(index);
        if (c == null) {
            chunks.compareAndSet(index, null, new AtomicLongArray(WORDS_PER_CHUNK));
            c = chunks.get(index);
        }
        return c;
    }

    /** True if page {@code page} may hold data. */
    public boolean isUsed(long page) {
        AtomicLongArray c = chunks.get((int) (page >>> CHUNK_PAGES_SHIFT));
        return c != null && (c.get((int) ((page & (CHUNK_PAGES - 1)) >>> 6)) & (1L << (page & 63))) != 0;
    }

    public long pages() {
        return pages;
    }
}
