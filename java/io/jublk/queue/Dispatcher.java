package io.jublk.queue;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.target.Completion;
import io.jublk.target.Target;

import java.nio.ByteBuffer;

import static io.jublk.queue.ShimLayout.*;

/**
 * The per-queue request loop body, free of I/O: decodes a batch of completion events,
 * calls the {@link Target}, and writes the commit commands for the next native call.
 * It allocates nothing per request, so it can be unit-tested and benchmarked with a
 * fake target and hand-made events.
 */
public final class Dispatcher {
    private static final int ENODEV = Errno.ENODEV.negative();
    private static final int EIO = Errno.EIO.negative();
    private static final int EOPNOTSUPP = Errno.EOPNOTSUPP.negative();
    private static final int COMMIT_OP = Uapi.ioOp(Uapi.IO_COMMIT_AND_FETCH_REQ);
    private static final int FETCH_OP = Uapi.ioOp(Uapi.IO_FETCH_REQ);
    private static final int NEED_GET_DATA_OP = Uapi.ioOp(Uapi.IO_NEED_GET_DATA);

    private final Target target;
    private final int depth;
    private final long bufferBase;
    private final int bufferSize;
    private final Completion completion = new Completion();
    private final QueueStats stats;
    private final CopyMode mode;
    private final int qid;
    /** Direct mode: the result each tag's WRITE commits once its NEED_GET_DATA completes. */
    private final int[] pendingWrite;
    private int deadTags;
    private int lastError;

    /**
     * @param bufferBase address of tag 0's data buffer; tag t's is at base + t * bufferSize
     */
    public Dispatcher(Target target, int depth, long bufferBase, int bufferSize, QueueStats stats) {
        this(target, depth, bufferBase, bufferSize, stats, CopyMode.BUFFER, 0);
    }

    /**
     * @param bufferBase tag 0's buffer (in DIRECT mode the buffers are only addresses the
     *                   kernel requires in commands; it never copies into them)
     * @param bufferSize the largest request in bytes (max_io_buf_bytes)
     */
    public Dispatcher(Target target, int depth, long bufferBase, int bufferSize, QueueStats stats, CopyMode mode,
                      int qid) {
        this.mode = mode;
        this.qid = qid;
        this.pendingWrite = new int[depth];
        this.target = target;
        this.depth = depth;
        this.bufferBase = bufferBase;
        this.bufferSize = bufferSize;
        this.stats = stats;
    }

    public long bufferOf(int tag) {
        return bufferBase + (long) tag * bufferSize;
    }

    /** Writes one FETCH_REQ per tag into {@code cmds}; returns the count. */
    public int fetchAll(ByteBuffer cmds) {
        for (int tag = 0; tag < depth; tag++) {
            putCommand(cmds, tag, FETCH_OP, tag, 0, 0, 0, 0, commandBuffer(tag));
        }
        return depth;
    }

    /**
     * Handles {@code n} events; writes commits into {@code cmds} and returns how many.
     * Tags whose command ended (abort at stop, or a rejected command) are counted in
     * {@link #deadTags()} and not re-armed.
     */
    public int dispatch(ByteBuffer events, int n, ByteBuffer cmds) {
        int out = 0;
        for (int i = 0; i < n; i++) {
            int e = i * EVENT_SIZE;
            int tag = (int) (events.getLong(e + EV_USER_DATA) & 0xffff);
            int res = events.getInt(e + EV_RES);
            int cmdNr = (int) ((events.getLong(e + EV_USER_DATA) >>> 16) & 0xff);
            if (tag >= depth) {
                lastError = EIO;
                continue;
            }
            if (res == Uapi.IO_RES_OK && cmdNr == Uapi.IO_NEED_GET_DATA) {
                // Direct mode: the WRITE data is now in the store; complete the request.
                putCommand(cmds, out++, COMMIT_OP, tag, pendingWrite[tag], 0, 0, 0, 0);
            } else if (res == Uapi.IO_RES_OK) {
                handle(events, e + EV_IOD, tag);
                Completion c = completion;
                long addr = c.directAddress != 0 && mode == CopyMode.DIRECT ? c.directAddress : commandBuffer(tag);
                putCommand(cmds, out++, COMMIT_OP, tag, c.result, c.copyKind, c.copyDst, c.copySrc, c.copyLen, addr);
            } else if (res == Uapi.IO_RES_NEED_GET_DATA) {
                out = needGetData(events, e + EV_IOD, tag, cmds, out);
            } else {
                if (res != ENODEV) lastError = res;
                deadTags++;
            }
        }
        return out;
    }

    /** Direct mode, a WRITE announced without data: hand the kernel the store address (or fail it). */
    private int needGetData(ByteBuffer ev, int iod, int tag, ByteBuffer cmds, int out) {
        long sectors = Integer.toUnsignedLong(ev.getInt(iod + Uapi.IOD_NR_SECTORS));
        long start = ev.getLong(iod + Uapi.IOD_START_SECTOR);
        long length = sectors << 9;
        Completion c = completion;
        c.reset();
        if (start < 0 || start > (Long.MAX_VALUE >> 9) || length > bufferSize) c.fail(EIO);
        else target.writeDirect(start << 9, (int) length, c);
        stats.record(Uapi.OP_WRITE, length, c.result);
        // The kernel accepts only NEED_GET_DATA for this tag now, so even a refused WRITE
        // takes its data first: into a scratch buffer (tag 0's, which direct mode never uses
        // for data), never into the store; the COMMIT then carries the error.
        pendingWrite[tag] = c.result;
        long dataAddress = c.result < 0 ? bufferBase : c.directAddress;
        putCommand(cmds, out, NEED_GET_DATA_OP, tag, 0, 0, 0, 0, dataAddress);
        return out + 1;
    }

    /** The buffer address commands carry: none with USER_COPY (the kernel requires 0). */
    private long commandBuffer(int tag) {
        return mode == CopyMode.USER_COPY ? 0 : bufferOf(tag);
    }

    /** USER_COPY: turn the target's store address into a pread/pwrite on the request. */
    private void userCopy(Completion c, int tag, boolean toRequest) {
        if (c.result <= 0 || c.directAddress == 0) return;
        long pos = Uapi.userCopyPos(qid, tag, 0);
        long store = c.directAddress;
        int len = c.result;
        c.reset();
        c.result = len;
        c.copyLen = len;
        c.copyKind = toRequest ? COPY_TO_REQUEST : COPY_FROM_REQUEST;
        c.copyDst = toRequest ? pos : store;
        c.copySrc = toRequest ? store : pos;
    }

    private void handle(ByteBuffer ev, int iod, int tag) {
        int opFlags = ev.getInt(iod + Uapi.IOD_OP_FLAGS);
        int op = opFlags & 0xff;
        long sectors = Integer.toUnsignedLong(ev.getInt(iod + Uapi.IOD_NR_SECTORS));
        long start = ev.getLong(iod + Uapi.IOD_START_SECTOR);
        long offset = start << 9;
        long length = sectors << 9;
        Completion c = completion;
        c.reset();
        if (start < 0 || start > (Long.MAX_VALUE >> 9)) {
            c.fail(EIO);
        } else {
            switch (op) {
                case Uapi.OP_READ:
                    if (length > bufferSize) c.fail(EIO);
                    else if (mode == CopyMode.DIRECT) target.readDirect(offset, (int) length, c);
                    else if (mode == CopyMode.USER_COPY) {
                        target.readDirect(offset, (int) length, c);
                        userCopy(c, tag, true);
                    } else target.read(offset, (int) length, bufferOf(tag), c);
                    break;
                case Uapi.OP_WRITE:
                    if (length > bufferSize) c.fail(EIO);
                    else if (mode == CopyMode.USER_COPY) {
                        target.writeDirect(offset, (int) length, c);
                        userCopy(c, tag, false);
                    } else target.write(offset, (int) length, bufferOf(tag), c);
                    break;
                case Uapi.OP_FLUSH:
                    target.flush(c);
                    break;
                case Uapi.OP_DISCARD:
                    target.discard(offset, length, c);
                    break;
                case Uapi.OP_WRITE_ZEROES:
                    target.writeZeroes(offset, length, (opFlags & Uapi.IO_F_NOUNMAP) != 0, c);
                    break;
                default:
                    c.fail(EOPNOTSUPP);
            }
        }
        stats.record(op, length, c.result);
    }

    /** A command whose data (if any) is a plain memory copy or zero-fill. */
    static void putCommand(ByteBuffer cmds, int index, int op, int tag, int result,
                           long copyDst, long copySrc, long copyLen, long addr) {
        putCommand(cmds, index, op, tag, result, COPY_MEM, copyDst, copySrc, copyLen, addr);
    }

    static void putCommand(ByteBuffer cmds, int index, int op, int tag, int result, short copyKind,
                           long copyDst, long copySrc, long copyLen, long addr) {
        int b = index * CMD_SIZE;
        cmds.putLong(b + CMD_COPY_DST, copyDst);
        cmds.putLong(b + CMD_COPY_SRC, copySrc);
        cmds.putLong(b + CMD_COPY_LEN, copyLen);
        cmds.putInt(b + CMD_OP, op);
        cmds.putShort(b + CMD_TAG, (short) tag);
        cmds.putShort(b + CMD_COPY_KIND, copyKind);
        cmds.putInt(b + CMD_RESULT, result);
        cmds.putLong(b + CMD_ADDR, addr);
    }

    /** Tags whose command has ended; the queue is finished when this reaches the depth. */
    public int deadTags() {
        return deadTags;
    }

    /** The last error (other than the ENODEV abort) a command completed with, or 0. */
    public int lastError() {
        return lastError;
    }
}
