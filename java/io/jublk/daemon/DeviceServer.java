package io.jublk.daemon;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Params;
import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.queue.CopyMode;
import io.jublk.queue.QueueWorker;
import io.jublk.store.PageStore;
import io.jublk.target.RamTarget;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * One RAM disk's life: ADD_DEV → SET_PARAMS → queues armed → START_DEV → serve →
 * STOP_DEV → queues drained → cdev closed, store unmapped → DEL_DEV.
 *
 * <p>Any failure on the way up undoes what was done, so a failed {@code add} leaves no
 * device behind. Serving ends when every queue has been aborted by STOP_DEV, whoever
 * sent it ({@link #stop} on SIGTERM, or {@code ublk del} from another process).
 */
public final class DeviceServer {
    /** How long queues may take to arm all their tags before START_DEV is attempted. */
    private static final long ARM_TIMEOUT_MS = 10_000;
    /** How long queues may take to drain after STOP_DEV before they are told to leave. */
    private static final long DRAIN_TIMEOUT_MS = 10_000;

    private final DeviceConfig config;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final List<QueueWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private Control control;
    private PageStore store;
    private DevInfo info;
    /** The copy mode in use: the configured one, or the default resolved against the kernel. */
    private CopyMode copyMode;
    private int cdevFd = -1;
    private ControlServer controlServer;
    private long startedMillis;
    private volatile boolean stopping;

    public DeviceServer(DeviceConfig config) {
        this.config = config;
    }

    /** The device as the kernel accepted it (after {@link #start}). */
    public DevInfo info() {
        return info;
    }

    public PageStore store() {
        return store;
    }

    public List<QueueWorker> workers() {
        return workers;
    }

    /**
     * Brings the device up; returns when /dev/ublkbN exists. {@code onAdded} hears the
     * id as soon as the kernel assigns it. On failure everything is undone and the
     * exception says why.
     */
    public void start(IntConsumer onAdded) {
        try {
            control = Control.open();
            store = new PageStore(config.sizeBytes(), config.maxMemory());
            copyMode = config.copyModeFor(this::kernelFeatures);
            info = control.addDev(DevInfo.request(config.devId(), config.queues(), config.depth(),
                    config.maxIoBytes(), copyMode.devFlags()));
            Log.info("added device " + info.devId() + ": " + info.nrHwQueues() + " queue(s), depth "
                    + info.queueDepth() + ", max I/O " + info.maxIoBufBytes() + " bytes, flags 0x"
                    + Long.toHexString(info.flags()));
            onAdded.accept(info.devId());
            if ((info.flags() & copyMode.devFlags()) != copyMode.devFlags()) {
                throw new JublkException(Reason.FAILED, "this kernel's ublk driver does not offer the features copy mode "
                        + copyMode.name().toLowerCase() + " needs (flags 0x" + Long.toHexString(info.flags()) + ")");
            }
            control.setParams(info.devId(), params());
            cdevFd = openCharDevice(info.charDevice());
            startQueues();
            control.startDev(info.devId(), (int) ProcessHandle.current().pid());
            startedMillis = System.currentTimeMillis();
            openControlSocket();
            writeState();
            Log.info("serving " + info.blockDevice() + " (" + config.sizeBytes() + " bytes)");
        } catch (RuntimeException | Error e) {
            Log.info("start failed: " + e.getMessage());
            teardown();
            throw e;
        }
    }

    private Params params() {
        int lbsShift = Integer.numberOfTrailingZeros(config.logicalBlockSize());
        int maxSectors = info.maxIoBufBytes() >> 9;
        Params.Basic basic = new Params.Basic(0, lbsShift, Math.max(lbsShift, 12), 12, lbsShift,
                maxSectors, 0, config.sizeBytes() >> 9, 0);
        // Discard and write-zeroes give pages back; one range per request, any size.
        int maxDiscard = (int) Math.min(0xffffffffL >>> 1, config.sizeBytes() >> 9);
        Params.Discard discard = new Params.Discard(0, PageStore.PAGE_SIZE, maxDiscard, maxDiscard, 1);
        return new Params(Uapi.PARAM_TYPE_BASIC | Uapi.PARAM_TYPE_DISCARD, basic, discard, null);
    }

    /** UBLK_F_* the driver offers; 0 (so only the basic modes) when GET_FEATURES is unknown to it. */
    private long kernelFeatures() {
        try {
            return control.getFeatures();
        } catch (JublkException e) {
            Log.info("GET_FEATURES failed (" + e.getMessage() + "): using copy mode " + DeviceConfig.FALLBACK_COPY_MODE);
            return 0;
        }
    }

    /**
     * The CPUs queue {@code qid} serves (GET_QUEUE_AFFINITY), or null when they are all the
     * online CPUs, as with a single queue: pinning then gains nothing. With one queue per CPU
     * the queue thread runs where its requests are issued, so waking it needs no IPI — but a
     * single submitter then shares its CPU with the thread serving it, which measured far
     * slower (README, Performance); so pinning is opt-in (--pin-queues).
     */
    private long[] affinity(int qid) {
        try {
            long[] mask = control.getQueueAffinity(info.devId(), qid);
            int cpus = 0;
            for (long word : mask) cpus += Long.bitCount(word);
            return cpus == 0 || cpus >= Runtime.getRuntime().availableProcessors() ? null : mask;
        } catch (JublkException e) {
            Log.info("queue " + qid + ": no CPU affinity (" + e.getMessage() + ")");
            return null;
        }
    }

    /** Opens /dev/ublkcN, waiting up to 3 s for devtmpfs/udev to create the node. */
    private static int openCharDevice(String path) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (true) {
            int fd = Native.jublk_open(path, Native.O_RDWR);
            if (fd >= 0) return fd;
            if (fd != Errno.ENOENT.negative() || System.nanoTime() > deadline) {
                throw new JublkException(Reason.FAILED, "cannot open " + path + ": " + Errno.describe(fd));
            }
            sleep(20);
        }
    }

    private void startQueues() {
        RamTarget target = new RamTarget(store);
        for (int q = 0; q < info.nrHwQueues(); q++) {
            QueueWorker w = new QueueWorker(q, info.queueDepth(), cdevFd, info.maxIoBufBytes(), target,
                    copyMode, config.pollMicros(), config.pinQueues() ? affinity(q) : null, Log::info);
            Thread t = new Thread(w, "ublk" + info.devId() + "-q" + q);
            t.setDaemon(true);
            workers.add(w);
            threads.add(t);
            t.start();
        }
        for (QueueWorker w : workers) {
            boolean ok;
            try {
                ok = w.awaitArmed(ARM_TIMEOUT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ok = false;
            }
            if (!ok) {
                Throwable cause = w.failure();
                throw new JublkException(Reason.FAILED, "queue " + w.qid() + " could not start: "
                        + (cause != null ? cause.getMessage() : "timed out arming its tags"), cause);
            }
        }
    }

    private void openControlSocket() {
        try {
            RunDir.ensure();
            controlServer = new ControlServer(RunDir.socketFile(info.devId()), this::handleRequest);
        } catch (IOException e) {
            Log.info("cannot open the control socket: " + e.getMessage() + " (flush and stats unavailable)");
        }
    }

    /** One control request (see ControlServer); runs on the control thread, never on a queue. */
    String handleRequest(String request) {
        switch (request) {
            case "ping":
                return "ok";
            case "stats":
                return "ok " + DeviceStats.json(info.devId(), workers, store, startedMillis);
            case "flush":
                long before = store.usedBytes();
                store.releaseAll();
                Log.info("flush: released the store (" + before + " bytes)");
                return "ok released " + before;
            case "delete":
                Thread t = new Thread(this::stop, "ublk-delete");
                t.setDaemon(true);
                t.start();
                return "ok stopping";
            default:
                String shown = request.length() > 40 ? request.substring(0, 40) + "..." : request;
                return "error unknown request '" + shown.replaceAll("[^\\x20-\\x7e]", "?")
                        + "' (known: ping, stats, flush, delete)";
        }
    }

    private void writeState() {
        Map<String, String> state = new LinkedHashMap<>();
        state.put("pid", Long.toString(ProcessHandle.current().pid()));
        state.put("size", Long.toString(config.sizeBytes()));
        state.put("store", Long.toHexString(store.baseAddress()));
        state.put("type", "ram");
        state.put("max_memory", Long.toString(config.maxMemory()));
        state.put("copy_mode", copyMode.name().toLowerCase());
        try {
            RunDir.writeState(info.devId(), state);
        } catch (IOException e) {
            Log.info("cannot write " + RunDir.stateFile(info.devId()) + ": " + e.getMessage()
                    + " (ublk list will not show memory use)");
        }
    }

    /** Blocks until serving ended (every queue aborted) and the device is deleted. */
    public void awaitTermination() throws InterruptedException {
        for (Thread t : threads) t.join();
        teardown();
    }

    /** Stops serving: STOP_DEV; the queues drain and {@link #awaitTermination} cleans up. */
    public void stop() {
        stopping = true;
        if (control != null && info != null) {
            try {
                control.stopDev(info.devId());
            } catch (JublkException e) {
                if (e.reason() != Reason.NO_DEVICE) Log.info("STOP_DEV: " + e.getMessage());
            }
        }
    }

    /** Waits for teardown to complete (for signal handlers). */
    public boolean awaitFinished(long timeoutMs) throws InterruptedException {
        return finished.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** True once the device is deleted and everything released. */
    public boolean finished() {
        return finished.getCount() == 0;
    }

    public boolean stopping() {
        return stopping;
    }

    /** Undoes whatever start() did, in the kernel's order. Safe to call more than once. */
    private synchronized void teardown() {
        if (finished.getCount() == 0) return;
        try {
            if (controlServer != null) controlServer.close();
            if (info != null) {
                stop();
                drainQueues();
                if (cdevFd >= 0) {
                    Native.jublk_close(cdevFd);
                    cdevFd = -1;
                }
                if (store != null) store.close();
                try {
                    control.delDevAsync(info.devId());
                    Log.info("deleted device " + info.devId());
                } catch (JublkException e) {
                    if (e.reason() != Reason.NO_DEVICE) Log.info("DEL_DEV: " + e.getMessage());
                }
                RunDir.removeState(info.devId());
            } else if (store != null) {
                store.close();
            }
            if (control != null) control.close();
        } finally {
            finished.countDown();
        }
    }

    private void drainQueues() {
        long deadline = System.currentTimeMillis() + DRAIN_TIMEOUT_MS;
        for (int i = 0; i < threads.size(); i++) {
            Thread t = threads.get(i);
            try {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
                if (t.isAlive()) {
                    // The device never started or STOP_DEV did not reach every tag: leave at
                    // the next idle wake-up; closing the ring cancels the armed commands.
                    workers.get(i).requestStop();
                    t.join(5_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
