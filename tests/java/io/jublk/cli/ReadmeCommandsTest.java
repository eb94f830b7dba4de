package io.jublk.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README is the user's manual and the man page is generated from the CLI: every
 * {@code ublk COMMAND --option} the README shows in a code block must be one the CLI has,
 * so the two cannot drift apart unnoticed (an option renamed in the code fails here).
 */
class ReadmeCommandsTest {
    /** One command: after an optional prompt ("# ", "$ "), or after "; " or "&& " on a line. */
    private static final Pattern UBLK_LINE = Pattern.compile("^(?:[#$]\\s*)?ublk\\s+([a-z-]+)(.*)$");
    /** Long (--max-memory) and short (-n) options; "-t ram|null" and "4G" are not options. */
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\\w-])");

    @Test
    void everyCommandAndOptionTheReadmeShowsExists() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("README.md"));
        CommandLine cli = Main.commandLine();
        List<String> problems = new ArrayList<>();
        int commands = 0, options = 0;
        boolean inCode = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("```")) { inCode = !inCode; continue; }
            if (!inCode) continue;
            int lineNo = i + 1;
            // A synopsis line continued on the next lines (indented options) belongs to it.
            while (i + 1 < lines.size() && lines.get(i + 1).startsWith(" ") && lines.get(i + 1).strip().startsWith("[")) {
                line += " " + lines.get(++i).strip();
            }
            for (String part : line.split(";|&&")) {
                Matcher m = UBLK_LINE.matcher(part.strip());
                if (!m.matches()) continue;
                String name = m.group(1);
                if (name.startsWith("-")) continue;
                CommandLine sub = cli.getSubcommands().get(name);
                if (sub == null) {
                    problems.add("README line " + lineNo + ": 'ublk " + name + "' is not a command");
                    continue;
                }
                commands++;
                // Only what precedes a comment or an explanation in parentheses is the command.
                String command = m.group(2).replaceAll("\\s+\\(.*$", "").replaceAll("\\s+#.*$", "");
                Matcher o = OPTION.matcher(command);
                while (o.find()) {
                    String opt = o.group(1);
                    options++;
                    if (sub.getCommandSpec().findOption(opt) == null && cli.getCommandSpec().findOption(opt) == null) {
                        problems.add("README line " + lineNo + ": 'ublk " + name + "' has no option " + opt);
                    }
                }
            }
        }
        assertTrue(commands >= 10, "the README shows only " + commands + " ublk commands in code blocks");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        System.out.println("ReadmeCommandsTest: " + commands + " ublk command lines, " + options + " options checked");
    }
}
