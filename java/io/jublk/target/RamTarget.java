package io.jublk.target;

import io.jublk.nat.Errno;
import io.jublk.store.PageStore;
import io.jublk.store.WriteCache;
import io.jublk.store.WriteSource;

/**
 * The RAM disk: requests served from a {@link PageStore}. Out-of-range requests fail with
 * EIO and never touch memory outside the store. Reads never touch a page that was never
 * written: such ranges are served as zeros, so reading an empty disk costs no memory, not
 * even page tables.
 */
public final class RamTarget implements Target {
    private static final int EIO = Errno.EIO.negative();
    private static final int ENOSPC = Errno.ENOSPC.negative();
    private static final int PAGE = PageStore.PAGE_SIZE;

    private final PageStore store;
    /** The simulated volatile write cache (--cache writeback), or null: every write durable at once. */
    private final WriteCache cache;

    public RamTarget(PageStore store) {
        this(store, null);
    }

    public RamTarget(PageStore store, WriteCache cache) {
        this.store = store;
        this.cache = cache;
    }

    /** After a simulated power cut every request fails, as on a disk without power. */
    private boolean poweredOff(Completion c) {
        if (cache == null || !cache.poweredOff()) return false;
        c.fail(EIO);
        return true;
    }

    public PageStore store() {
        return store;
    }

    @Override
    public void read(long offset, int length, Completion c, ReadSink sink) {
        if (poweredOff(c)) return;
        if (!store.contains(offset, length)) {
            c.fail(EIO);
            return;
        }
        if (length == 0) {
            c.at(0, 0);
            return;
        }
        long first = offset / PAGE;
        long last = (offset + length - 1) / PAGE;
        long used = store.usedPagesIn(first, last);
        if (used == last - first + 1) c.at(store.address(offset), length);
        else if (used == 0) c.at(0, length);
        else deliverPiecewise(offset, length, first, last, c, sink);
    }

    /** Part written, part never written: runs of written pages from the store, the rest as zeros. */
    private void deliverPiecewise(long offset, int length, long first, long last, Completion c, ReadSink sink) {
        long end = offset + length;
        long runStart = offset;
        boolean runUsed = store.isPageUsed(first);
        for (long p = first + 1; p <= last + 1; p++) {
            boolean u = p <= last && store.isPageUsed(p);
            if (p <= last && u == runUsed) continue;
            long runEnd = Math.min(end, p * PAGE);
            sink.deliver((int) (runStart - offset), runUsed ? store.address(runStart) : 0, (int) (runEnd - runStart));
            runStart = runEnd;
            runUsed = u;
        }
        c.delivered(length);
    }

    @Override
    public void write(long offset, int length, Completion c, WriteSource source) {
        if (poweredOff(c)) return;
        if (!store.contains(offset, length)) c.fail(EIO);
        else if (cache != null && cache.writeBack()) {
            // The cache saves, claims and copies under one lock (see WriteCache.write).
            if (source == null) throw new IllegalStateException("a write-back disk needs the request's data source");
            if (cache.write(offset, length, source)) c.delivered(length);
            else c.fail(ENOSPC);
        }
        // --max-memory: refused before anything is copied (zram's mem_limit).
        else if (!store.reserveForWrite(offset, length)) c.fail(ENOSPC);
        else c.at(store.address(offset), length);
    }

    @Override
    public void madeDurable(long offset, long length) {
        if (cache != null) cache.madeDurable(offset, length);
    }

    @Override
    public void flush(Completion c) {
        if (poweredOff(c)) return;
        // Without a write-back cache data is durable the moment a WRITE is committed.
        c.reset();
        if (cache != null) cache.flush();
    }

    @Override
    public void discard(long offset, long length, Completion c) {
        zero(offset, length, c);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean noUnmap, Completion c) {
        // NOUNMAP asks that the range stay provisioned; a RAM disk has nothing to provision,
        // and zero pages read back as zeros either way, so memory is returned in both cases.
        zero(offset, length, c);
    }

    private void zero(long offset, long length, Completion c) {
        if (poweredOff(c)) return;
        if (!store.contains(offset, length)) {
            c.fail(EIO);
            return;
        }
        if (cache != null && cache.writeBack()) cache.zero(offset, length); // never refused, even at the limit
        else store.zero(offset, length);
        c.reset();
    }

    @Override
    public long size() {
        return store.size();
    }
}
