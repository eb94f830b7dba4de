package io.jublk.daemon;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Feature;
import io.jublk.ctrl.KernelSupport;
import io.jublk.ctrl.Params;
import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.queue.CopyMode;
import io.jublk.queue.QueueWorker;
import io.jublk.store.PageStore;
import io.jublk.store.StoreGate;
import io.jublk.store.WriteCache;
import io.jublk.target.NullTarget;
import io.jublk.target.RamTarget;
import io.jublk.target.Target;

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
 * device behind; a stop asked for while starting (SIGTERM) undoes the start too. Serving
 * ends when every queue has been aborted by STOP_DEV, whoever sent it ({@link #stop} on
 * SIGTERM, or {@code ublk del} from another process). If a queue thread dies, the server
 * exits so that the kernel fails the device's I/O at once, leaving the dead device for
 * {@code ublk del} and the reason in its state file for {@code ublk list}.
 *
 * <p>Memory is freed only once nothing can touch it: every queue thread and the control
 * thread are joined before the store is unmapped; a thread that does not end in time
 * makes the server leak the store (and say so) rather than unmap it under the thread.
 */
public final class DeviceServer {
    /** How long queues may take to arm all their tags before START_DEV is attempted. */
    private static final long ARM_TIMEOUT_MS = 10_000;
    /** How long queues may take to drain after STOP_DEV before they are told to leave. */
    private static final long DRAIN_TIMEOUT_MS = 10_000;
    /** How long a flush waits for every queue to reach its pause point (an idle queue wakes every 0.5 s). */
    private static final long PAUSE_TIMEOUT_MS = 5_000;
    /** Exit status of a server whose device failed while serving (a queue died). */
    private static final int FAILED_EXIT = 1;
    /**
     * Exit status of a server that handed its disk over ('ublk restart'): not a failure, not a
     * stop. jublk@.service restarts on it (RestartForceExitStatus=), so the unit's next server
     * takes the disk over (EX_TEMPFAIL).
     */
    public static final int HANDED_OVER_EXIT = 75;
    /**
     * Exit status of a --recoverable disk's server whose queue failed: its data is kept and its
     * I/O waits, so a new server should take it over (jublk@.service restarts on it, as on 75;
     * exit 1 is a clean failure systemd does not restart, which left such a disk waiting forever).
     */
    public static final int QUEUE_FAILED_RECOVERABLE_EXIT = 70;
    /** The systemd service this server runs as (null: none), recorded for 'ublk restart'. */
    private final String unit = SystemdUnit.current();
    /**
     * How long a recovering server waits for the kernel to let it take over (START_USER_RECOVERY
     * says EBUSY until the dead server's files are released and the disk is quiesced).
     */
    private static final long RECOVERY_START_TIMEOUT_MS = 30_000;
    /** How long QUIESCE_DEV may wait for every queue to have an idle command. */
    private static final long QUIESCE_TIMEOUT_MS = 10_000;

    private final DeviceConfig config;
    /** True for a server taking over an existing device from a dead one ('ublk recover'). */
    private final boolean recovering;
    private boolean freshRecoveryCount;
    private final StoreFiles storeFiles = StoreFiles.system();
    /**
     * This disk's instance (minted by the server that created it, read back by one that takes
     * it over; "" for a disk from before instances): its files carry it, because ids are reused.
     */
    private String instance;
    /** A recoverable disk's store file, or null. */
    private java.nio.file.Path storeFile;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final List<QueueWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final StoreGate gate = new StoreGate();
    private final TestFaults faults;
    private Control control;
    private PageStore store;
    /** The simulated volatile write cache (--cache writeback), or null. */
    private WriteCache cache;
    private DevInfo info;
    /** The copy mode in use: the configured one, or the default resolved against the kernel. */
    private CopyMode copyMode;
    private int cdevFd = -1;
    private ControlServer controlServer;
    private long startedMillis;
    private volatile boolean stopping;
    /** Set by a 'handover' request ('ublk restart'): leave the device and its data to the next server. */
    private volatile boolean handingOver;
    /** UBLK_F_* the driver offers (GET_FEATURES), read once at start. */
    private long features;
    /** The memory limit in force: --max-memory, tightened by the memory cgroup's. */
    private long maxMemory;

    public DeviceServer(DeviceConfig config) {
        this(config, false);
    }

    /** @param recover take over device {@code config.devId()} from its dead server instead of adding one */
    public DeviceServer(DeviceConfig config, boolean recover) {
        this.config = config;
        this.recovering = recover;
        this.faults = TestFaults.fromEnvironment();
        this.instance = recover ? "" : StoreFiles.newInstance();
    }

    /** This disk's instance (see the field); a recovering server knows it once it has taken over. */
    public String instance() {
        return instance;
    }

    /** Where a starter ('ublk add' in the background) gives its server the token for ADD_DEV. */
    public static final String START_TOKEN_ENV = "JUBLK_START_TOKEN";

    /** The token its starter gave this server, 0 if none: goes into ADD_DEV (see DevInfo.orphansOf). */
    private static long startToken() {
        String t = System.getenv(START_TOKEN_ENV);
        try {
            return t == null ? 0 : Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A manual 'ublk recover': this recovery is the first of a new automatic-recovery count. */
    public void countRecoveriesAfresh() {
        this.freshRecoveryCount = true;
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
            features = KernelSupport.requireUsable(control);
            long cgroup = MemoryCgroup.limitBytes();
            // The copy mode the disk gets (a recovering server: the one the device has): only buffer
            // mode has per-tag buffers the cgroup is charged.
            CopyMode mode = recovering ? CopyMode.ofDevFlags(control.getDevInfo(config.devId()).flags())
                    : config.copyModeFor(() -> features);
            long tagBuffers = mode == CopyMode.BUFFER ? (long) config.queues() * config.depth() * config.maxIoBytes() : 0;
            maxMemory = MemoryCgroup.effectiveLimit(config.maxMemory(), cgroup, tagBuffers, config.writebackCache());
            if (maxMemory != config.maxMemory()) {
                Log.info("memory cgroup limit " + cgroup + " bytes: the disk may hold at most " + maxMemory
                        + " bytes (writes beyond fail with ENOSPC, instead of the OOM killer ending the server)");
            }
            if (recovering) takeOver(onAdded);
            else create(onAdded);
            openControlSocket();
            writeState(null);
            step("after-state");
            Log.info("serving " + info.blockDevice() + " (" + config.type().name().toLowerCase() + ", "
                    + store.size() + " bytes, can grow to " + store.capacity()
                    + (store.inFile() ? ", data in " + storeFile : "") + ")");
        } catch (RuntimeException | Error e) {
            Log.info((recovering ? "recovery" : "start") + " failed: " + e.getMessage());
            teardown();
            throw e;
        }
    }

    /** A new device: ADD_DEV, SET_PARAMS, queues armed, START_DEV. */
    private void create(IntConsumer onAdded) {
        if (config.noPartScan()) {
            KernelSupport.require(features, Feature.NO_AUTO_PART_SCAN, "--no-part-scan");
        }
        if (config.batchIo()) {
            KernelSupport.require(features, Feature.BATCH_IO, "--batch-io");
        }
        // QUIESCE where the kernel has it: 'ublk restart' hands the disk to a new server with it.
        long recovery = Feature.USER_RECOVERY.bit | Feature.USER_RECOVERY_REISSUE.bit
                | (Feature.QUIESCE.in(features) ? Feature.QUIESCE.bit : 0);
        if (config.recoverable()) {
            KernelSupport.require(features, Feature.USER_RECOVERY, "--recoverable");
        } else {
            // The store lives in this process only: before anything touches the kernel.
            store = new PageStore(config.sizeBytes(), config.maxSizeBytes(), maxMemory);
        }
        copyMode = config.copyModeFor(() -> features);
        if (copyMode == CopyMode.FIXED) KernelSupport.require(features, Feature.AUTO_BUF_REG, "--copy-mode fixed");
        long flags = copyMode.devFlags() | (config.noPartScan() ? Feature.NO_AUTO_PART_SCAN.bit : 0)
                | (config.batchIo() ? Feature.BATCH_IO.bit : 0) | (config.recoverable() ? recovery : 0);
        info = control.addDev(DevInfo.request(config.devId(), config.queues(), config.depth(),
                config.maxIoBytes(), flags, startToken()));
        step("after-add-dev-ioctl"); // before the id is announced: only the start token finds the device
        Log.info("added device " + info.devId() + ": " + info.nrHwQueues() + " queue(s), depth "
                + info.queueDepth() + ", max I/O " + info.maxIoBufBytes() + " bytes, flags 0x"
                + Long.toHexString(info.flags()));
        RunDir.claim(info.devId(), instance);
        onAdded.accept(info.devId());
        step("after-add-dev");
        if ((info.flags() & copyMode.devFlags()) != copyMode.devFlags()) {
            throw new JublkException(Reason.FAILED, "this kernel's ublk driver does not offer the features copy mode "
                    + copyMode.name().toLowerCase() + " needs (flags 0x" + Long.toHexString(info.flags()) + ")");
        }
        if (config.recoverable()) {
            long needed = Feature.USER_RECOVERY.bit | Feature.USER_RECOVERY_REISSUE.bit;
            if ((info.flags() & needed) != needed) {
                throw new JublkException(Reason.UNSUPPORTED, "the kernel did not grant user recovery to device "
                        + info.devId() + " (flags 0x" + Long.toHexString(info.flags()) + "): --recoverable needs root");
            }
            // Named after the id the kernel just gave out, so it is made after ADD_DEV.
            storeFile = storeFiles.file(info.devId(), instance);
            store = storeFiles.create(info.devId(), instance, config.sizeBytes(), config.maxSizeBytes(), maxMemory);
        }
        control.setParams(info.devId(), params());
        step("after-set-params");
        cdevFd = openCharDevice(info.charDevice());
        startQueues();
        step("after-queues-armed");
        control.startDev(info.devId(), (int) ProcessHandle.current().pid());
        startedMillis = System.currentTimeMillis();
        step("after-start-dev");
        IoScheduler.select(info.blockDevice(), config.scheduler());
    }

    /**
     * Takes over a device whose server died ('ublk recover'): START_USER_RECOVERY (retried
     * while the kernel says EBUSY, bounded), the store file mapped again, every tag fetched,
     * END_USER_RECOVERY — then the I/O that waited meanwhile is sent to this server. Until
     * END_USER_RECOVERY succeeds the device is not ours: a failure leaves it (and its data)
     * as it was, for another attempt or 'ublk del'.
     */
    private void takeOver(IntConsumer onAdded) {
        int id = config.devId();
        info = control.getDevInfo(id);
        requireRecoverable(info);
        onAdded.accept(id);
        Map<String, String> before = RunDir.readState(id);
        instance = before.getOrDefault(RunDir.INSTANCE, "");
        storeFile = before.containsKey("store_file") ? java.nio.file.Path.of(before.get("store_file"))
                : storeFiles.file(id, instance);
        // A manual recover starts the count again (the user decided); the state this server
        // writes no longer says the bound gave up.
        String earlier = freshRecoveryCount ? "" : before.getOrDefault("recoveries", "");
        // A server that handed over ('ublk restart') did not die: only deaths count.
        if (before.containsKey("handed_over")) {
            recoveries = earlier;
        } else {
            String all = (earlier.isBlank() ? "" : earlier + ",") + System.currentTimeMillis() / 1000;
            String[] times = all.split(",");
            // The last few are all the bound looks at.
            recoveries = String.join(",", java.util.Arrays.copyOfRange(times, Math.max(0, times.length - 8),
                    times.length));
        }
        awaitRecoveryStart(id);
        step("after-start-recovery");
        long size = control.getParams(id).sizeBytes();
        store = storeFiles.open(id, storeFile, size, maxMemory);
        copyMode = CopyMode.ofDevFlags(info.flags());
        Log.info("recovering device " + id + ": " + info.nrHwQueues() + " queue(s), depth " + info.queueDepth()
                + ", " + store.usedBytes() + " bytes of data in " + storeFile);
        cdevFd = openCharDevice(info.charDevice());
        startQueues();
        step("after-queues-armed");
        control.endUserRecovery(id, (int) ProcessHandle.current().pid());
        startedMillis = System.currentTimeMillis();
        step("after-end-recovery");
    }

    /** Refuses a device created without user recovery: no server can take its data over. */
    public static void requireRecoverable(DevInfo info) {
        if (!Feature.USER_RECOVERY.in(info.flags())) {
            throw new JublkException(Reason.FAILED, "device " + info.devId() + " was not created with --recoverable: "
                    + "its data went with its server; remove it with 'ublk del -n " + info.devId() + "'");
        }
    }

    /** START_USER_RECOVERY, asked again while the kernel is still letting go of the dead server. */
    private void awaitRecoveryStart(int id) {
        long deadline = System.currentTimeMillis() + RECOVERY_START_TIMEOUT_MS;
        while (!control.startUserRecovery(id)) {
            DevInfo now = control.getDevInfo(id);
            int pid = now.serverPid();
            if (now.state() == Uapi.S_DEV_LIVE && pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive)
                    .orElse(false)) {
                throw new JublkException(Reason.BUSY, "device " + id + " is served by process " + pid
                        + ", which is alive: there is nothing to recover");
            }
            if (System.currentTimeMillis() > deadline) {
                throw new JublkException(Reason.BUSY, "device " + id + " is not ready for recovery after "
                        + RECOVERY_START_TIMEOUT_MS / 1000 + " s (state " + now.stateName()
                        + "; EBUSY: the old server's process, or a process it started, still holds "
                        + info.charDevice() + ")");
            }
            if (stopping) throw new JublkException(Reason.FAILED, "stopped by a signal while recovering");
            sleep(100);
        }
    }

    /** False for a recovering server until the device is really handed to it. */
    private boolean ownsDevice() {
        return (!recovering || startedMillis != 0) && !handingOver;
    }

    /**
     * 'ublk restart': QUIESCE_DEV, so the kernel holds new requests and ends this server's
     * waiting commands; the queues then stop once the requests they hold are committed, and
     * the server exits leaving the device, its state file and its data to the next server
     * (which the CLI starts with 'recover'). Even if QUIESCE_DEV times out (a queue kept
     * busy), the kernel is already holding new requests, so the hand-over goes on: the
     * requests still in flight are sent again to the next server (USER_RECOVERY_REISSUE).
     */
    private String handOver() {
        if (!Feature.QUIESCE.in(info.flags())) {
            return "error unsupported: device " + info.devId() + " was created without UBLK_F_QUIESCE "
                    + "(it needs --recoverable and a kernel with QUIESCE_DEV, 6.16 or later)";
        }
        handingOver = true;
        boolean quiesced;
        try {
            quiesced = control.quiesceDev(info.devId(), QUIESCE_TIMEOUT_MS);
        } catch (JublkException e) {
            handingOver = false;
            return "error " + e.getMessage();
        }
        writeState(null);
        Log.info("handing device " + info.devId() + " over to a new server" + (quiesced ? ""
                : " (QUIESCE_DEV timed out after " + QUIESCE_TIMEOUT_MS + " ms: busy requests will be reissued)"));
        for (QueueWorker w : workers) w.requestStop();
        return "ok handing over";
    }

    private static final String NO_CACHE = "the null target stores nothing a power cut could lose";

    /**
     * 'ublk powercut': "all" or "random SEED", optionally followed by "tear". At a pause of
     * every queue, the non-durable writes are undone and the disk fails I/O until power on.
     */
    private String powerCut(String args) {
        if (cache == null) return "error " + NO_CACHE;
        String[] a = args.split(" ");
        WriteCache.Loss loss;
        long seed = 0;
        int next;
        if (a[0].equals("all")) {
            loss = WriteCache.Loss.ALL;
            next = 1;
        } else if (a[0].equals("random") && a.length >= 2) {
            loss = WriteCache.Loss.RANDOM;
            try {
                seed = Long.parseLong(a[1]);
            } catch (NumberFormatException e) {
                return "error bad seed '" + a[1] + "'";
            }
            next = 2;
        } else {
            return "error bad powercut request '" + args + "'";
        }
        boolean tear = a.length > next && a[next].equals("tear");
        long seedUsed = seed;
        long undone = gate.runPaused(() -> cache.cut(loss, seedUsed, tear, config.logicalBlockSize()), PAUSE_TIMEOUT_MS);
        Log.info("power cut (" + args + "): " + undone + (tear ? " sectors" : " blocks") + " undone; I/O fails until 'ublk poweron'");
        return "ok cut " + undone + " " + (tear ? WriteCache.SECTOR : config.logicalBlockSize());
    }

    /** Why a queue stopped serving, once one did (kept for every later state write). */
    private String recordedFailure;
    /** Times (epoch seconds) this device was recovered lately, this recovery included (AutoRecovery's bound). */
    private String recoveries;

    /** A start step is done: die here if a test asked for it; give up if a stop came meanwhile. */
    private void step(String name) {
        faults.reached(name);
        if (stopping) throw new JublkException(Reason.FAILED, "stopped by a signal while starting (" + name + ")");
    }

    private Params params() {
        int lbsShift = Integer.numberOfTrailingZeros(config.logicalBlockSize());
        int maxSectors = info.maxIoBufBytes() >> 9;
        // A write-back cache is announced, or the block layer would strip PREFLUSH and FUA and
        // the device would never see a flush.
        int attrs = config.writebackCache() ? Uapi.ATTR_VOLATILE_CACHE | Uapi.ATTR_FUA : 0;
        Params.Basic basic = new Params.Basic(attrs, lbsShift, Math.max(lbsShift, 12), 12, lbsShift,
                maxSectors, 0, config.sizeBytes() >> 9, 0);
        // Discard and write-zeroes give pages back; one range per request, any size.
        int maxDiscard = (int) Math.min(0xffffffffL >>> 1, store.capacity() >> 9);
        Params.Discard discard = new Params.Discard(0, PageStore.PAGE_SIZE, maxDiscard, maxDiscard, 1);
        return new Params(Uapi.PARAM_TYPE_BASIC | Uapi.PARAM_TYPE_DISCARD, basic, discard, null);
    }

    /**
     * The CPUs queue {@code qid} serves (GET_QUEUE_AFFINITY), or null when they are all the
     * online CPUs, as with a single queue: pinning then gains nothing. With one queue per CPU
     * the queue thread runs where its requests are issued, so waking it needs no IPI — but a
     * single submitter then shares its CPU with the thread serving it, which measured far
     * slower (tests/bench/README.md); so pinning is opt-in (--pin-queues).
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
            if (fd == Errno.EBUSY.negative()) {
                // The kernel lets one process hold a device's char device: another server has it.
                throw new JublkException(Reason.BUSY, "cannot open " + path + ": " + Errno.describe(fd)
                        + ": another server is serving or taking over this device");
            }
            if (fd != Errno.ENOENT.negative() || System.nanoTime() > deadline) {
                throw new JublkException(Reason.FAILED, "cannot open " + path + ": " + Errno.describe(fd));
            }
            sleep(20);
        }
    }

    private void startQueues() {
        // Every RAM disk can be powered off ('ublk powercut'); only --cache writeback loses writes then.
        if (cache == null && config.type() == DeviceConfig.TargetType.RAM) cache = new WriteCache(store, config.writebackCache());
        Target served = config.type() == DeviceConfig.TargetType.NULL ? new NullTarget(store) : new RamTarget(store, cache);
        Target target = faults.wrap(served);
        for (int q = 0; q < info.nrHwQueues(); q++) {
            QueueWorker.Setup setup = new QueueWorker.Setup(q, info.queueDepth(), cdevFd, info.maxIoBufBytes(), target,
                    copyMode, store.baseAddress(), store.capacity(), store.fileFd(), gate, Feature.BATCH_IO.in(info.flags()));
            QueueWorker w = new QueueWorker(setup, config.pollMicros(), config.pinQueues() ? affinity(q) : null,
                    Log::info, this::queueFailed);
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

    /**
     * A queue thread ended on its own (runs on that thread). Nobody serves that queue any
     * more, and a request it had taken may never complete. The server records why (for
     * 'ublk list'), removes its socket, and exits at once: closing /dev/ublkcN makes the
     * kernel fail every outstanding and future I/O of the device with EIO — the path a
     * kill -9 takes, which never wedges — and 'ublk del' removes the dead device.
     * (Stopping in-process instead can hang: STOP_DEV waits for the request the dead
     * queue holds.)
     */
    private void queueFailed(QueueWorker w) {
        if (stopping || info == null || startedMillis == 0) return;
        String failure = "queue " + w.qid() + " stopped serving: " + w.failure();
        Log.info("device " + info.devId() + " failed: " + failure);
        writeState(failure);
        if (controlServer != null) controlServer.close();
        int status = store.inFile() ? QUEUE_FAILED_RECOVERABLE_EXIT : FAILED_EXIT;
        Log.info("exiting with status " + status + (store.inFile()
                ? ": the kernel holds the device's I/O and its data stays in " + storeFile
                + "; take it over with 'ublk recover -n " + info.devId() + "'"
                : " so that the kernel fails the device's I/O") + ", or remove it with 'ublk del -n " + info.devId() + "'");
        Runtime.getRuntime().halt(status);
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
        if (request.startsWith("resize ")) return resize(request.substring("resize ".length()).trim());
        if (request.startsWith("powercut ")) return powerCut(request.substring("powercut ".length()).trim());
        switch (request) {
            case "ping":
                return "ok";
            case "stats":
                return "ok " + DeviceStats.json(info.devId(), workers, store, cache, startedMillis, false);
            case "stats mapped":
                return "ok " + DeviceStats.json(info.devId(), workers, store, cache, startedMillis, true);
            case "poweron":
                if (cache == null) return "error " + NO_CACHE;
                cache.powerOn();
                Log.info("power on: serving again");
                return "ok powered on";
            case "flush":
                // Only where no request of any queue is half done (see StoreGate).
                long released = gate.runPaused(() -> {
                    if (cache != null) cache.flush(); // everything is zeros now, and durable
                    long before = store.usedBytes();
                    store.releaseAll();
                    return before;
                }, PAUSE_TIMEOUT_MS);
                Log.info("flush: released the store (" + released + " bytes)");
                return "ok released " + released;
            case "handover":
                return handOver();
            case "delete":
                Thread t = new Thread(this::stop, "ublk-delete");
                t.setDaemon(true);
                t.start();
                return "ok stopping";
            default:
                String shown = request.length() > 40 ? request.substring(0, 40) + "..." : request;
                return "error unknown request '" + shown.replaceAll("[^\\x20-\\x7e]", "?")
                        + "' (known: ping, stats, stats mapped, flush, delete, handover, resize BYTES, powercut MODE, poweron)";
        }
    }

    /** Changes the disk's size (UPDATE_SIZE and the store: see {@link Resizer}). */
    private String resize(String bytes) {
        final long newSize;
        try {
            newSize = Long.parseLong(bytes);
        } catch (NumberFormatException e) {
            return "error resize takes a size in bytes, got '" + bytes.replaceAll("[^\\x20-\\x7e]", "?") + "'";
        }
        if (!Feature.UPDATE_SIZE.in(features)) return "error unsupported: the kernel lacks UBLK_F_UPDATE_SIZE";
        if (newSize <= 0 || newSize % config.logicalBlockSize() != 0 || newSize > store.capacity()) {
            return "error the new size must be a positive multiple of the logical block size "
                    + config.logicalBlockSize() + " up to " + store.capacity() + " bytes (the device's --max-size)";
        }
        int id = info.devId();
        Resizer.KernelSize kernel = new Resizer.KernelSize() {
            @Override
            public long bytes() {
                return control.getParams(id).sizeBytes();
            }

            @Override
            public void set(long size) {
                control.updateSize(id, size >> 9);
            }
        };
        Resizer.Result r;
        synchronized (this) {
            try {
                r = new Resizer(kernel, gate, store, cache, PAUSE_TIMEOUT_MS).resize(newSize);
            } finally {
                writeState(null);
            }
        }
        Log.info("resize: " + r.oldSize() + " -> " + r.newSize() + " bytes"
                + (r.released() > 0 ? ", released " + r.released() : ""));
        return "ok resized " + r.oldSize() + " " + r.newSize() + " " + r.released();
    }

    /** @param failure why the device stopped serving on its own, or null */
    /**
     * Writes the state file. From the control thread (resize, hand-over) and a failing queue's
     * thread alike, so one at a time; a failure once recorded stays in every later write.
     */
    private synchronized void writeState(String failure) {
        if (failure != null) recordedFailure = failure;
        failure = recordedFailure;
        Map<String, String> state = new LinkedHashMap<>();
        state.put("pid", Long.toString(ProcessHandle.current().pid()));
        state.put("size", Long.toString(store.size()));
        state.put("max_size", Long.toString(store.capacity()));
        state.put("store", Long.toHexString(store.baseAddress()));
        state.put("type", config.type().name().toLowerCase());
        state.put("max_memory", Long.toString(maxMemory));
        state.put("copy_mode", copyMode.name().toLowerCase());
        if (!instance.isEmpty()) state.put(RunDir.INSTANCE, instance);
        if (store.inFile()) state.put("store_file", storeFile.toString());
        if (recoveries != null && !recoveries.isBlank()) state.put("recoveries", recoveries);
        if (handingOver) state.put("handed_over", "1");
        if (unit != null) state.put("unit", unit);
        // What 'ublk recover' starts a new server with.
        state.put("config", config.withDevId(info.devId()).encode());
        if (failure != null) state.put("failed", failure.replace('\n', ' '));
        try {
            RunDir.writeState(info.devId(), state);
        } catch (IOException e) {
            // Either the file system failed ('ublk list' then shows an older state, or none), or
            // the id is another disk's now (this server is on its way out): the message says which.
            Log.info("state not written to " + RunDir.stateFile(info.devId()) + ": " + e.getMessage());
        }
    }

    /** Blocks until serving ended (every queue aborted), the device is deleted and everything released. */
    public void awaitTermination() throws InterruptedException {
        for (Thread t : threads) t.join();
        teardown();
    }

    /** Stops serving: STOP_DEV; the queues drain and {@link #awaitTermination} cleans up. */
    public void stop() {
        stopping = true;
        Control c = control;
        if (c != null && info != null && ownsDevice()) {
            try {
                c.stopDev(info.devId());
            } catch (JublkException e) {
                if (e.reason() != Reason.NO_DEVICE) Log.info("STOP_DEV: " + e.getMessage());
            }
        }
    }

    /** Waits for teardown to complete (for signal handlers). */
    public boolean awaitFinished(long timeoutMs) throws InterruptedException {
        return finished.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** True if serving ended by handing the device over to a new server ('ublk restart'). */
    public boolean handedOver() {
        return handingOver;
    }

    /** True once teardown has run to its end. */
    public boolean finished() {
        return finished.getCount() == 0;
    }

    public boolean stopping() {
        return stopping;
    }

    /**
     * Undoes whatever start() did, in the kernel's order, and frees memory only once no
     * thread can touch it. Safe to call more than once.
     */
    private synchronized void teardown() {
        if (finished.getCount() == 0) return;
        try {
            // The control thread may be inside a flush (touching the store): join it first.
            if (controlServer != null) controlServer.close();
            boolean threadsDone = true;
            if (info != null) {
                stop();
                threadsDone = drainQueues();
            }
            if (cdevFd >= 0 && threadsDone) {
                Native.jublk_close(cdevFd);
                cdevFd = -1;
            }
            if (store != null) {
                if (threadsDone) {
                    if (cache != null) cache.close();
                    store.close();
                } else {
                    Log.info("a queue thread did not end: its store (" + store.size() + " bytes) stays mapped "
                            + "until the process exits, rather than be unmapped under it");
                }
            }
            if (info != null && ownsDevice()) {
                // The data goes with the device: freed once this process no longer maps it. Before
                // the state goes, which is the only record of the file's name if we are cut short.
                if (store != null && store.inFile()) StoreFiles.delete(storeFile);
                deleteDevice();
            }
            if (control != null && threadsDone) control.close();
        } finally {
            finished.countDown();
        }
    }

    private void deleteDevice() {
        try {
            control.delDevAsync(info.devId());
            Log.info("deleted device " + info.devId());
        } catch (JublkException e) {
            if (e.reason() != Reason.NO_DEVICE) Log.info("DEL_DEV: " + e.getMessage());
        }
        RunDir.removeState(info.devId(), instance); // the socket went with the control server
    }

    /** Joins every queue thread (bounded); true if all have ended. */
    private boolean drainQueues() {
        long deadline = System.currentTimeMillis() + DRAIN_TIMEOUT_MS;
        if (startedMillis == 0) {
            // Never started: STOP_DEV aborts nothing, so the queues leave at their next idle wake-up.
            for (QueueWorker w : workers) w.requestStop();
        }
        boolean allEnded = true;
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
            }
            if (t.isAlive()) {
                Log.info("queue thread " + t.getName() + " did not end within " + (DRAIN_TIMEOUT_MS + 5_000) + " ms");
                allEnded = false;
            }
        }
        return allEnded;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
