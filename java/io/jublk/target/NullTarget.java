package io.jublk.target;

import io.jublk.nat.Errno;
import io.jublk.store.PageStore;
import io.jublk.store.WriteSource;

/**
 * The null device ({@code ublk add -t null}): every request in range completes at once and
 * no data moves — reads return whatever the request's pages held, writes are dropped —
 * like ublksrv's null target. It measures what the server itself costs per request
 * (wake-up, decode, commit) without the copy, so jublk can be compared with the C reference.
 * The store is used only for its size; nothing is ever written to it.
 */
public final class NullTarget implements Target {
    private static final int EIO = Errno.EIO.negative();

    private final PageStore store;

    public NullTarget(PageStore store) {
        this.store = store;
    }

    @Override
    public void read(long offset, int length, Completion c, ReadSink sink) {
        complete(offset, length, c);
    }

    @Override
    public void write(long offset, int length, Completion c, WriteSource source) {
        complete(offset, length, c);
    }

    private void complete(long offset, int length, Completion c) {
        if (!store.contains(offset, length)) c.fail(EIO);
        else c.delivered(length); // nothing to copy, either way
    }

    @Override
    public void flush(Completion c) {
        c.reset();
    }

    @Override
    public void discard(long offset, long length, Completion c) {
        if (!store.contains(offset, length)) c.fail(EIO);
        else c.reset();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean noUnmap, Completion c) {
        discard(offset, length, c);
    }

    @Override
    public long size() {
        return store.size();
    }
}
