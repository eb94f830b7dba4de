package io.jublk.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Build-time helper (hidden): writes the man page ublk.1 and the bash completion script
 * from the same picocli model that parses the command line, so they never drift apart.
 */
@Command(name = "generate-docs", hidden = true, description = "Write ublk.1 and the bash completion into a folder.")
final class DocsCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "Output folder.")
    Path dir;

    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(dir);
        CommandLine root = spec.commandLine().getParent();
        Files.writeString(dir.resolve("ublk.1"), manPage(root), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("ublk.bash"), AutoComplete.bash("ublk", root), StandardCharsets.UTF_8);
        return 0;
    }

    static String manPage(CommandLine root) {
        StringBuilder m = new StringBuilder();
        String version = new Main.Version().getVersion()[0];
        m.append(".TH UBLK 1 \"\" \"").append(esc(version)).append("\" \"User Commands\"\n");
        m.append(".SH NAME\nublk \\- create, inspect and delete RAM disks served from user space (jublk)\n");
        m.append(".SH SYNOPSIS\n.B ublk\n.I command\n[\\fIoptions\\fR]\n");
        m.append(".SH DESCRIPTION\n");
        for (String line : root.getCommandSpec().usageMessage().description()) m.append(esc(line)).append("\n.br\n");
        m.append(".SH COMMANDS\n");
        for (CommandLine sub : root.getSubcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.usageMessage().hidden() || s.name().equals("help")) continue;
            if (!sub.getCommandName().equals(s.name())) continue; // alias entry
            m.append(".SS ublk ").append(esc(s.name())).append("\n");
            for (String line : s.usageMessage().description()) m.append(esc(line)).append("\n.br\n");
            for (OptionSpec o : s.options()) {
                if (o.hidden() || o.usageHelp() || o.versionHelp()) continue;
                m.append(".TP\n.B ").append(esc(String.join(", ", o.names())));
                if (o.arity().max > 0) m.append(" \\fI").append(esc(o.paramLabel())).append("\\fR");
                m.append("\n").append(esc(String.join(" ", o.description())
                        .replace("${DEFAULT-VALUE}", String.valueOf(o.defaultValue())))).append("\n");
            }
        }
        m.append(".SH EXIT STATUS\n");
        for (String line : root.getCommandSpec().usageMessage().footer()) {
            if (!line.isBlank()) m.append(esc(line.trim())).append("\n.br\n");
        }
        m.append(".SH FILES\n/run/jublk/ublkN.log, ublkN.state, ublkN.sock \\- per-device server log, state and control socket.\n");
        m.append(".br\n/etc/jublk/NAME.conf \\- RAM disks created at boot by jublk@NAME.service.\n");
        m.append(".SH SEE ALSO\nblkdiscard(8), blockdev(8), fio(1)\n");
        return m.toString();
    }

    private static String esc(String s) {
        String t = s.replace("\\", "\\\\").replace("-", "\\-");
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }
}
