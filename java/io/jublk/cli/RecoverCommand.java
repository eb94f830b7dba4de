package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.daemon.DeviceConfig;
import io.jublk.daemon.DeviceServer;
import io.jublk.daemon.RunDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "recover", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
    "Start a new server for a recoverable disk whose server died.",
    "A disk added with --recoverable keeps its data in /run/jublk/mem when its server",
    "dies (crash, kill -9, OOM killer); the kernel holds the disk's I/O meanwhile",
    "(state QUIESCED in 'ublk list'). This starts a server on the same data with the",
    "same settings; the I/O that waited is then served, nothing fails.",
    "",
    "Example:",
    "  ublk recover -n 0",
    ""})
final class RecoverCommand implements Callable<Integer> {
    @Option(names = {"-n", "--number"}, required = true, paramLabel = "ID", description = "Device id to recover.")
    int id;

    @CommandLine.Mixin
    StartOptions start = new StartOptions();

    @Override
    public Integer call() throws Exception {
        start.timeoutMs(); // a bad --timeout is a usage error before anything else
        DeviceConfig config = recorded(id);
        // Checked here too, so that a wrong id fails before a server JVM is started.
        try (Control control = Control.open()) {
            DeviceServer.requireRecoverable(control.getDevInfo(id));
        }
        return takeOver(id, config, start, true);
    }

    /** Serves device {@code id} with a server that takes it over: in this process, or in the background. */
    /** @param freshRecoveryCount a manual recover: the automatic-recovery count starts again */
    static int takeOver(int id, DeviceConfig config, StartOptions start, boolean freshRecoveryCount) throws Exception {
        if (start.foreground) return AddCommand.serve(config, start.notify, true, freshRecoveryCount);
        BackgroundStart b = takeOverStart(id, config, start.timeoutMs());
        return (freshRecoveryCount ? b.freshRecoveryCount() : b).run();
    }

    /** Starts a background server that takes device {@code id} over; waits for it up to {@code timeoutMs}. */
    static int takeOverInBackground(int id, DeviceConfig config, long timeoutMs) throws Exception {
        return takeOverStart(id, config, timeoutMs).run();
    }

    private static BackgroundStart takeOverStart(int id, DeviceConfig config, long timeoutMs) {
        // The background server shows as 'ublk recover -n ID' in ps, whichever command started it.
        return new BackgroundStart(List.of("recover", "-n", Integer.toString(id)), config, timeoutMs, true);
    }

    /** The settings device {@code id} was added with, as its server recorded them. */
    static DeviceConfig recorded(int id) {
        String line = RunDir.readState(id).get("config");
        if (line == null) {
            throw new JublkException(Reason.NO_DEVICE, "no record of device " + id + " in " + RunDir.stateFile(id)
                    + ": it was not added by jublk with --recoverable, or the machine was rebooted");
        }
        try {
            return DeviceConfig.decode(line);
        } catch (IllegalArgumentException e) {
            throw new JublkException(Reason.FAILED, "the record of device " + id + " in " + RunDir.stateFile(id)
                    + " is unreadable (" + e.getMessage() + ")");
        }
    }
}
