package io.jublk.queue;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static io.jublk.queue.DispatcherTest.*;
import static org.junit.jupiter.api.Assertions.*;

/** The Dispatcher with UBLK_F_BATCH_IO: the commands it writes and the batch commands' own events. */
class BatchDispatchTest {
    private final FakeTarget target = new FakeTarget();
    private final List<String> logged = new ArrayList<>();
    private final Dispatcher d = new Dispatcher(target, DEPTH, BUF_BASE, BUF, new QueueStats(), CopyMode.BUFFER, 0, -1,
            logged::add).useBatchIo();

    private static ByteBuffer batchCmds() {
        return ByteBuffer.allocateDirect((DEPTH + 1) * ShimLayout.CMD_SIZE).order(ByteOrder.nativeOrder());
    }

    /** An event of a batch command itself, as the shim reports it (tag 0xffff). */
    private static void commandEvent(ByteBuffer ev, int i, int opNr, int nrElem, int res) {
        int b = i * ShimLayout.EVENT_SIZE;
        ev.putLong(b + ShimLayout.EV_USER_DATA, Dispatcher.NO_TAG | ((long) opNr << 16) | ((long) nrElem << 32));
        ev.putInt(b + ShimLayout.EV_RES, res);
    }

    @Test
    void startPreparesEveryTagWithItsBufferAndArmsOneFetch() {
        ByteBuffer c = batchCmds();
        assertEquals(DEPTH + 1, d.fetchAll(c));
        for (int tag = 0; tag < DEPTH; tag++) {
            int b = tag * ShimLayout.CMD_SIZE;
            assertEquals(Uapi.ioOp(Uapi.IO_PREP_IO_CMDS), c.getInt(b + ShimLayout.CMD_OP));
            assertEquals(tag, c.getShort(b + ShimLayout.CMD_TAG));
            assertEquals(BUF_BASE + (long) tag * BUF, c.getLong(b + ShimLayout.CMD_ADDR));
        }
        assertEquals(Uapi.ioOp(Uapi.IO_FETCH_IO_CMDS), c.getInt(DEPTH * ShimLayout.CMD_SIZE + ShimLayout.CMD_OP));
    }

    @Test
    void requestsAreCommittedWithCommitIoCmds() {
        ByteBuffer ev = events(2);
        event(ev, 0, 3, 0, Uapi.OP_READ, 8, 100);
        event(ev, 1, 5, 0, Uapi.OP_WRITE, 8, 0);
        ByteBuffer c = batchCmds();
        assertEquals(2, d.dispatch(ev, 2, c));
        for (int i = 0; i < 2; i++) {
            assertEquals(Uapi.ioOp(Uapi.IO_COMMIT_IO_CMDS), c.getInt(i * ShimLayout.CMD_SIZE + ShimLayout.CMD_OP));
            assertEquals(4096, c.getInt(i * ShimLayout.CMD_SIZE + ShimLayout.CMD_RESULT));
        }
        assertEquals(5, c.getShort(ShimLayout.CMD_SIZE + ShimLayout.CMD_TAG));
        assertEquals(0, d.deadTags());
    }

    @Test
    void aFetchOutOfTagBuffersIsArmedAgainBehindTheCommits() {
        ByteBuffer ev = events(2);
        event(ev, 0, 1, 0, Uapi.OP_READ, 8, 0);
        commandEvent(ev, 1, Uapi.IO_FETCH_IO_CMDS, 0, Errno.ENOBUFS.negative());
        ByteBuffer c = batchCmds();
        assertEquals(2, d.dispatch(ev, 2, c));
        assertEquals(Uapi.ioOp(Uapi.IO_COMMIT_IO_CMDS), c.getInt(ShimLayout.CMD_OP));
        assertEquals(Uapi.ioOp(Uapi.IO_FETCH_IO_CMDS), c.getInt(ShimLayout.CMD_SIZE + ShimLayout.CMD_OP));
        assertEquals(0, d.deadTags());
        assertEquals(0, d.lastError());
    }

    @Test
    void aFetchAbortedByStopEndsTheQueueWithoutError() {
        ByteBuffer ev = events(1);
        commandEvent(ev, 0, Uapi.IO_FETCH_IO_CMDS, 0, Errno.ENODEV.negative());
        assertEquals(0, d.dispatch(ev, 1, batchCmds()));
        assertEquals(DEPTH, d.deadTags());
        assertEquals(0, d.lastError());
    }

    @Test
    void aPartialCommitEndsTheQueueWithAnErrorThatSaysWhat() {
        ByteBuffer ev = events(1);
        commandEvent(ev, 0, Uapi.IO_COMMIT_IO_CMDS, 4, 32);
        assertEquals(0, d.dispatch(ev, 1, batchCmds()));
        assertEquals(DEPTH, d.deadTags(), "requests nobody will complete: the queue must end, not hang");
        assertEquals(Errno.EIO.negative(), d.lastError());
        assertEquals(1, logged.size());
        assertTrue(logged.get(0).contains("COMMIT_IO_CMDS of 4 requests handled only 32 bytes"), logged.get(0));
    }

    @Test
    void aRejectedPrepIsReportedWithTheKernelsError() {
        ByteBuffer ev = events(1);
        commandEvent(ev, 0, Uapi.IO_PREP_IO_CMDS, DEPTH, Errno.EINVAL.negative());
        d.dispatch(ev, 1, batchCmds());
        assertEquals(Errno.EINVAL.negative(), d.lastError());
        assertTrue(logged.get(0).contains("PREP_IO_CMDS") && logged.get(0).contains("EINVAL"), logged.get(0));
    }
}
