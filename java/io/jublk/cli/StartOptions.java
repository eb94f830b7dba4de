package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import picocli.CommandLine.Option;

/** How a command that starts a server (add, recover) runs it: in the background (bounded wait) or here. */
final class StartOptions {
    @Option(names = "--foreground", description = "Serve in this process until SIGINT/SIGTERM, then delete the device.")
    boolean foreground;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the background server to bring the device up (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = AddCommand.NOTIFY_OPTION, hidden = true,
            description = "Report progress on stdout as protocol lines (used by the background start).")
    boolean notify;

    /** The --timeout in milliseconds; a usage error if it is below one second. */
    long timeoutMs() {
        if (timeoutSeconds < 1) throw new JublkException(Reason.USAGE, "--timeout must be at least 1 second");
        return timeoutSeconds * 1000L;
    }
}
