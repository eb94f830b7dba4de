package io.jublk.queue;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.target.Completion;
import io.jublk.target.ReadSink;
import io.jublk.target.Target;
import io.jublk.store.WriteSource;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

import static io.jublk.queue.ShimLayout.*;

/**
 * The per-queue request loop body, free of I/O: decodes a batch of completion events,
 * calls the {@link Target}, and writes the commit commands for the next native call.
 * It allocates nothing per request, so it can be unit-tested and benchmarked with a
 * fake target and hand-made events.
 *
 * <p>It is also the one place that knows who moves the bytes in each {@link CopyMode}:
 * the target only names memory, this class turns that into the shim's copy.
 *
 * <p>A request whose handling throws fails alone, with EIO, and is logged; the queue goes
 * on. Only an {@link Error} (the JVM itself in trouble) ends the queue.
 */
public final class Dispatcher implements ReadSink, WriteSource {
    private static final int ENODEV = Errno.ENODEV.negative();
    private static final int EIO = Errno.EIO.negative();
    private static final int EOPNOTSUPP = Errno.EOPNOTSUPP.negative();
    private static final int COMMIT_OP = Uapi.ioOp(Uapi.IO_COMMIT_AND_FETCH_REQ);
    private static final int FETCH_OP = Uapi.ioOp(Uapi.IO_FETCH_REQ);
    private static final int BATCH_PREP_OP = Uapi.ioOp(Uapi.IO_PREP_IO_CMDS);
    private static final int BATCH_COMMIT_OP = Uapi.ioOp(Uapi.IO_COMMIT_IO_CMDS);
    private static final int BATCH_FETCH_OP = Uapi.ioOp(Uapi.IO_FETCH_IO_CMDS);
    /** The tag of a batch command's own event (see jublk_batch_setup): no request has it. */
    static final int NO_TAG = 0xffff;
    private static final int ENOBUFS = Errno.ENOBUFS.negative();
    private static final int ECANCELED = Errno.ECANCELED.negative();
    /** Failed requests logged in full per queue; after that only every 1000th. */
    private static final int LOGGED_FAILURES = 10;

    private final Target target;
    private final int depth;
    private final long bufferBase;
    private final int bufferSize;
    private final Completion completion = new Completion();
    private final QueueStats stats;
    private final CopyMode mode;
    private final int qid;
    /** /dev/ublkcN, for USER_COPY reads delivered piecewise. */
    private final int cdevFd;
    private final Consumer<String> log;
    /** The tag being handled (where {@link #deliver} puts data). */
    private int currentTag;
    private long failures;
    private int deadTags;
    private int lastError;
    /** UBLK_F_BATCH_IO: PREP/COMMIT_IO_CMDS and a multishot FETCH_IO_CMDS instead of per-tag commands. */
    private boolean batchIo;
    /** FUA writes of the current batch, reported to the target once their data is in place ({@link #afterBatch}). */
    private final long[] fuaOffsets;
    private final long[] fuaLengths;
    private int fuaCount;

    /** A BUFFER-mode dispatcher for queue 0 that logs nowhere (tests and benchmarks). */
    public Dispatcher(Target target, int depth, long bufferBase, int bufferSize, QueueStats stats) {
        this(target, depth, bufferBase, bufferSize, stats, CopyMode.BUFFER, 0, -1, m -> { });
    }

    /**
     * @param bufferBase tag 0's buffer; tag t's is at base + t * bufferSize (unused by USER_COPY)
     * @param bufferSize the largest request in bytes (max_io_buf_bytes)
     * @param cdevFd     the queue's /dev/ublkcN (USER_COPY)
     */
    public Dispatcher(Target target, int depth, long bufferBase, int bufferSize, QueueStats stats, CopyMode mode,
                      int qid, int cdevFd, Consumer<String> log) {
        this.mode = mode;
        this.qid = qid;
        this.cdevFd = cdevFd;
        this.log = log;
        this.target = target;
        this.depth = depth;
        this.bufferBase = bufferBase;
        this.bufferSize = bufferSize;
        this.stats = stats;
        this.fuaOffsets = new long[depth];
        this.fuaLengths = new long[depth];
    }

    /** Serve with the BATCH_IO commands (the ring must be set up for them: jublk_batch_setup). */
    public Dispatcher useBatchIo() {
        batchIo = true;
        return this;
    }

    public long bufferOf(int tag) {
        return bufferBase + (long) tag * bufferSize;
    }

    /**
     * Writes the commands that hand every tag to the kernel into {@code cmds}: one FETCH_REQ
     * per tag, or with BATCH_IO one PREP element per tag and the multishot fetch. Returns the count.
     */
    public int fetchAll(ByteBuffer cmds) {
        int op = batchIo ? BATCH_PREP_OP : FETCH_OP;
        for (int tag = 0; tag < depth; tag++) {
            putCommand(cmds, tag, op, tag, 0, COPY_MEM, 0, 0, 0, commandBuffer(tag));
        }
        if (!batchIo) return depth;
        putFetch(cmds, depth);
        return depth + 1;
    }

    private static void putFetch(ByteBuffer cmds, int index) {
        putCommand(cmds, index, BATCH_FETCH_OP, NO_TAG, 0, COPY_MEM, 0, 0, 0, 0);
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
            long userData = events.getLong(e + EV_USER_DATA);
            int tag = (int) (userData & 0xffff);
            int res = events.getInt(e + EV_RES);
            int written = mode == CopyMode.FIXED ? fixedCopyEvent(userData, tag, res, cmds, out) : -1;
            if (written >= 0) {
                out += written;
                continue;
            }
            if (tag == NO_TAG && batchIo) {
                out = batchCommandEnded(events.getLong(e + EV_USER_DATA), res, cmds, out);
                continue;
            }
            if (tag >= depth) {
                lastError = EIO;
                continue;
            }
            if (res == Uapi.IO_RES_OK) {
                Completion c = completion;
                handleSafely(events, e + EV_IOD, tag, c);
                putCommand(cmds, out++, batchIo ? BATCH_COMMIT_OP : COMMIT_OP, tag, c.result, c.copyKind, c.copyDst,
                        c.copySrc, c.copyLen, commandBuffer(tag));
            } else {
                if (res != ENODEV) lastError = res;
                deadTags++;
            }
        }
        return out;
    }

    /**
     * Copy mode FIXED: the event of a fixed copy that failed or was short (the shim counts off
     * the ones that moved the whole request and hands them not over). The commit linked to it
     * was cancelled, so the request is still ours: it is committed again, with EIO (written
     * into {@code cmds[out]}). The cancelled commit's own event carries -ECANCELED and is
     * ignored. Returns the number of commands written, or -1 if the event was neither.
     */
    private int fixedCopyEvent(long userData, int tag, int res, ByteBuffer cmds, int out) {
        int op = (int) (userData >>> 16) & 0xff;
        if (op == FIXED_COPY_OP) {
            failures++;
            if (failures <= LOGGED_FAILURES || failures % 1000 == 0) {
                log.accept("queue " + qid + ": tag " + tag + ": the kernel's copy between the store file and the request "
                        + (res < 0 ? "failed: " + Errno.describe(res) : "was short: " + res + " bytes")
                        + "; the request fails with EIO (" + failures + " so far)");
            }
            if (tag >= depth) return 0;
            putCommand(cmds, out, COMMIT_OP, tag, EIO, COPY_MEM, 0, 0, 0, 0);
            return 1;
        }
        return op == (COMMIT_OP & 0xff) && res == ECANCELED ? 0 : -1;
    }

    /**
     * A BATCH_IO command's own event. The multishot fetch ended: out of tag buffers (ENOBUFS)
     * it is armed again; aborted by STOP_DEV (ENODEV) or failed, every tag is done. A PREP or
     * COMMIT that failed or handled fewer elements than sent leaves requests nobody will
     * complete: the queue ends with the error, so the device is stopped rather than hung.
     */
    private int batchCommandEnded(long userData, int res, ByteBuffer cmds, int out) {
        int op = (int) (userData >>> 16) & 0xff;
        if (op == Uapi.IO_FETCH_IO_CMDS && res == ENOBUFS) {
            putFetch(cmds, out);
            return out + 1;
        }
        if (op == Uapi.IO_FETCH_IO_CMDS) {
            if (res != ENODEV) lastError = res;
        } else {
            int elements = (int) (userData >>> 32) & 0xffff;
            lastError = res < 0 ? res : EIO;
            log.accept("queue " + qid + ": " + (op == Uapi.IO_PREP_IO_CMDS ? "PREP" : "COMMIT") + "_IO_CMDS of "
                    + elements + " requests " + (res < 0 ? "failed: " + Errno.describe(res) : "handled only " + res + " bytes"));
        }
        deadTags = depth;
        return out;
    }

    /** {@link #handle}, with any exception turned into EIO for this request alone. */
    private void handleSafely(ByteBuffer ev, int iod, int tag, Completion c) {
        try {
            handle(ev, iod, tag, c);
        } catch (RuntimeException ex) {
            c.fail(EIO);
            failures++;
            if (failures <= LOGGED_FAILURES || failures % 1000 == 0) {
                log.accept("queue " + qid + ": request failed with EIO (" + failures + " so far): "
                        + describe(ev, iod, tag) + ": " + ex);
            }
            stats.record(ev.getInt(iod + Uapi.IOD_OP_FLAGS) & 0xff, 0, EIO);
        }
    }

    private static String describe(ByteBuffer ev, int iod, int tag) {
        return "tag " + tag + " op " + (ev.getInt(iod + Uapi.IOD_OP_FLAGS) & 0xff) + " sector "
                + ev.getLong(iod + Uapi.IOD_START_SECTOR) + " +" + Integer.toUnsignedString(ev.getInt(iod + Uapi.IOD_NR_SECTORS));
    }

    /**
     * The buffer address commands carry: none with USER_COPY (the kernel requires 0); with
     * FIXED the shim puts the tag there as the buffer index.
     */
    private long commandBuffer(int tag) {
        return mode.bufferless() ? 0 : bufferOf(tag);
    }

    private void handle(ByteBuffer ev, int iod, int tag, Completion c) {
        int opFlags = ev.getInt(iod + Uapi.IOD_OP_FLAGS);
        int op = opFlags & 0xff;
        long sectors = Integer.toUnsignedLong(ev.getInt(iod + Uapi.IOD_NR_SECTORS));
        long start = ev.getLong(iod + Uapi.IOD_START_SECTOR);
        long offset = start << 9;
        long length = sectors << 9;
        c.reset();
        currentTag = tag;
        // A FLUSH has no range: the block layer sends its flush requests with sector -1 (which
        // failed every flush with EIO here until a disk announced a write-back cache).
        if (op != Uapi.OP_FLUSH && (start < 0 || start > (Long.MAX_VALUE >> 9))) {
            c.fail(EIO);
        } else {
            switch (op) {
                case Uapi.OP_READ:
                    if (length > bufferSize) c.fail(EIO);
                    else {
                        target.read(offset, (int) length, c, this);
                        // FIXED reads every range from the store file (a hole reads as zeros), so a
                        // piecewise delivery (ignored in deliver) becomes one copy too.
                        if (c.result > 0 && (!c.delivered || mode == CopyMode.FIXED)) readCopy(c, tag, offset);
                    }
                    break;
                case Uapi.OP_WRITE:
                    if (length > bufferSize) c.fail(EIO);
                    else {
                        target.write(offset, (int) length, c, this);
                        if (c.result > 0 && !c.delivered) writeCopy(c, tag, offset);
                        if (c.result > 0 && (opFlags & Uapi.IO_F_FUA) != 0) fuaWritten(c, offset, length);
                    }
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

    /**
     * READ data from c.address (0: zeros) to the request. FIXED reads the disk's {@code offset}
     * in the store file instead: the file holds the disk at the same offsets.
     */
    private void readCopy(Completion c, int tag, long offset) {
        switch (mode) {
            case USER_COPY -> c.copy(COPY_TO_REQUEST, Uapi.userCopyPos(qid, tag, 0), c.address, c.result);
            case FIXED -> c.copy(COPY_FILE_TO_REQUEST, 0, offset, c.result);
            default -> c.copy(COPY_MEM, bufferOf(tag), c.address, c.result);
        }
    }

    /** WRITE data from the request to c.address (FIXED: to the store file at {@code offset}). */
    private void writeCopy(Completion c, int tag, long offset) {
        switch (mode) {
            case USER_COPY -> c.copy(COPY_FROM_REQUEST, c.address, Uapi.userCopyPos(qid, tag, 0), c.result);
            case FIXED -> c.copy(COPY_REQUEST_TO_FILE, offset, 0, c.result);
            default -> c.copy(COPY_MEM, c.address, bufferOf(tag), c.result);
        }
    }

    /**
     * A READ delivered piecewise (rare: a range part written, part never written), done
     * at once rather than in the batch call.
     */
    @Override
    public void deliver(int requestOffset, long source, int length) {
        if (mode == CopyMode.FIXED) return; // the whole range is read from the store file
        if (mode == CopyMode.USER_COPY) {
            int res = Native.jublk_user_copy(cdevFd, 1, source, length, Uapi.userCopyPos(qid, currentTag, requestOffset));
            if (res < 0) throw new io.jublk.nat.NativeException("pwrite to the request", res);
        } else {
            long dst = bufferOf(currentTag) + requestOffset;
            if (source == 0) Native.jublk_memset(dst, 0, length);
            else Native.jublk_memcpy(dst, source, length);
        }
    }

    /** A WRITE whose target copies the data itself (a write-back disk, under its cache's lock). */
    @Override
    public void copyInto(long address, int length) {
        switch (mode) {
            case USER_COPY -> {
                int res = Native.jublk_user_copy(cdevFd, 0, address, length, Uapi.userCopyPos(qid, currentTag, 0));
                if (res < 0) throw new io.jublk.nat.NativeException("pread from the request", res);
            }
            case FIXED -> throw new IllegalStateException("copy mode fixed copies through the store file only");
            default -> Native.jublk_memcpy(address, bufferOf(currentTag), length);
        }
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

    /**
     * A FUA write is durable once its data is in the store. A target that copied the data itself
     * (a write-back disk copies under its cache's lock) has it there now: it is told at once,
     * before the write is committed. Otherwise the batch call copies it, and {@link #afterBatch}
     * tells the target. (Deferred even when the data was in place, a FUA write on a queue that
     * then waited idle was made durable only at its next request: by then a later write to the
     * same page, acknowledged and volatile, was copied into the durable content with it.)
     */
    private void fuaWritten(Completion c, long offset, long length) {
        if (c.delivered) target.madeDurable(offset, length);
        else if (fuaCount < fuaOffsets.length) {
            fuaOffsets[fuaCount] = offset;
            fuaLengths[fuaCount++] = length;
        }
    }

    /**
     * After the batch call that copied (and committed) the requests of the last dispatch:
     * their FUA writes' data is in the store, so the target may count it durable. Called
     * before the queue can pause (a power cut happens only at a pause).
     */
    public void afterBatch() {
        for (int i = 0; i < fuaCount; i++) target.madeDurable(fuaOffsets[i], fuaLengths[i]);
        fuaCount = 0;
    }

    /** Tags whose command has ended; the queue is finished when this reaches the depth. */
    public int deadTags() {
        return deadTags;
    }

    /** The last error (other than the ENODEV abort) a command completed with, or 0. */
    public int lastError() {
        return lastError;
    }

    /** Requests failed because serving them threw. */
    public long failures() {
        return failures;
    }
}
