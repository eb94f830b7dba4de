package io.jublk.cli;

import io.jublk.JublkException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The {@code ublk} command: parses, dispatches, and turns every failure into one line and an exit code. */
@Command(name = "ublk",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        versionProvider = Main.Version.class,
        description = {
            "jublk: a Linux RAM disk served from user space through ublk.",
            "",
            "  ublk add -t ram --size 4G   create /dev/ublkbN holding up to 4 GiB in RAM",
            "  ublk list                   show devices",
            "  ublk stats -n 0             what device 0 is doing",
            "  ublk flush -n 0             release its memory; it then reads as zeros",
            "  ublk del -n 0               delete device 0 and release its memory",
        },
        subcommands = {AddCommand.class, DelCommand.class, ListCommand.class, FlushCommand.class, ResizeCommand.class, StatsCommand.class,
            FeaturesCommand.class, DocsCommand.class,
            CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {
            "  0  success",
            "  1  the operation failed (the message names the kernel error)",
            "  2  usage error: a bad option or value",
            "  3  ublk is not available: /dev/ublk-control missing (run 'modprobe ublk_drv')",
            "  4  permission denied: ublk needs root (CAP_SYS_ADMIN)",
            "  5  no such device",
            "  6  device busy, or the id is already in use",
            "  7  io_uring is unavailable (kernel.io_uring_disabled)",
            "  8  timed out",
            "",
            "Add --debug to any command to get stack traces with errors.",
        })
public final class Main implements Runnable {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try 'ublk --help')");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::onError);
        cl.setParameterExceptionHandler(Main::onUsageError);
        return cl;
    }

    private static boolean debugRequested(String[] args) {
        for (String a : args) if (a.equals("--debug")) return true;
        return false;
    }

    private static int onError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        boolean debug = debugRequested(parsed.originalArgs().toArray(new String[0]));
        if (e instanceof JublkException) {
            JublkException je = (JublkException) e;
            err.println("ublk: " + je.getMessage());
            if (debug) je.printStackTrace(err);
            err.flush();
            return je.reason().exitCode;
        }
        err.println("ublk: internal error: " + e + (debug ? "" : " (run with --debug for details)"));
        if (debug) e.printStackTrace(err);
        err.flush();
        return JublkException.Reason.FAILED.exitCode;
    }

    private static int onUsageError(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        Throwable cause = e.getCause();
        String message = cause instanceof JublkException ? cause.getMessage() : e.getMessage();
        err.println("ublk: " + message);
        err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
        if (debugRequested(args)) e.printStackTrace(err);
        err.flush();
        return JublkException.Reason.USAGE.exitCode;
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jublk " + (v != null ? v : "dev") + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
