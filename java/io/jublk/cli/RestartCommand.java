package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Feature;
import io.jublk.ctrl.Uapi;
import io.jublk.daemon.DeviceConfig;
import io.jublk.daemon.RunDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "restart", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
    "Replace a recoverable disk's server with a new one without failing any I/O.",
    "For example after a package update: the running server hands the disk over",
    "(QUIESCE_DEV: the kernel holds new requests while the old server finishes",
    "the ones it has and exits), then a new server takes it over as 'ublk",
    "recover' does. I/O pauses for the new server's start and then carries on;",
    "the data stays in place. Needs a disk added with --recoverable on a kernel",
    "with UBLK_F_QUIESCE (6.16+).",
    "A jublk@ unit's disk stays in its unit: the old server exits with status",
    "75, on which the unit restarts (RestartForceExitStatus=75), and systemd's",
    "new server takes the disk over; restart waits for that.",
    "",
    "Example:",
    "  ublk restart -n 0",
    ""})
final class RestartCommand implements Callable<Integer> {
    /** How long the old server may take to exit after it agreed to hand the disk over. */
    private static final long EXIT_TIMEOUT_MS = 30_000;

    @Option(names = {"-n", "--number"}, required = true, paramLabel = "ID", description = "Device id to restart.")
    int id;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the new server to take the device over (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (timeoutSeconds < 1) throw new JublkException(Reason.USAGE, "--timeout must be at least 1 second");
        DevInfo info;
        long features;
        try (Control control = Control.open()) {
            info = control.getDevInfo(id);
            features = control.getFeatures();
        }
        if (!Feature.USER_RECOVERY.in(info.flags())) {
            throw new JublkException(Reason.FAILED, "device " + id + " was not created with --recoverable: a new "
                    + "server could not take its data over");
        }
        if (!Feature.QUIESCE.in(info.flags())) {
            throw new JublkException(Reason.UNSUPPORTED, "restart needs UBLK_F_QUIESCE, which " + (Feature.QUIESCE.in(
                    features) ? "device " + id + " was created without" : "this kernel's ublk driver lacks (6.16+)")
                    + "; on this kernel stop the server abruptly (kill -9: its I/O waits, none fails) and run "
                    + "'ublk recover -n " + id + "'");
        }
        DeviceConfig config = RecoverCommand.recorded(id);
        // A unit's server is replaced by systemd (RestartForceExitStatus=): one started here would
        // run outside the unit, and the unit would not know its disk.
        String unit = RunDir.readState(id).get("unit");
        ControlClient.request(id, "handover");
        Optional<ProcessHandle> old = info.serverPid() > 0 ? ProcessHandle.of(info.serverPid()) : Optional.empty();
        if (old.isPresent()) {
            try {
                old.get().onExit().get(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new JublkException(Reason.TIMEOUT, "the server of device " + id + " (pid " + info.serverPid()
                        + ") agreed to hand the disk over but has not exited after " + EXIT_TIMEOUT_MS / 1000
                        + " s; the disk's I/O waits: kill it (kill -9 " + info.serverPid() + ") and run "
                        + "'ublk recover -n " + id + "'");
            }
        }
        if (unit != null) return awaitUnitServer(unit, info.serverPid());
        return RecoverCommand.takeOverInBackground(id, config, timeoutSeconds * 1000L);
    }

    /** Waits until systemd's new server of {@code unit} has taken the device over. */
    private int awaitUnitServer(String unit, int oldPid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            DevInfo now;
            try (Control control = Control.open()) {
                now = control.getDevInfo(id);
            }
            if (now.state() == Uapi.S_DEV_LIVE && now.serverPid() > 0 && now.serverPid() != oldPid) {
                System.out.println("/dev/ublkb" + id + ": served by pid " + now.serverPid() + " of " + unit);
                return 0;
            }
            Thread.sleep(200);
        }
        throw new JublkException(Reason.TIMEOUT, "device " + id + " was handed over, but " + unit + " has not "
                + "taken it over within " + timeoutSeconds + " s; its I/O waits: see 'systemctl status " + unit
                + "' and 'journalctl -u " + unit + "'");
    }
}
