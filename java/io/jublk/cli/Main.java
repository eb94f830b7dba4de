package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.daemon.DeviceConfig;
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
            "  9  this kernel's ublk driver lacks a feature the command needs (the message names it)",
            " 70  (a --recoverable disk's server) a queue failed; the data is kept for a new server",
            " 75  (a server) it handed its disk over to a new server ('ublk restart')",
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
        String prepared = System.getenv(BackgroundStart.CONFIG_ENV);
        if (prepared != null && BackgroundStart.SERVER_ROLE.equals(System.getenv(BackgroundStart.ROLE_ENV))) {
            // A background server started by 'ublk add': its parent parsed and validated the
            // command line and passed the result, so this process skips picocli (measured in
            // the emulated test VM: 8-13 s of a 26-37 s server start; ~0.1 s on real CPUs).
            System.exit(servePrepared(prepared, args));
        }
        System.exit(run(args));
    }

    private static int servePrepared(String config, String[] args) {
        PrintWriter err = new PrintWriter(System.err, true);
        try {
            String recover = System.getenv(BackgroundStart.RECOVER_ENV);
            return AddCommand.serve(DeviceConfig.decode(config), true, recover != null,
                    BackgroundStart.RECOVER_FRESH.equals(recover));
        } catch (Exception e) {
            return report(e, err, debugRequested(args));
        }
    }

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        return commandLine(args).execute(args);
    }

    /**
     * Every subcommand, in the order the usage lists them. Registered programmatically rather
     * than in the annotation so that a call builds only the model of the command it runs:
     * picocli reads each command's annotations reflectively, and its classes (Java 5 bytecode)
     * cannot be in the class-data-sharing archive, so building all of them was most of a CLI
     * call's start-up (~75% of 0.27 s on the host, several seconds in the emulated test VM).
     */
    private static final Class<?>[] SUBCOMMANDS = {
        AddCommand.class, DelCommand.class, ListCommand.class, RecoverCommand.class, RestartCommand.class,
        FlushCommand.class, PowercutCommand.class, PoweronCommand.class,
        ResizeCommand.class, StatsCommand.class, FeaturesCommand.class, DocsCommand.class, CommandLine.HelpCommand.class,
    };

    /** The full command line, every subcommand registered (help, docs, tests). */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command line for these arguments: only the named subcommand when the first
     * non-option argument names one; all of them otherwise (help, usage errors, docs).
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> only = requestedSubcommand(args);
        for (Class<?> c : SUBCOMMANDS) {
            if (only == null || c == only) cl.addSubcommand(c);
        }
        cl.setExecutionExceptionHandler(Main::onError);
        cl.setParameterExceptionHandler(Main::onUsageError);
        return cl;
    }

    /** The subcommand class named by the first non-option argument, or null (then all are needed). */
    private static Class<?> requestedSubcommand(String[] args) {
        for (String a : args) {
            if (a.startsWith("-")) continue;
            for (Class<?> c : SUBCOMMANDS) {
                if (c == DocsCommand.class || c == CommandLine.HelpCommand.class) continue;  // both walk every command
                Command cmd = c.getAnnotation(Command.class);
                if (cmd.name().equals(a) || java.util.Arrays.asList(cmd.aliases()).contains(a)) return c;
            }
            return null;
        }
        return null;
    }

    private static boolean debugRequested(String[] args) {
        for (String a : args) if (a.equals("--debug")) return true;
        return false;
    }

    private static int onError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        return report(e, cl.getErr(), debugRequested(parsed.originalArgs().toArray(new String[0])));
    }

    /** One line naming the failure (a stack trace only with --debug); returns the exit code. */
    private static int report(Exception e, PrintWriter err, boolean debug) {
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
