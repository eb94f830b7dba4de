package io.jublk.queue;

import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.nat.NativeException;
import io.jublk.nat.OffHeap;
import io.jublk.nat.Ring;
import io.jublk.store.StoreGate;
import io.jublk.target.Target;

import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * One hardware queue of one device, served by one dedicated platform thread that owns
 * the queue's ring (6.12 requires every I/O command of a queue to come from one task).
 *
 * <p>Life: map the descriptors, create the ring on this thread, arm every tag with a
 * FETCH_REQ, report {@link #awaitArmed armed}, then loop — one native call submits the
 * previous batch's commits and waits for the next batch — until every tag has been
 * aborted by STOP_DEV (or {@link #requestStop} is called and the queue is idle). Between
 * batches it passes the {@link StoreGate}, where a flush may hold it while the store is
 * released. If the loop ends for any other reason (an {@link Error}, a rejected ring call)
 * the {@code onFailure} callback hears it, so the device is stopped instead of keeping a
 * queue nobody serves.
 */
public final class QueueWorker implements Runnable {
    /** Idle wake-up period to look at the stop flag; costs nothing while requests flow. */
    private static final int IDLE_WAIT_MS = 500;
    /** How long a checkpoint waits for copy mode FIXED's running copies before serving on. */
    private static final int FIXED_COPY_WAIT_MS = 100;
    /** How long a stopping FIXED queue waits for its running copies before it leaves anyway. */
    private static final int FIXED_COPY_STOP_WAIT_MS = 30_000;

    private final int qid;
    private final int depth;
    private final int cdevFd;
    private final int bufferSize;
    private final Target target;
    private final CopyMode mode;
    private final boolean batchIo;
    private final int pollMicros;
    /** CPUs to pin this queue's thread to (sched_setaffinity mask words), or null for no pinning. */
    private final long[] cpuMask;
    private final QueueStats stats = new QueueStats();
    private final CountDownLatch armed = new CountDownLatch(1);
    private final Consumer<String> log;
    /** The memory the shim may copy to and from: [storeBase, storeBase + storeLength) and the tag buffers. */
    private final long storeBase;
    private final long storeLength;
    /** The store file (copy mode FIXED reads and writes it), or -1. */
    private final int storeFd;
    private final StoreGate gate;
    private final Consumer<QueueWorker> onFailure;
    private volatile boolean stopRequested;
    private volatile Throwable failure;
    private volatile int ringFlags;

    /**
     * Where the queue gets its work and what it may touch; {@code batchIo}: serve with the
     * UBLK_F_BATCH_IO commands (the device must have been added with that flag).
     */
    public record Setup(int qid, int depth, int cdevFd, int bufferSize, Target target, CopyMode mode,
                        long storeBase, long storeLength, int storeFd, StoreGate gate, boolean batchIo) {
    }

    /** Commands one dispatch may write: a commit per tag, plus a FETCH_IO_CMDS (re-)arm. */
    private int maxCommands() {
        return depth + 1;
    }

    /** Events one call may return: a request per tag, plus the few of batch commands' own. */
    private int maxEvents() {
        return depth + 16;
    }

    public QueueWorker(Setup s, int pollMicros, long[] cpuMask, Consumer<String> log, Consumer<QueueWorker> onFailure) {
        this.storeBase = s.storeBase;
        this.storeLength = s.storeLength;
        this.storeFd = s.storeFd;
        this.gate = s.gate;
        this.onFailure = onFailure;
        this.mode = s.mode;
        this.batchIo = s.batchIo;
        this.pollMicros = pollMicros;
        this.cpuMask = cpuMask == null ? null : cpuMask.clone();
        this.qid = s.qid;
        this.depth = s.depth;
        this.cdevFd = s.cdevFd;
        this.bufferSize = s.bufferSize;
        this.target = s.target;
        this.log = log;
    }

    public QueueStats stats() {
        return stats;
    }

    public int qid() {
        return qid;
    }

    /** Waits until every tag is armed or the worker failed; true if armed. */
    public boolean awaitArmed(long timeoutMs) throws InterruptedException {
        return armed.await(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS) && failure == null;
    }

    public Throwable failure() {
        return failure;
    }

    /** Asks the loop to leave at its next idle wake-up (used when the device never started). */
    public void requestStop() {
        stopRequested = true;
    }

    /** io_uring setup flags the queue ring ended up with. */
    public int ringFlags() {
        return ringFlags;
    }

    @Override
    public void run() {
        gate.join();
        try {
            serveQueue();
        } finally {
            gate.leave();
        }
        if (failure != null && !stopRequested) onFailure.accept(this);
    }

    private void serveQueue() {
        markIoFlusher();
        pinToQueueCpus();
        long iodLen = roundUpPage((long) depth * Uapi.IOD_SIZE);
        long iod = 0;
        long buffers = 0;
        long buffersLen = (long) depth * bufferSize;
        try (OffHeap cmds = new OffHeap((long) maxCommands() * ShimLayout.CMD_SIZE);
             OffHeap events = new OffHeap((long) maxEvents() * ShimLayout.EVENT_SIZE);
             OffHeap bounds = new OffHeap(ShimLayout.BOUNDS_SIZE)) {
            iod = NativeException.check("mmap of queue " + qid + " descriptors",
                    Native.jublk_mmap(0, iodLen, Native.PROT_READ, Native.MAP_SHARED | Native.MAP_POPULATE, cdevFd,
                            qid * Uapi.IOD_QUEUE_STRIDE));
            // Per-tag buffers: one lazily-populated anonymous mapping, so an idle tag costs no memory
            // (with USER_COPY nothing ever copies into them: they stay untouched).
            buffers = NativeException.check("mmap of queue " + qid + " buffers",
                    Native.jublk_mmap(0, buffersLen, Native.PROT_READ | Native.PROT_WRITE,
                            Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_NORESERVE, -1, 0));
            ShimLayout.putBounds(bounds.buffer(), storeBase, storeLength, buffers, buffersLen);
            try (Ring ring = createQueueRing(mode == CopyMode.FIXED ? 2 * depth : depth)) {
                ring.setSpinMicros(pollMicros);
                Dispatcher dispatcher = new Dispatcher(target, depth, buffers, bufferSize, stats, mode, qid, cdevFd, log);
                if (batchIo) {
                    // Elements carry a buffer address unless the server copies itself (USER_COPY).
                    NativeException.check("BATCH_IO set-up of queue " + qid, Native.jublk_batch_setup(ring.handle(),
                            (short) qid, depth, mode.bufferless() ? 8 : 16));
                    dispatcher.useBatchIo();
                }
                if (mode == CopyMode.FIXED) {
                    // One registered-buffer slot per tag: the kernel puts a request's pages at index = tag.
                    NativeException.check("fixed-buffer set-up of queue " + qid,
                            Native.jublk_ring_use_fixed(ring.handle(), storeFd, depth));
                }
                serve(ring, dispatcher, iod, cmds, events, bounds.address());
            }
        } catch (Throwable t) {
            failure = t;
            log.accept("queue " + qid + " stopped serving: " + t);
        } finally {
            armed.countDown();
            if (iod != 0) Native.jublk_munmap(iod, iodLen);
            if (buffers != 0) Native.jublk_munmap(buffers, buffersLen);
        }
    }

    private void serve(Ring ring, Dispatcher d, long iod, OffHeap cmds, OffHeap events, long bounds) {
        short q = (short) qid;
        int n = d.fetchAll(cmds.buffer());
        int ev = batch(ring, q, cmds, n, events, iod, 0, bounds);
        armed.countDown();
        checkpoint(ring);
        n = d.dispatch(events.buffer(), ev, cmds.buffer());
        // A command the kernel rejected (not the ENODEV abort) leaves its tag dead: the queue ends
        // at once rather than serve on with fewer tags (a FETCH refused while arming would
        // otherwise keep START_DEV waiting for a queue that is never complete).
        while (d.deadTags() < depth && d.lastError() == 0) {
            ev = batch(ring, q, cmds, n, events, iod, 1, bounds);
            d.afterBatch();
            stats.batch(ev);
            // Every request of the previous batch is copied and committed, the new ones not yet
            // looked at: the one point where the store may change under this queue.
            checkpoint(ring);
            if (ev == 0 && n == 0 && stopRequested) {
                log.accept("queue " + qid + ": stopping with " + (depth - d.deadTags()) + " tags still armed");
                if (mode == CopyMode.FIXED) awaitFixedCopies(ring, FIXED_COPY_STOP_WAIT_MS, "stopping");
                break;
            }
            n = d.dispatch(events.buffer(), ev, cmds.buffer());
        }
        if (n > 0 && !stopRequested) {
            // BATCH_IO: the fetch ended while requests of the last batch were being served;
            // commit them (an aborted device may refuse: they are failed by the kernel then).
            Native.jublk_queue_batch(ring.handle(), cdevFd, q, cmds.address(), n, events.address(), maxEvents(),
                    iod, depth, 0, 0, bounds);
        }
        if (d.lastError() != 0) {
            // Not the abort STOP_DEV causes (ENODEV): the queue ended for a reason of its own.
            throw new IllegalStateException("a command was rejected by the kernel: " + Errno.describe(d.lastError()));
        }
    }

    /**
     * The store may change here. In copy mode FIXED the kernel copies between the request
     * and the store file, and a copy it handed to io-wq may still be running after the batch
     * call returned (the others are done): a pause waits for those first, or the store would
     * be released or shrunk under a write still landing. If they do not end in time, this
     * queue serves on and parks at a later checkpoint (the pause fails after its own limit).
     */
    private void checkpoint(Ring ring) {
        // Read once, before the wait: a pause asked for after it must not park a queue whose
        // copies nobody waited for (only this thread queues them, so none starts meanwhile).
        if (!gate.pauseRequested()) return;
        if (mode == CopyMode.FIXED && !fixedCopiesDone(ring)) return;
        gate.checkpoint();
    }

    private boolean fixedCopiesDone(Ring ring) {
        int running = Native.jublk_ring_fixed_copies(ring.handle(), 0);
        if (running == 0) return true;
        long t0 = System.nanoTime();
        if (!awaitFixedCopies(ring, FIXED_COPY_WAIT_MS, null)) return false;
        // Rare (a copy in io-wq at the moment of a flush, resize or power cut): worth a line.
        log.accept("queue " + qid + ": waited " + (System.nanoTime() - t0) / 1000 + " us for " + running
                + " copies between a request and the store file before pausing");
        return true;
    }

    /** True once no fixed copy of this queue is running; {@code what}: log if they did not end. */
    private boolean awaitFixedCopies(Ring ring, int waitMs, String what) {
        int running = Native.jublk_ring_fixed_copies(ring.handle(), waitMs);
        if (running == 0) return true;
        if (what != null || running < 0) {
            log.accept("queue " + qid + (what != null ? " " + what : "") + ": "
                    + (running < 0 ? "waiting for the kernel's copies failed: " + Errno.describe(running)
                    : running + " copies between a request and the store file still running after " + waitMs + " ms"));
        }
        return false;
    }

    private int batch(Ring ring, short q, OffHeap cmds, int n, OffHeap events, long iod, int waitNr, long bounds) {
        int ev = queueBatch(ring, q, cmds, n, events, iod, waitNr, bounds);
        if (TransientRingErrors.isTransient(ev)) {
            // The failed call's commands are queued: the retries submit them, adding none.
            ev = TransientRingErrors.retry(ev, () -> queueBatch(ring, q, cmds, 0, events, iod, waitNr, bounds),
                    TransientRingErrors::sleepNanos, System::nanoTime, m -> log.accept("queue " + qid + ": " + m));
        }
        return NativeException.check("io_uring_enter on queue " + qid, ev);
    }

    private int queueBatch(Ring ring, short q, OffHeap cmds, int n, OffHeap events, long iod, int waitNr, long bounds) {
        return Native.jublk_queue_batch(ring.handle(), cdevFd, q, cmds.address(), n, events.address(), maxEvents(),
                iod, depth, waitNr, IDLE_WAIT_MS, bounds);
    }

    /**
     * The queue ring, created on this thread, with COOP_TASKRUN: the kernel's task work (a new
     * request handed to this thread) waits for our next io_uring_enter instead of interrupting
     * us with an IPI.
     * <p>Not DEFER_TASKRUN, although it would batch the same work into our own wait: on 6.12
     * (Debian's 6.12.95) a server killed while requests were being dispatched to it crashed the
     * kernel about one time in four ({@code BUG: kernel NULL pointer dereference} in
     * {@code io_fallback_tw}, run by the dying queue thread, which then left an RCU read-side
     * section held, so every later synchronize_rcu() -- STOP_DEV, any disk removal -- hung
     * forever). With COOP_TASKRUN alone the same kill loop ran clean (tests/README.md, "Kernel crashes found by killing servers").
     * <p>{@code entries}: one SQE per tag, two in copy mode FIXED (the copy and the commit).
     */
    private Ring createQueueRing(int entries) {
        int[] candidates = {
            Ring.SETUP_COOP_TASKRUN,
            0
        };
        NativeException last = null;
        for (int flags : candidates) {
            try {
                Ring ring = Ring.create(entries, flags, entries * 2);
                ringFlags = flags;
                return ring;
            } catch (NativeException e) {
                if (!e.is(Errno.EINVAL)) throw e;
                last = e;
            }
        }
        throw last;
    }

    /**
     * PR_SET_IO_FLUSHER: memory reclaim triggered by this thread's own allocations must not
     * wait for I/O to the disk this thread serves (a deadlock). Needs CAP_SYS_RESOURCE; without
     * it the queue still works, so failure is only logged.
     */
    private void markIoFlusher() {
        int res = Native.jublk_prctl(Native.PR_SET_IO_FLUSHER, 1, 0, 0, 0);
        if (res < 0 && qid == 0) log.accept("PR_SET_IO_FLUSHER not set: " + Errno.describe(res));
    }

    private void pinToQueueCpus() {
        if (cpuMask == null) return;
        try (OffHeap mask = new OffHeap((long) cpuMask.length * 8)) {
            for (int i = 0; i < cpuMask.length; i++) mask.buffer().putLong(i * 8, cpuMask[i]);
            int res = Native.jublk_sched_setaffinity(0, (long) cpuMask.length * 8, mask.address());
            if (res < 0) log.accept("queue " + qid + ": CPU affinity not set: " + Errno.describe(res));
        }
    }

    private static long roundUpPage(long n) {
        return (n + 4095) / 4096 * 4096;
    }
}
