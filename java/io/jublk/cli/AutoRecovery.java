package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Feature;
import io.jublk.daemon.RunDir;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * 'ublk add --or-recover -n N' (what jublk@.service runs): if disk N is a recoverable disk whose
 * server died, take it over instead of adding a new one — so systemd restarting a killed server
 * brings the same data back. Bounded: a disk whose server died {@link #MAX_RECOVERIES} times
 * within {@link #WINDOW_SECONDS} is not recovered again automatically: the command fails saying
 * why and what to do, and the disk stays as it is — its data kept, its I/O waiting — for the
 * user's 'ublk recover' or 'ublk del' (a server that keeps dying would otherwise restart forever).
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

    /**
     * Refuses (FAILED) to recover device {@code id} once more if it was recovered too often
     * lately. The disk is left as it is — its data kept, its I/O waiting (QUIESCED) — and the
     * state file says when the bound stopped it: deleting a user's data is the user's decision,
     * not a restart policy's. A manual 'ublk recover' starts the count again.
     */
    static void checkBound(int id) {
        long now = System.currentTimeMillis() / 1000;
        Map<String, String> state = RunDir.readState(id);
        String refusal = refusal(id, state, now);
        if (refusal == null) return;
        state.put(GIVEN_UP_KEY, Long.toString(now));
        try {
            RunDir.writeState(id, state);
        } catch (IOException e) {
            // Only a note for 'ublk list'; the refusal below says all the user needs.
        }
        throw new JublkException(Reason.FAILED, refusal);
    }

    /** The state-file key that records when the bound stopped automatic recovery (epoch seconds). */
    static final String GIVEN_UP_KEY = "recovery_given_up";

    /** Why device {@code id} (its state file {@code state}) is not recovered again at {@code now}; null if it may be. */
    static String refusal(int id, Map<String, String> state, long nowSeconds) {
        List<Long> recent = recentRecoveries(state.get("recoveries"), nowSeconds);
        if (recent.size() < MAX_RECOVERIES) return null;
        String store = state.getOrDefault("store_file", "its store file");
        return "device " + id + ": its server died " + (recent.size() + 1) + " times within " + WINDOW_SECONDS / 60
                + " minutes; not recovering it again automatically. Its data is kept in " + store
                + " and its I/O waits (QUIESCED): take it over with 'ublk recover -n " + id
                + "', or delete it and its data with 'ublk del -n " + id + "' (server log: " + RunDir.logFile(id) + ")";
    }
}
