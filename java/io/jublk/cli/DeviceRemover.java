package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Feature;
import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.daemon.RunDir;
import io.jublk.daemon.TestFaults;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Deletes a device whether or not its server is alive: STOP_DEV (the kernel removes
 * /dev/ublkbN and aborts the server's queues, so a live server deletes the device and
 * exits by itself), then DEL_DEV for whatever is left — e.g. after the server was killed.
 * Every wait is bounded.
 *
 * <p>Unless forced, a disk someone has open is left alone: with UBLK_F_SAFE_STOP_DEV the
 * kernel checks and stops atomically (TRY_STOP_DEV: any opener, a mount included); without
 * it an exclusive open probes for a mount or another exclusive holder and a scan of
 * /proc/PID/fd for any other opener — not atomic: an open racing the stop can slip in.
 */
final class DeviceRemover {
    private final Control control;
    private final long timeoutMs;
    private final boolean force;
    /** With --force, how long a stopped device may take to go before an opener is assumed to hold it. */
    private static final long FORCED_WAIT_MS = 1_000;
    private long features = -1;

    /** How long the server's answer to "delete" may take (it answers before it stops). */
    private static final long DELETE_REPLY_MS = 5000;

    DeviceRemover(Control control, long timeoutMs, boolean force) {
        this.control = control;
        this.timeoutMs = timeoutMs;
        this.force = force;
    }

    void delete(int id) {
        DevInfo info = control.getDevInfo(id);
        // Read before the device goes: once its id is free, a new disk may take it and its files.
        String instance = RunDir.readState(id).getOrDefault(RunDir.INSTANCE, "");
        long deadline = System.currentTimeMillis() + timeoutMs;
        if (!force && info.state() == Uapi.S_DEV_LIVE) stopUnlessOpen(id, info);
        if (info.serverPid() > 0 && java.nio.file.Files.exists(RunDir.socketFile(id))) {
            try {
                // The server stops itself and cleans up; a healthy one answers at once, and a stuck
                // one must not use up the del's own time limit (STOP_DEV below stops it from here).
                ControlClient.request(id, "delete", Math.max(1000, Math.min(deadline - System.currentTimeMillis(),
                        DELETE_REPLY_MS)));
            } catch (JublkException e) {
                // unreachable server: STOP_DEV below does the same from here
            }
        }
        try {
            control.stopDev(id);
        } catch (JublkException e) {
            if (e.reason() == Reason.NO_DEVICE) return;
            throw e;
        }
        if (info.serverPid() > 0) {
            Optional<ProcessHandle> server = ProcessHandle.of(info.serverPid());
            if (server.isPresent()) waitForExit(server.get(), deadline);
        }
        if (control.exists(id)) {
            try {
                control.delDevAsync(id);
            } catch (JublkException e) {
                if (e.reason() != Reason.NO_DEVICE) throw e;
            }
        }
        long forcedEnd = Math.min(deadline, System.currentTimeMillis() + FORCED_WAIT_MS);
        while (control.exists(id)) {
            if (force && System.currentTimeMillis() > forcedEnd && serverGone(info)) {
                // Stopped, server gone (memory released), deletion queued with the kernel: what is
                // left is an id held by someone else's open file, freed when they close it.
                RunDir.removeDeviceFiles(id, instance);
                System.err.println("ublk: device " + id + " stopped and its memory released; another process "
                        + "still has it open, and the kernel frees id " + id + " when that process closes it");
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new JublkException(Reason.TIMEOUT, "device " + id + " was stopped but is not gone after "
                        + timeoutMs / 1000 + " s: another process still holds " + info.charDevice() + " or "
                        + info.blockDevice() + " open");
            }
            sleep(50);
        }
        // The id is free now: an 'add' may already have it, with files of its own (VM test).
        TestFaults.reachedInCli("del-before-files");
        RunDir.removeDeviceFiles(id, instance);
    }

    /** Stops the device if nobody has it open, else refuses with EBUSY (see the class comment). */
    private void stopUnlessOpen(int id, DevInfo info) {
        if (features < 0) features = control.getFeatures();
        boolean open;
        if (Feature.SAFE_STOP_DEV.in(features)) {
            open = !control.tryStopDev(id);
        } else {
            int fd = Native.jublk_open(info.blockDevice(), Native.O_RDONLY | Native.O_EXCL);
            open = fd == Errno.EBUSY.negative();
            if (fd >= 0) Native.jublk_close(fd);
            if (!open) {
                String holder = OpenFiles.firstHolder(info.blockDevice());
                if (holder != null) {
                    throw new JublkException(Reason.BUSY, info.blockDevice() + " is open (by " + holder
                            + "); close it, or use 'ublk del --force' to remove it anyway (its I/O then fails)");
                }
            }
        }
        if (open) {
            throw new JublkException(Reason.BUSY, info.blockDevice() + " is " + (Feature.SAFE_STOP_DEV.in(features)
                    ? "open or mounted" : "mounted or held open exclusively") + " (EBUSY); unmount or close it, or "
                    + "use 'ublk del --force' to remove it anyway (its I/O then fails)");
        }
    }

    private static boolean serverGone(DevInfo info) {
        return info.serverPid() <= 0 || ProcessHandle.of(info.serverPid()).map(p -> !p.isAlive()).orElse(true);
    }

    private static void waitForExit(ProcessHandle p, long deadline) {
        try {
            p.onExit().get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // still running: the device is deleted below regardless; the server exits on its own
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
