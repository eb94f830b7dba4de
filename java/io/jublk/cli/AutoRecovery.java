package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Feature;
import io.jublk.daemon.RunDir;

import java.util.ArrayList;
import java.util.List;

/**
 * 'ublk add --or-recover -n N' (what jublk@.service runs): if disk N is a recoverable disk whose
 * server died, take it over instead of adding a new one — so systemd restarting a killed server
 * brings the same data back. Bounded: a disk whose server died {@link #MAX_RECOVERIES} times
 * within {@link #WINDOW_SECONDS} is not recovered again automatically — it is removed (its
 * waiting I/O fails, its memory is freed) and the command fails saying why, because a server
 * that keeps dying would otherwise hold the disk's I/O forever.
 */
final class AutoRecovery {
    static final int MAX_RECOVERIES = 3;
    static final long WINDOW_SECONDS = 600;

    private AutoRecovery() {}

    /** True if device {@code id} exists, is recoverable and has no live server. */
    static boolean waitingForServer(Control control, int id) {
        DevInfo info;
        try {
            info = control.getDevInfo(id);
        } catch (JublkException e) {
            if (e.reason() == Reason.NO_DEVICE) return false; // no such disk: add it
            throw e;
        }
        if (!Feature.USER_RECOVERY.in(info.flags())) return false;
        int pid = info.serverPid();
        boolean serverAlive = pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        return !serverAlive && RunDir.readState(id).containsKey("config");
    }

    /**
     * The recoveries of device {@code id} within the window before {@code nowSeconds}, from its
     * state file ("recoveries=EPOCH,EPOCH,...", written by each recovering server).
     */
    static List<Long> recentRecoveries(String recorded, long nowSeconds) {
        List<Long> out = new ArrayList<>();
        if (recorded == null || recorded.isBlank()) return out;
        for (String t : recorded.split(",")) {
            try {
                long at = Long.parseLong(t.trim());
                if (nowSeconds - at < WINDOW_SECONDS) out.add(at);
            } catch (NumberFormatException ignored) {
                // a damaged entry counts as none
            }
        }
        return out;
    }

    /** Throws (after removing the disk) if device {@code id} was recovered too often lately. */
    static void checkBound(Control control, int id) {
        long now = System.currentTimeMillis() / 1000;
        List<Long> recent = recentRecoveries(RunDir.readState(id).get("recoveries"), now);
        if (recent.size() < MAX_RECOVERIES) return;
        new DeviceRemover(control, 10_000, true).delete(id);
        throw new JublkException(Reason.FAILED, "device " + id + ": its server died " + (recent.size() + 1)
                + " times within " + WINDOW_SECONDS / 60 + " minutes (recovered at " + recent
                + " s since the epoch); not recovering it again: the disk was removed, its waiting I/O failed and "
                + "its memory was freed (server log: " + RunDir.logFile(id) + ")");
    }
}
