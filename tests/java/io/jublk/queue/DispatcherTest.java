package io.jublk.queue;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.target.Completion;
import io.jublk.target.ReadSink;
import io.jublk.target.Target;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The queue loop's decode → target → commit step, with a fake target and hand-made events. */
class DispatcherTest {
    static final int DEPTH = 8;
    static final int BUF = 1 << 20;
    static final long BUF_BASE = 0x7f0000000000L;

    /** Records calls; its "store" starts at 0x1000; writes at 1 MiB and beyond are refused with ENOSPC. */
    static class FakeTarget implements Target {
        final List<String> calls = new ArrayList<>();

        @Override
        public void read(long offset, int length, Completion c, ReadSink sink) {
            calls.add("read " + offset + " " + length);
            c.at(0x1000 + offset, length);
        }

        @Override
        public void write(long offset, int length, Completion c, io.jublk.store.WriteSource source) {
            calls.add("write " + offset + " " + length);
            if (offset >= 1 << 20) c.fail(Errno.ENOSPC.negative());
            else c.at(0x1000 + offset, length);
        }

        @Override
        public void flush(Completion c) {
            calls.add("flush");
        }

        @Override
        public void discard(long offset, long length, Completion c) {
            calls.add("discard " + offset + " " + length);
        }

        @Override
        public void writeZeroes(long offset, long length, boolean noUnmap, Completion c) {
            calls.add("zeroes " + offset + " " + length + " " + noUnmap);
        }

        @Override
        public long size() {
            return 1L << 30;
        }
    }

    static ByteBuffer events(int n) {
        return ByteBuffer.allocateDirect(n * ShimLayout.EVENT_SIZE).order(ByteOrder.nativeOrder());
    }

    static void event(ByteBuffer ev, int i, int tag, int res, int opFlags, int sectors, long start) {
        int b = i * ShimLayout.EVENT_SIZE;
        ev.putLong(b + ShimLayout.EV_USER_DATA, tag | ((long) Uapi.IO_FETCH_REQ << 16));
        ev.putInt(b + ShimLayout.EV_RES, res);
        ev.putInt(b + ShimLayout.EV_IOD + Uapi.IOD_OP_FLAGS, opFlags);
        ev.putInt(b + ShimLayout.EV_IOD + Uapi.IOD_NR_SECTORS, sectors);
        ev.putLong(b + ShimLayout.EV_IOD + Uapi.IOD_START_SECTOR, start);
    }

    static ByteBuffer cmds() {
        return ByteBuffer.allocateDirect(DEPTH * ShimLayout.CMD_SIZE).order(ByteOrder.nativeOrder());
    }

    private final FakeTarget target = new FakeTarget();
    private final QueueStats stats = new QueueStats();
    private final Dispatcher d = new Dispatcher(target, DEPTH, BUF_BASE, BUF, stats);

    @Test
    void fetchAllArmsEveryTagWithItsOwnBuffer() {
        ByteBuffer c = cmds();
        assertEquals(DEPTH, d.fetchAll(c));
        for (int tag = 0; tag < DEPTH; tag++) {
            int b = tag * ShimLayout.CMD_SIZE;
            assertEquals(Uapi.ioOp(Uapi.IO_FETCH_REQ), c.getInt(b + ShimLayout.CMD_OP));
            assertEquals(tag, c.getShort(b + ShimLayout.CMD_TAG));
            assertEquals(BUF_BASE + (long) tag * BUF, c.getLong(b + ShimLayout.CMD_ADDR));
            assertEquals(0, c.getLong(b + ShimLayout.CMD_COPY_LEN));
        }
    }

    @Test
    void readIsDecodedAndCommittedWithByteCountAndCopy() {
        ByteBuffer ev = events(1);
        event(ev, 0, 3, 0, Uapi.OP_READ, 8, 100);
        ByteBuffer c = cmds();
        assertEquals(1, d.dispatch(ev, 1, c));
        assertEquals(List.of("read 51200 4096"), target.calls);
        assertEquals(Uapi.ioOp(Uapi.IO_COMMIT_AND_FETCH_REQ), c.getInt(ShimLayout.CMD_OP));
        assertEquals(3, c.getShort(ShimLayout.CMD_TAG));
        assertEquals(4096, c.getInt(ShimLayout.CMD_RESULT), "READ results are byte counts");
        assertEquals(BUF_BASE + 3L * BUF, c.getLong(ShimLayout.CMD_COPY_DST));
        assertEquals(0x1000 + 51200, c.getLong(ShimLayout.CMD_COPY_SRC));
        assertEquals(4096, c.getLong(ShimLayout.CMD_COPY_LEN));
        assertEquals(BUF_BASE + 3L * BUF, c.getLong(ShimLayout.CMD_ADDR));
        assertEquals(1, stats.reads());
        assertEquals(4096, stats.bytes(Uapi.OP_READ));
    }

    @Test
    void theNullTargetCompletesReadsAndWritesWithNoCopyAndChecksBounds() {
        try (io.jublk.store.PageStore store = new io.jublk.store.PageStore(1 << 20)) {
            Dispatcher nul = new Dispatcher(new io.jublk.target.NullTarget(store), DEPTH, BUF_BASE, BUF, stats);
            ByteBuffer ev = events(3);
            event(ev, 0, 0, 0, Uapi.OP_READ, 8, 0);
            event(ev, 1, 1, 0, Uapi.OP_WRITE, 8, 8);
            event(ev, 2, 2, 0, Uapi.OP_WRITE, 8, (1 << 20) / 512); // just beyond the end
            ByteBuffer c = cmds();
            assertEquals(3, nul.dispatch(ev, 3, c));
            for (int i = 0; i < 2; i++) {
                assertEquals(4096, c.getInt(i * ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
                assertEquals(0, c.getLong(i * ShimLayout.CMD_SIZE + ShimLayout.CMD_COPY_LEN), "no data moves");
            }
            assertEquals(Errno.EIO.negative(), c.getInt(2 * ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
            assertEquals(0, store.usedBytes(), "the null target never writes its store");
        }
    }

    @Test
    void nonDataOpsCommitZeroAndFlagsAreTestedUnshifted() {
        ByteBuffer ev = events(4);
        event(ev, 0, 0, 0, Uapi.OP_FLUSH, 0, 0);
        event(ev, 1, 1, 0, Uapi.OP_DISCARD, 16, 8);
        event(ev, 2, 2, 0, Uapi.OP_WRITE_ZEROES | Uapi.IO_F_NOUNMAP, 8, 0);
        event(ev, 3, 4, 0, Uapi.OP_WRITE | Uapi.IO_F_FUA, 1, 1);
        ByteBuffer c = cmds();
        assertEquals(4, d.dispatch(ev, 4, c));
        assertEquals(List.of("flush", "discard 4096 8192", "zeroes 0 4096 true", "write 512 512"), target.calls);
        assertEquals(0, c.getInt(ShimLayout.CMD_RESULT));
        assertEquals(0, c.getInt(ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
        assertEquals(0, c.getInt(2 * ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
        assertEquals(512, c.getInt(3 * ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
    }

    /**
     * FUA durability comes when the data is in the store: at once for a target that copied it
     * itself (a write-back disk), after the batch call for one whose data the batch copies.
     */
    @Test
    void fuaIsDurableAtOnceWhenTheTargetCopiedTheDataElseAfterTheBatch() {
        FakeTarget copying = new FakeTarget() {
            @Override
            public void write(long offset, int length, Completion c, io.jublk.store.WriteSource source) {
                calls.add("write " + offset + " " + length);
                if (offset == 0) c.delivered(length);  // copied here, as WriteCache.write does
                else c.at(0x1000 + offset, length);    // copied by the batch call
            }

            @Override
            public void madeDurable(long offset, long length) {
                calls.add("durable " + offset + " " + length);
            }
        };
        List<String> calls = copying.calls;
        Dispatcher df = new Dispatcher(copying, DEPTH, BUF_BASE, BUF, stats);
        ByteBuffer ev = events(2);
        event(ev, 0, 0, 0, Uapi.OP_WRITE | Uapi.IO_F_FUA, 8, 0);
        event(ev, 1, 1, 0, Uapi.OP_WRITE | Uapi.IO_F_FUA, 8, 8);
        assertEquals(2, df.dispatch(ev, 2, cmds()));
        assertEquals(List.of("write 0 4096", "durable 0 4096", "write 4096 4096"), calls,
                "the write the target copied is durable before its commit; the other waits for its copy");
        df.afterBatch();
        assertEquals(List.of("write 0 4096", "durable 0 4096", "write 4096 4096", "durable 4096 4096"), calls);
        df.afterBatch();
        assertEquals(4, calls.size(), "each FUA write is reported once");
    }

    @Test
    void unknownOpsFailWithEopnotsuppAndNeverReachTheTarget() {
        ByteBuffer ev = events(2);
        event(ev, 0, 0, 0, Uapi.OP_WRITE_SAME, 8, 0);
        event(ev, 1, 1, 0, 18 /* REPORT_ZONES */, 8, 0);
        ByteBuffer c = cmds();
        assertEquals(2, d.dispatch(ev, 2, c));
        assertTrue(target.calls.isEmpty());
        assertEquals(Errno.EOPNOTSUPP.negative(), c.getInt(ShimLayout.CMD_RESULT));
        assertEquals(Errno.EOPNOTSUPP.negative(), c.getInt(ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
        assertEquals(2, stats.errors());
    }

    @Test
    void requestLargerThanTheTagBufferFailsWithEio() {
        ByteBuffer ev = events(1);
        event(ev, 0, 0, 0, Uapi.OP_WRITE, (BUF >> 9) + 8, 0);
        ByteBuffer c = cmds();
        d.dispatch(ev, 1, c);
        assertTrue(target.calls.isEmpty());
        assertEquals(Errno.EIO.negative(), c.getInt(ShimLayout.CMD_RESULT));
        assertEquals(0, c.getLong(ShimLayout.CMD_COPY_LEN), "a failed request copies nothing");
    }

    @Test
    void aRequestThatThrowsFailsAloneWithEioAndIsLogged() {
        List<String> logged = new ArrayList<>();
        FakeTarget flaky = new FakeTarget() {
            @Override
            public void write(long offset, int length, Completion c, io.jublk.store.WriteSource source) {
                if (offset == 4096) throw new IllegalStateException("madvise failed");
                super.write(offset, length, c, source);
            }
        };
        Dispatcher df = new Dispatcher(flaky, DEPTH, BUF_BASE, BUF, stats, CopyMode.BUFFER, 0, -1, logged::add);
        ByteBuffer ev = events(3);
        event(ev, 0, 0, 0, Uapi.OP_WRITE, 8, 0);
        event(ev, 1, 1, 0, Uapi.OP_WRITE, 8, 8);
        event(ev, 2, 2, 0, Uapi.OP_READ, 8, 8);
        ByteBuffer c = cmds();
        assertEquals(3, df.dispatch(ev, 3, c), "every request is committed, the failed one too");
        assertEquals(4096, c.getInt(ShimLayout.CMD_RESULT));
        assertEquals(Errno.EIO.negative(), c.getInt(ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
        assertEquals(0, c.getLong(ShimLayout.CMD_SIZE + ShimLayout.CMD_COPY_LEN), "the failed request copies nothing");
        assertEquals(4096, c.getInt(2 * ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT), "the queue goes on serving");
        assertEquals(1, df.failures());
        assertEquals(1, logged.size(), logged.toString());
        assertTrue(logged.get(0).contains("sector 8") && logged.get(0).contains("madvise failed"), logged.get(0));
        assertEquals(0, df.deadTags());
    }

    @Test
    void anErrorIsNotSwallowed() {
        FakeTarget broken = new FakeTarget() {
            @Override
            public void flush(Completion c) {
                throw new InternalError("the JVM is in trouble");
            }
        };
        Dispatcher db = new Dispatcher(broken, DEPTH, BUF_BASE, BUF, stats);
        ByteBuffer ev = events(1);
        event(ev, 0, 0, 0, Uapi.OP_FLUSH, 0, 0);
        assertThrows(InternalError.class, () -> db.dispatch(ev, 1, cmds()), "an Error ends the queue");
    }

    @Test
    void readsOfZerosAndPiecewiseReadsInBufferMode() throws Exception {
        try (io.jublk.nat.OffHeap buffers = new io.jublk.nat.OffHeap(2L * 8192);
             io.jublk.nat.OffHeap store = new io.jublk.nat.OffHeap(8192)) {
            for (int i = 0; i < 8192; i++) store.buffer().put(i, (byte) 9);
            for (int i = 0; i < 2 * 8192; i++) buffers.buffer().put(i, (byte) 0x5a);
            FakeTarget mixed = new FakeTarget() {
                @Override
                public void read(long offset, int length, Completion c, ReadSink sink) {
                    if (offset == 0) {
                        c.at(0, length); // never written: zeros
                        return;
                    }
                    sink.deliver(0, store.address(), 4096);
                    sink.deliver(4096, 0, length - 4096);
                    c.delivered(length);
                }
            };
            Dispatcher dm = new Dispatcher(mixed, 2, buffers.address(), 8192, stats);
            ByteBuffer ev = events(2);
            event(ev, 0, 0, 0, Uapi.OP_READ, 16, 0);
            event(ev, 1, 1, 0, Uapi.OP_READ, 16, 64);
            ByteBuffer c = cmds();
            assertEquals(2, dm.dispatch(ev, 2, c));
            assertEquals(0, c.getLong(ShimLayout.CMD_COPY_SRC), "zeros: a zero-fill, no source");
            assertEquals(8192, c.getLong(ShimLayout.CMD_COPY_LEN));
            assertEquals(buffers.address(), c.getLong(ShimLayout.CMD_COPY_DST));
            int b = ShimLayout.CMD_SIZE;
            assertEquals(8192, c.getInt(b + ShimLayout.CMD_RESULT));
            assertEquals(0, c.getLong(b + ShimLayout.CMD_COPY_LEN), "delivered already: nothing left to copy");
            for (int i = 0; i < 4096; i++) assertEquals(9, buffers.buffer().get(8192 + i), "data byte " + i);
            for (int i = 4096; i < 8192; i++) assertEquals(0, buffers.buffer().get(8192 + i), "zero byte " + i);
        }
    }

    @Test
    void userCopyModeMovesDataWithPreadPwriteOnTheRequestAndCommitsWithNoBuffer() {
        FakeTarget t = new FakeTarget();
        Dispatcher du = new Dispatcher(t, DEPTH, BUF_BASE, BUF, stats, CopyMode.USER_COPY, 1, -1, m -> { });
        ByteBuffer f = cmds();
        du.fetchAll(f);
        assertEquals(0, f.getLong(ShimLayout.CMD_ADDR), "USER_COPY commands carry no buffer");
        ByteBuffer ev = events(2);
        event(ev, 0, 2, 0, Uapi.OP_READ, 8, 16);
        event(ev, 1, 5, 0, Uapi.OP_WRITE, 8, 0);
        ByteBuffer c = cmds();
        assertEquals(2, du.dispatch(ev, 2, c));
        assertEquals(ShimLayout.COPY_TO_REQUEST, c.getShort(ShimLayout.CMD_COPY_KIND));
        assertEquals(Uapi.userCopyPos(1, 2, 0), c.getLong(ShimLayout.CMD_COPY_DST));
        assertEquals(0x1000 + 8192, c.getLong(ShimLayout.CMD_COPY_SRC));
        assertEquals(4096, c.getLong(ShimLayout.CMD_COPY_LEN));
        assertEquals(0, c.getLong(ShimLayout.CMD_ADDR));
        int w = ShimLayout.CMD_SIZE;
        assertEquals(ShimLayout.COPY_FROM_REQUEST, c.getShort(w + ShimLayout.CMD_COPY_KIND));
        assertEquals(0x1000, c.getLong(w + ShimLayout.CMD_COPY_DST));
        assertEquals(Uapi.userCopyPos(1, 5, 0), c.getLong(w + ShimLayout.CMD_COPY_SRC));
        assertEquals(4096, c.getInt(w + ShimLayout.CMD_RESULT));

        ByteBuffer refused = events(1);
        event(refused, 0, 3, 0, Uapi.OP_WRITE, 8, 4096); // beyond the fake's limit
        ByteBuffer c3 = cmds();
        assertEquals(1, du.dispatch(refused, 1, c3));
        assertEquals(Errno.ENOSPC.negative(), c3.getInt(ShimLayout.CMD_RESULT));
        assertEquals(0, c3.getLong(ShimLayout.CMD_COPY_LEN), "a refused WRITE's data is not taken");
    }

    @Test
    void abortsEndTheQueueAndAreNotReArmed() {
        ByteBuffer ev = events(DEPTH);
        for (int t = 0; t < DEPTH; t++) event(ev, t, t, Errno.ENODEV.negative(), 0, 0, 0);
        assertEquals(0, d.dispatch(ev, DEPTH, cmds()));
        assertEquals(DEPTH, d.deadTags());
        assertEquals(0, d.lastError(), "ENODEV is the normal stop, not an error");
    }

    @Test
    void rejectedCommandsAreRememberedAsErrors() {
        ByteBuffer ev = events(1);
        event(ev, 0, 0, Errno.EINVAL.negative(), 0, 0, 0);
        d.dispatch(ev, 1, cmds());
        assertEquals(1, d.deadTags());
        assertEquals(Errno.EINVAL.negative(), d.lastError());
    }

    @Test
    void fixedModeQueuesKernelCopiesBetweenTheStoreFileAndTheRequest() {
        List<String> logged = new ArrayList<>();
        FakeTarget t = new FakeTarget() {
            @Override
            public void read(long offset, int length, Completion c, ReadSink sink) {
                calls.add("read " + offset + " " + length);
                if (offset == 0) {
                    sink.deliver(0, 0x1000, 4096); // part written, part not: read from the file whole
                    sink.deliver(4096, 0, length - 4096);
                    c.delivered(length);
                } else {
                    c.at(0, length); // never written: the file's hole reads as zeros
                }
            }
        };
        Dispatcher df = new Dispatcher(t, DEPTH, BUF_BASE, BUF, stats, CopyMode.FIXED, 0, -1, logged::add);
        ByteBuffer f = cmds();
        df.fetchAll(f);
        assertEquals(0, f.getLong(ShimLayout.CMD_ADDR), "no buffer address: the shim puts the tag (buffer index)");

        ByteBuffer ev = events(3);
        event(ev, 0, 1, 0, Uapi.OP_READ, 16, 0);
        event(ev, 1, 2, 0, Uapi.OP_READ, 8, 64);
        event(ev, 2, 3, 0, Uapi.OP_WRITE, 8, 16);
        ByteBuffer c = cmds();
        assertEquals(3, df.dispatch(ev, 3, c));
        for (int i = 0; i < 2; i++) {
            int b = i * ShimLayout.CMD_SIZE;
            assertEquals(ShimLayout.COPY_FILE_TO_REQUEST, c.getShort(b + ShimLayout.CMD_COPY_KIND));
            assertEquals(i == 0 ? 0 : 64 * 512, c.getLong(b + ShimLayout.CMD_COPY_SRC), "file offset = disk offset");
            assertEquals(i == 0 ? 8192 : 4096, c.getLong(b + ShimLayout.CMD_COPY_LEN));
            assertEquals(0, c.getLong(b + ShimLayout.CMD_ADDR));
        }
        int w = 2 * ShimLayout.CMD_SIZE;
        assertEquals(ShimLayout.COPY_REQUEST_TO_FILE, c.getShort(w + ShimLayout.CMD_COPY_KIND));
        assertEquals(16 * 512, c.getLong(w + ShimLayout.CMD_COPY_DST));
        assertEquals(4096, c.getInt(w + ShimLayout.CMD_RESULT));

        // A short copy (tag 2: 512 of 4096; the shim hands over only failed or short ones)
        // cancelled its commit, so EIO.
        ByteBuffer done = events(1);
        event(done, 0, 2, 512, 0, 0, 0);
        done.putLong(ShimLayout.EV_USER_DATA, 2 | ((long) ShimLayout.FIXED_COPY_OP << 16));
        ByteBuffer c1 = cmds();
        assertEquals(1, df.dispatch(done, 1, c1), "the short copy's request is committed again");
        assertEquals(2, c1.getShort(ShimLayout.CMD_TAG));
        assertEquals(Errno.EIO.negative(), c1.getInt(ShimLayout.CMD_RESULT));
        assertTrue(logged.get(0).contains("was short: 512"), logged.toString());
        logged.clear();

        // The kernel's copy for tag 3 failed: the commit linked to it was cancelled, so the
        // request is committed again with EIO; the cancelled commit's -ECANCELED event
        // changes nothing; the tag stays alive.
        ByteBuffer failed = events(2);
        event(failed, 0, 3, Errno.EFAULT.negative(), 0, 0, 0);
        failed.putLong(ShimLayout.EV_USER_DATA, 3 | ((long) ShimLayout.FIXED_COPY_OP << 16));
        event(failed, 1, 3, Errno.ECANCELED.negative(), 0, 0, 0);
        failed.putLong(ShimLayout.EVENT_SIZE + ShimLayout.EV_USER_DATA, 3 | ((long) Uapi.IO_COMMIT_AND_FETCH_REQ << 16));
        ByteBuffer c2 = cmds();
        assertEquals(1, df.dispatch(failed, 2, c2));
        assertEquals(Uapi.ioOp(Uapi.IO_COMMIT_AND_FETCH_REQ), c2.getInt(ShimLayout.CMD_OP));
        assertEquals(3, c2.getShort(ShimLayout.CMD_TAG));
        assertEquals(Errno.EIO.negative(), c2.getInt(ShimLayout.CMD_RESULT));
        assertEquals(0, c2.getLong(ShimLayout.CMD_COPY_LEN));
        assertEquals(0, df.deadTags());
        assertEquals(0, df.lastError());
        assertEquals(2, df.failures());
        assertTrue(logged.get(0).contains("EFAULT"), logged.toString());
    }
}
