package io.jublk.target;

import io.jublk.store.PageStore;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Tests: what a READ through a RAM disk returns, materialized as the queue would copy it. */
public final class ReadThrough {
    private ReadThrough() {}

    public static byte[] read(RamTarget disk, PageStore store, long offset, int length) {
        Completion c = new Completion();
        byte[] out = new byte[length];
        long base = store.address(0);
        disk.read(offset, length, c, (requestOffset, source, n) -> {
            if (source != 0) System.arraycopy(store.read(source - base, n), 0, out, requestOffset, n);
        });
        assertEquals(length, c.result, "read");
        if (!c.delivered && c.address != 0) return store.read(c.address - base, length);
        return out;
    }
}
