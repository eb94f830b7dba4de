package io.jublk.target;

import io.jublk.nat.Errno;
import io.jublk.store.PageStore;

/**
 * The RAM disk: requests served from a {@link PageStore}. Out-of-range requests fail with
 * EIO and never touch memory outside the store.
 */
public final class RamTarget implements Target {
    private static final int EIO = Errno.EIO.negative();
    private static final int ENOSPC = Errno.ENOSPC.negative();

    private final PageStore store;

    public RamTarget(PageStore store) {
        this.store = store;
    }

    public PageStore store() {
        return store;
    }

    @Override
    public void read(long offset, int length, long buffer, Completion c) {
        if (!store.contains(offset, length)) {
            c.fail(EIO);
            return;
        }
        c.copy(buffer, store.address(offset), length, length);
    }

    @Override
    public void write(long offset, int length, long buffer, Completion c) {
        int refused = admitWrite(offset, length);
        if (refused != 0) c.fail(refused);
        else c.copy(store.address(offset), buffer, length, length);
    }

    /**
     * 0 if a write of the range may go ahead, else why not: EIO out of range, ENOSPC over
     * --max-memory — refused before anything is copied (zram's mem_limit).
     */
    private int admitWrite(long offset, int length) {
        if (!store.contains(offset, length)) return EIO;
        return store.reserveForWrite(offset, length) ? 0 : ENOSPC;
    }

    @Override
    public void readDirect(long offset, int length, Completion c) {
        if (!store.contains(offset, length)) {
            c.fail(EIO);
            return;
        }
        c.direct(store.address(offset), length);
    }

    @Override
    public void writeDirect(long offset, int length, Completion c) {
        int refused = admitWrite(offset, length);
        if (refused != 0) c.fail(refused);
        else c.direct(store.address(offset), length);
    }

    @Override
    public void flush(Completion c) {
        // No volatile cache: data is in the store the moment a WRITE is committed.
        c.reset();
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
        if (!store.contains(offset, length)) {
            c.fail(EIO);
            return;
        }
        store.zero(offset, length);
        c.reset();
    }

    @Override
    public long size() {
        return store.size();
    }
}
