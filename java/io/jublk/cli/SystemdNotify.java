package io.jublk.cli;

import io.jublk.daemon.Log;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;

/**
 * systemd's readiness protocol (sd_notify): with {@code Type=notify}, systemd starts the
 * units ordered after jublk@X only once the server says READY=1, which it does once
 * /dev/ublkbN exists. Outside systemd (no NOTIFY_SOCKET) this does nothing.
 */
final class SystemdNotify {
    private SystemdNotify() {}

    static void ready(String status) {
        String socket = System.getenv("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) return;
        int res = Native.jublk_unix_dgram_send(socket, "READY=1\nSTATUS=" + status + "\nMAINPID="
                + ProcessHandle.current().pid() + "\n");
        if (res < 0) Log.info("cannot notify systemd at " + socket + ": " + Errno.describe(res));
    }
}
