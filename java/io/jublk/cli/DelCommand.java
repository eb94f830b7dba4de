package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DeviceIds;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "del", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        aliases = "delete", description = {
    "Delete a device and release its memory.",
    "Stops it (its /dev/ublkbN disappears and I/O still in flight fails), lets its",
    "server release the memory and exit, and frees the id.",
    "Works also for a device whose server has died.",
    "A disk that is mounted or open is refused (EBUSY, exit 6) unless --force: with a",
    "7.x kernel (UBLK_F_SAFE_STOP_DEV) the kernel checks for any opener and stops the",
    "disk in the same step; on older kernels jublk looks for a mount and scans /proc",
    "for openers first (not atomic: an open racing the del can slip in)."})
final class DelCommand implements Callable<Integer> {

    static final class Which {
        @Option(names = {"-n", "--number"}, paramLabel = "ID", required = true, description = "Device id to delete.")
        Integer id;

        @Option(names = {"-a", "--all"}, required = true, description = "Delete every ublk device.")
        boolean all;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long to wait for each device to go away (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = {"-f", "--force"},
            description = "Remove the device even if it is mounted or open: its I/O fails from then on, its memory is released, and the kernel frees the id when the last opener closes it.")
    boolean force;

    @Override
    public Integer call() {
        if (timeoutSeconds < 1) {
            throw new JublkException(JublkException.Reason.USAGE, "--timeout must be at least 1 second");
        }
        try (Control control = Control.open()) {
            DeviceRemover remover = new DeviceRemover(control, timeoutSeconds * 1000L, force);
            if (which.all) {
                // Every device that can go goes; the busy ones are named at the end.
                List<String> busy = new ArrayList<>();
                for (int id : DeviceIds.list()) {
                    try {
                        remover.delete(id);
                    } catch (JublkException e) {
                        if (e.reason() == JublkException.Reason.BUSY) busy.add(Integer.toString(id));
                        else if (e.reason() != JublkException.Reason.NO_DEVICE) throw e;
                    }
                }
                if (!busy.isEmpty()) {
                    throw new JublkException(JublkException.Reason.BUSY, "device(s) " + String.join(", ", busy)
                            + " left in place: mounted or open (EBUSY); unmount or close them, or use --force");
                }
            } else {
                remover.delete(which.id);
            }
        }
        return 0;
    }
}
