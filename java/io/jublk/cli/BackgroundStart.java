package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.DeviceIds;
import io.jublk.daemon.DeviceConfig;
import io.jublk.daemon.DeviceServer;
import io.jublk.daemon.RunDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * `ublk add` without --foreground: starts `ublk add ... --foreground --notify` as a new
 * session (so the terminal's signals do not reach it), waits — bounded — for its
 * "ready" line, and relays its error if it fails. A server that does not come up in
 * time is stopped; one that dies before the device is live (a crash, kill -9) leaves
 * nothing behind either: its half-made device, state file and socket are removed here.
 */
final class BackgroundStart {
    static final String ADDED = "jublk-added ";
    static final String READY = "jublk-ready ";
    /**
     * The parsed configuration, handed to the server so it can skip picocli (Main.main):
     * building the command model reflectively was the largest part of a server's start.
     */
    static final String CONFIG_ENV = "JUBLK_SERVER_CONFIG";
    /** Tells the launcher (JVM flags) and Main (the prepared configuration) that this is a server. */
    static final String ROLE_ENV = "JUBLK_ROLE";
    static final String SERVER_ROLE = "server";
    /** Set for a server that takes over an existing device ('ublk recover') instead of adding one. */
    static final String RECOVER_ENV = "JUBLK_SERVER_RECOVER";
    /** RECOVER_ENV's value for a manual 'ublk recover'. */
    static final String RECOVER_FRESH = "fresh-count";
    private static final String EOF = "\0eof";

    private final List<String> args;
    private final DeviceConfig config;
    private final long timeoutMs;
    private final boolean recover;
    /** A manual 'ublk recover': the recovering server starts the automatic-recovery count afresh. */
    private boolean freshRecoveryCount;
    /**
     * Random, put by the server into its ADD_DEV request (ublksrv_flags, which the kernel keeps
     * and never reads): a device it added but could not announce is found by it, and only it.
     */
    private final long startToken = new java.security.SecureRandom().nextLong() | 1L;

    /** {@code originalArgs} name the server in {@code ps}; {@code config} is what it serves. */
    BackgroundStart(List<String> originalArgs, DeviceConfig config, long timeoutMs) {
        this(originalArgs, config, timeoutMs, false);
    }

    /**
     * @param recover the server takes over device config.devId() from a dead server; if it
     *        fails, the device and its data are left as they were (never removed here)
     */
    BackgroundStart(List<String> originalArgs, DeviceConfig config, long timeoutMs, boolean recover) {
        this.args = originalArgs;
        this.config = config;
        this.timeoutMs = timeoutMs;
        this.recover = recover;
    }

    /** For 'ublk recover' (the user decided): the automatic-recovery count starts again. */
    BackgroundStart freshRecoveryCount() {
        this.freshRecoveryCount = true;
        return this;
    }

    int run() throws IOException, InterruptedException {
        Path dir = RunDir.ensure();
        // Unique per start, not only per process: a log an earlier error message named is kept.
        Path log = Files.createTempFile(dir, "add-" + ProcessHandle.current().pid() + "-", ".log",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        ProcessBuilder pb = new ProcessBuilder(command());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put(ROLE_ENV, SERVER_ROLE);
        pb.environment().put(CONFIG_ENV, config.encode());
        if (recover) pb.environment().put(RECOVER_ENV, freshRecoveryCount ? RECOVER_FRESH : "1");
        else pb.environment().put(DeviceServer.START_TOKEN_ENV, Long.toUnsignedString(startToken));
        Process p = pb.start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> readLines(p, lines), "ublk-add-reader");
        reader.setDaemon(true);
        reader.start();

        long deadline = System.currentTimeMillis() + timeoutMs;
        int devId = -1;
        String instance = "";
        while (true) {
            long left = deadline - System.currentTimeMillis();
            // Past the deadline, a line already read still counts (a READY must not be thrown away).
            String line = left > 0 ? lines.poll(left, TimeUnit.MILLISECONDS) : lines.poll();
            if (line == null) {
                abandon(p, recover ? -1 : devId, instance);
                if (devId < 0 && !recover) removeOrphans();
                throw new JublkException(Reason.TIMEOUT, "the device server did not come up within "
                        + timeoutMs / 1000 + " s; it was stopped (log: " + log + ")");
            }
            if (line.startsWith(ADDED)) {
                String[] added = line.substring(ADDED.length()).trim().split(" ");
                devId = Integer.parseInt(added[0]);
                instance = added.length > 1 ? added[1] : "";
            } else if (line.startsWith(READY)) {
                if (devId >= 0) moveLog(log, RunDir.logFile(devId));
                System.out.println(line.substring(READY.length()).trim());
                System.out.flush();
                return 0;
            } else if (line.equals(EOF)) {
                int code = p.waitFor();
                String error = lastError(log);
                boolean crashed = code > 128 || error == null;
                if (devId >= 0 && !recover) removeLeftovers(devId, instance);
                // Killed or crashed before it could say which device it added (a clean error
                // exit has removed its device itself).
                if (devId < 0 && !recover && crashed) devId = removeOrphans();
                if (!crashed) {
                    Files.deleteIfExists(log); // the one-line error says it all
                    throw new JublkException(exitReason(code), error);
                }
                // A crash (no error line of its own): keep what it wrote for the bug report.
                throw new JublkException(Reason.FAILED, "the device server " + howItEnded(code)
                        + " before the device was ready" + (devId >= 0 && !recover ? "; device " + devId + " was removed" : "")
                        + " (log: " + log + ")");
            }
        }
    }

    /** The background command: the launcher if we were started by it, else this JVM's java and classpath. */
    private List<String> command() {
        List<String> cmd = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) cmd.add("/usr/bin/setsid");
        String launcher = System.getenv("JUBLK_LAUNCHER");
        if (launcher != null && new File(launcher).canExecute()) {
            cmd.add(launcher);
        } else {
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            String libPath = System.getProperty("jna.library.path");
            if (libPath != null) cmd.add("-Djna.library.path=" + libPath);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(Main.class.getName());
        }
        cmd.addAll(args);
        cmd.add("--foreground");
        cmd.add(AddCommand.NOTIFY_OPTION);
        return cmd;
    }

    private static void readLines(Process p, LinkedBlockingQueue<String> lines) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) lines.add(line);
        } catch (IOException ignored) {
            // treated as end of output
        }
        lines.add(EOF);
    }

    /** The server's own one-line error ("ublk: ..."), without the prefix. */
    private static String lastError(Path log) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = all.size() - 1; i >= 0; i--) {
                String l = all.get(i);
                if (l.startsWith("ublk: ")) return l.substring("ublk: ".length());
            }
            return all.isEmpty() ? null : all.get(all.size() - 1);
        } catch (IOException e) {
            return null;
        }
    }

    /** "was killed by SIGKILL", "exited with code 134"... */
    static String howItEnded(int code) {
        if (code > 128 && code < 128 + 65) {
            int sig = code - 128;
            String[] names = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
                "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM"};
            String name = sig < names.length ? names[sig] : "signal " + sig;
            return sig == 6 ? "aborted (SIGABRT, exit code " + code + ": a JVM crash report may be in /run/jublk)"
                    : "was killed by " + name;
        }
        return "exited with code " + code;
    }

    /**
     * A server died before it said which device it added: delete the never-started device that
     * carries this start's token (a kill between ADD_DEV and the announcement — the OOM killer,
     * a user). Returns the id removed, or -1.
     */
    private int removeOrphans() {
        List<DevInfo> devices = new ArrayList<>();
        try (Control control = Control.open()) {
            for (int id : DeviceIds.list()) {
                try {
                    devices.add(control.getDevInfo(id));
                } catch (JublkException gone) {
                    // deleted meanwhile
                }
            }
        } catch (JublkException ignored) {
            return -1; // best effort: 'ublk list' shows anything left
        }
        int removed = -1;
        for (int id : DevInfo.orphansOf(startToken, devices)) {
            removeLeftovers(id, ""); // it never said which instance: only a state file naming one finds its files
            removed = id;
        }
        return removed;
    }

    /** A server died mid-start: delete what its instance made (device, state file, socket, store file). */
    private void removeLeftovers(int devId, String instance) {
        try (Control control = Control.open()) {
            // Only the device this start's server added (its ADD_DEV carried our token): if that
            // one is gone already, the id may belong to another disk by now.
            if (control.exists(devId) && control.getDevInfo(devId).serverFlags() == startToken) {
                new DeviceRemover(control, 10_000, true).delete(devId);
            }
        } catch (JublkException ignored) {
            // best effort: 'ublk list' shows anything left
        }
        RunDir.removeDeviceFiles(devId, instance); // also when the device was already gone
    }

    private static Reason exitReason(int code) {
        for (Reason r : Reason.values()) if (r.exitCode == code) return r;
        return Reason.FAILED;
    }

    private static void moveLog(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ignored) {
            // the server keeps writing to the old name; nothing is lost
        }
    }

    /** Stops a server that did not come up, and deletes its device if it got one. */
    private void abandon(Process p, int devId, String instance) throws InterruptedException {
        if (recover) {
            // Not SIGTERM: a recovering server that has just taken the disk over would delete it
            // (and its data) on a signal. Killed, it leaves the disk waiting with its data.
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            return;
        }
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        if (devId >= 0) removeLeftovers(devId, instance);
    }
}
