package io.jublk.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Build-time only: the program whose loaded classes become the class-data-sharing archive the
 * launcher gives every CLI call ({@code target/jublk.jsa}, made by {@code mvn package}).
 *
 * <p>The build host usually has no ublk, so running real commands there would stop early and
 * archive only the error path; instead this loads what calls load in use: every jublk class and
 * JNA's, the native shim, and picocli's parse and help paths for every subcommand. It changes
 * nothing on the machine (no device, no file).
 */
public final class CdsTraining {
    private CdsTraining() {}

    public static void main(String[] args) throws IOException, URISyntaxException {
        loadJarClasses(Main.class);             // jublk's own classes
        loadJarClasses(com.sun.jna.Native.class);
        io.jublk.nat.Native.ensureLoaded();     // JNA's dispatch library and the shim's bindings

        StringWriter sink = new StringWriter();
        CommandLine all = Main.commandLine();
        all.usage(new PrintWriter(sink));
        for (CommandLine sub : all.getSubcommands().values()) sub.usage(new PrintWriter(sink));
        String[][] typical = {
            {"add", "-t", "ram", "--size", "1G", "-q", "2"}, {"del", "-n", "0"}, {"del", "-a", "--force"},
            {"list", "--json"}, {"flush", "-n", "0"}, {"resize", "-n", "0", "--size", "2G"},
            {"stats", "-n", "0", "--json"}, {"features"}, {"--version"},
        };
        for (String[] a : typical) Main.commandLine(a).parseArgs(a);
        Main.commandLine(new String[] {"--version"}).execute("--version");
        System.out.println("cds training: done");
    }

    /** Loads (without initialising) every class in the jar that holds {@code anchor}. */
    private static void loadJarClasses(Class<?> anchor) throws IOException, URISyntaxException {
        Path jar = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        ClassLoader loader = anchor.getClassLoader();
        try (JarFile jf = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = jf.entries(); e.hasMoreElements(); ) {
                String n = e.nextElement().getName();
                if (!n.endsWith(".class") || n.startsWith("META-INF/") || n.contains("module-info")) continue;
                try {
                    Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, loader);
                } catch (LinkageError | ClassNotFoundException skipped) {
                    // optional parts of JNA (platform classes for other systems): not needed here
                }
            }
        }
    }
}
