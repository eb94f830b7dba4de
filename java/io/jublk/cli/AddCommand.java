package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.DevInfo;
import io.jublk.daemon.DeviceConfig;
import io.jublk.daemon.DeviceServer;
import io.jublk.daemon.IoScheduler;
import io.jublk.daemon.Log;
import io.jublk.queue.CopyMode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "add", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
    "Create a RAM disk and serve it.",
    "Without --foreground a background server is started; the command returns",
    "once /dev/ublkbN is live and prints its path.",
    "",
    "Examples:",
    "  ublk add -t ram --size 4G",
    "  ublk add -t ram --size 512M -n 3 -q 2 --logical-block-size 4096",
    "  ublk add -t ram --size 1T --max-memory 8G",
    "  ublk add -t ram --size 4G --recoverable   (data survives a crash: 'ublk recover')",
    "  ublk add -t null --size 1G          (no data kept: measures the server alone)",
    ""})
final class AddCommand implements Callable<Integer> {
    static final String NOTIFY_OPTION = "--notify";

    @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE",
            description = "Target type: 'ram' (the RAM disk) or 'null' (completes every request without moving data, like ublksrv's null target: for measuring the server's own overhead).")
    String type;

    @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE",
            description = "Disk size: bytes, or with a binary suffix (512M, 4G, 1T). Memory is used only for what is written.")
    String size;

    @Option(names = "--max-size", paramLabel = "SIZE",
            description = "How large 'ublk resize' may grow the disk (address space is reserved, not memory). Default: 4x --size, at most 32T.")
    String maxSize;

    @Option(names = "--no-part-scan",
            description = "Do not scan the new disk for partitions (saves the scan's reads at add; needs UBLK_F_NO_AUTO_PART_SCAN, a 7.x kernel). Default: scan, as for any disk.")
    boolean noPartScan;

    @Option(names = "--batch-io",
            description = "Serve with the batched I/O commands (UBLK_F_BATCH_IO, a 7.x kernel): one command commits a whole batch and one multishot fetch brings many requests per wake-up, instead of one command per request. Default: off (per-request commands; see README, Performance, for the measured difference).")
    boolean batchIo;

    @Option(names = "--scheduler", paramLabel = "NAME", defaultValue = IoScheduler.DEFAULT,
            description = "The block layer's I/O scheduler for the disk: 'none' (default: a RAM disk has no seeks to save, and the kernel's mq-deadline cost 4x at 4 KiB random I/O in the measurements, README Performance), another one the kernel offers (mq-deadline, kyber, bfq), or 'keep' for the kernel's choice.")
    String scheduler;

    @Option(names = {"-n", "--number"}, paramLabel = "ID",
            description = "Device id N for /dev/ublkbN (default: the kernel picks a free one).")
    Integer id;

    @Option(names = {"-q", "--queues"}, paramLabel = "N", defaultValue = "" + DeviceConfig.DEFAULT_QUEUES,
            description = "Hardware queues, one serving thread each (default: ${DEFAULT-VALUE}; the kernel caps it at the CPU count).")
    int queues;

    @Option(names = {"-d", "--depth"}, paramLabel = "N", defaultValue = "" + DeviceConfig.DEFAULT_DEPTH,
            description = "Requests in flight per queue, 1-4096 (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--logical-block-size", paramLabel = "BYTES", defaultValue = "512",
            description = "Logical block size, 512 or 4096 (default: ${DEFAULT-VALUE}).")
    int logicalBlockSize;

    @Option(names = "--max-memory", paramLabel = "SIZE",
            description = "Most memory the disk may hold (e.g. 2G); writes needing more fail with ENOSPC until discard or flush free some. Default: no limit.")
    String maxMemory;

    @Option(names = "--copy-mode", paramLabel = "MODE",
            description = "How data moves: 'user_copy' (pread/pwrite between the store and /dev/ublkcN: one copy, no buffers), 'buffer' (per-tag buffers the kernel fills, the shim copies to/from the store: two copies, on every ublk kernel) or 'fixed' (with --recoverable, kernel 6.16+: each request's pages become an io_uring fixed buffer (AUTO_BUF_REG) and the kernel copies between them and the store file, queued in the batch: one copy, no syscall per request). Default: user_copy if the kernel offers it, else buffer.")
    String copyMode;

    @Option(names = "--poll", paramLabel = "USEC", arity = "0..1", defaultValue = "0",
            fallbackValue = "" + DeviceConfig.DEFAULT_POLL_MICROS,
            description = "After serving requests, poll for the next ones for up to USEC microseconds before sleeping (--poll alone: ${FALLBACK-VALUE}). Cuts latency at low queue depth at the cost of CPU. Default: off.")
    int pollMicros;

    @Option(names = "--pin-queues",
            description = "Pin each queue's thread to the CPUs the kernel maps to that queue (with -q > 1), so waking it stays on the submitting CPU; a submitter then shares its CPU with the thread serving it, which was slower in every job measured in the 2-vCPU test VM. Default: off.")
    boolean pinQueues;

    @Option(names = "--cache", paramLabel = "none|writeback", defaultValue = "none",
            description = "'writeback': the disk tells the kernel it has a volatile write cache and FUA, and behaves like one for power cuts: a write is durable once a FLUSH that came after it completed, or at once with FUA; 'ublk powercut' undoes every write that is not (all, or a random subset), reads always see the latest data. For testing crash consistency of filesystems and databases. Costs memory for the blocks written since the last flush (counted in MEMORY and --max-memory). Default: none (every completed write is durable).")
    String cache;

    @Option(names = "--recoverable",
            description = "Keep the disk's data when its server dies (crash, kill -9, OOM killer): the data lives in a file of jublk's own tmpfs (/run/jublk/mem) instead of the server's memory, the kernel holds the disk's I/O while no server runs, and 'ublk recover -n N' starts a new server that carries on. 'ublk del' frees the data. Needs UBLK_F_USER_RECOVERY (6.1+) and root. Default: off (what it costs: README, Performance).")
    boolean recoverable;

    @Option(names = "--or-recover",
            description = "With -n ID: if disk ID is a --recoverable disk whose server died, take it over with the settings it was added with (as 'ublk recover') instead of adding a disk. What jublk@.service runs, so that systemd restarting a killed server brings the same data back. At most " + AutoRecovery.MAX_RECOVERIES + " such recoveries within " + (AutoRecovery.WINDOW_SECONDS / 60) + " minutes: after that the command fails saying why, and the disk stays as it is (its data kept, its I/O waiting) for 'ublk recover' or 'ublk del'.")
    boolean orRecover;

    @CommandLine.Mixin
    StartOptions start = new StartOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DeviceConfig config = config();
        long timeoutMs = start.timeoutMs();
        if (orRecover) {
            if (id == null) throw new JublkException(Reason.USAGE, "--or-recover needs -n ID: the disk to take over");
            try (io.jublk.ctrl.Control control = io.jublk.ctrl.Control.open()) {
                if (AutoRecovery.waitingForServer(control, id)) {
                    AutoRecovery.checkBound(id);
                    DeviceConfig recorded = RecoverCommand.recorded(id);
                    Log.info("device " + id + " has no server: recovering it instead of adding one");
                    return RecoverCommand.takeOver(id, recorded, start, false);
                }
            }
        }
        if (!start.foreground) {
            List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
            return new BackgroundStart(args, config, timeoutMs).run();
        }
        return serve(config, start.notify);
    }

    DeviceConfig config() {
        DeviceConfig.TargetType target;
        if ("ram".equals(type)) target = DeviceConfig.TargetType.RAM;
        else if ("null".equals(type)) target = DeviceConfig.TargetType.NULL;
        else throw new JublkException(Reason.USAGE, "unknown target type '" + type + "' (supported: ram, null)");
        long bytes = Sizes.parse(size);
        long maxBytes = maxSize == null ? DeviceConfig.defaultMaxSize(bytes) : Sizes.parse(maxSize);
        return new DeviceConfig(target, id == null ? DevInfo.ANY_ID : id, bytes, maxBytes, queues, depth,
                logicalBlockSize, DeviceConfig.DEFAULT_MAX_IO_BYTES, maxMemory == null ? 0 : Sizes.parse(maxMemory),
                copyMode(), pollMicros, pinQueues, noPartScan, batchIo, scheduler, recoverable, writebackCache());
    }

    private boolean writebackCache() {
        if ("none".equals(cache)) return false;
        if ("writeback".equals(cache)) return true;
        throw new JublkException(Reason.USAGE, "unknown --cache '" + cache + "' (use none or writeback)");
    }

    private CopyMode copyMode() {
        if (copyMode == null) return null; // the kernel-dependent default, resolved by the server
        for (CopyMode m : CopyMode.values()) {
            if (m.name().equalsIgnoreCase(copyMode)) return m;
        }
        throw new JublkException(Reason.USAGE, "unknown --copy-mode '" + copyMode + "' (use user_copy, buffer or fixed)");
    }

    /**
     * Serves the device in this process until it is deleted or a signal stops it. With
     * {@code notify}, progress goes to stdout as BackgroundStart's protocol lines.
     */
    static int serve(DeviceConfig config, boolean notify) throws InterruptedException {
        return serve(config, notify, false);
    }

    /** @param recover take over the existing device config.devId() ('ublk recover') instead of adding one */
    static int serve(DeviceConfig config, boolean notify, boolean recover) throws InterruptedException {
        return serve(config, notify, recover, false);
    }

    /** @param freshRecoveryCount a manual 'ublk recover': the automatic-recovery count starts again */
    static int serve(DeviceConfig config, boolean notify, boolean recover, boolean freshRecoveryCount)
            throws InterruptedException {
        DeviceServer server = new DeviceServer(config, recover);
        if (freshRecoveryCount) server.countRecoveriesAfresh();
        PrintStream out = System.out;
        Thread hook = new Thread(() -> {
            if (server.finished()) return; // normal exit after the device was deleted
            boolean clean = false;
            try {
                if (server.info() != null) Log.info("signal: stopping device " + server.info().devId());
                server.stop();
                clean = server.awaitFinished(15_000);
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
            // A signal-initiated stop is a clean exit only if the teardown ran to its end.
            if (!clean) Log.info("teardown did not finish within 15 s: exiting with status 1");
            Runtime.getRuntime().halt(clean ? 0 : 1);
        }, "ublk-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.start(devId -> {
            if (notify) {
                out.println(BackgroundStart.ADDED + devId + " " + server.instance());
                out.flush();
            }
        });
        out.println((notify ? BackgroundStart.READY : "") + server.info().blockDevice());
        out.flush();
        SystemdNotify.ready("serving " + server.info().blockDevice());
        if (notify) {
            // The parent stops reading after READY: nothing may be written to that pipe again.
            System.setOut(System.err);
        }
        server.awaitTermination();
        if (server.handedOver()) {
            Log.info("handed device " + server.info().devId() + " over: exiting with status " + DeviceServer.HANDED_OVER_EXIT);
            return DeviceServer.HANDED_OVER_EXIT;
        }
        return 0;
    }
}
