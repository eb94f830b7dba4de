package io.jublk.harness;

import io.jublk.cli.Main;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Test harness only (not in the product's jar): runs many {@code ublk} command lines in one JVM,
 * for the VM suite, whose scenarios make about 150 CLI calls. Under the emulator each CLI call is
 * a JVM start of 5-10 s (picocli's Java 5 classes cannot be in the class-data-sharing archive);
 * that start-up, not the I/O, was most of CI's VM time. A call here runs {@link Main#run} — the
 * same parse, command and error reporting as the launcher's JVM — with its own stdout, stderr
 * and exit code. Device servers are still separate processes: {@code add} starts them through
 * the launcher ({@code JUBLK_LAUNCHER}) as it always does.
 *
 * <p>Protocol (the client is {@code tests/vm/ublk-session.sh}, bash only): the client makes a
 * request folder with {@code argv} (the arguments, each ended by NUL) and a FIFO {@code done}
 * that it holds open, and writes the folder's path as one line to {@code DIR/requests}. The
 * session runs the command in a thread of its own, writing {@code out} and {@code err} in the
 * folder, then writes the exit code as one line to {@code done}. While a call runs, the session
 * keeps a copy of its arguments in {@code DIR/inflight/}: the runner checks after every scenario
 * that no call outlived it (a client killed by a timeout does not stop its call here).
 *
 * <p>What the client must not send here, because one JVM cannot do it for a caller: a call with
 * an environment the server must inherit (fault injection, {@code NOTIFY_SOCKET}), from another
 * user or cgroup, or {@code --foreground} (which serves in the calling process). The client runs
 * those through the launcher.
 */
public final class CliSession {
    /** Where the current call's output goes; inherited by threads a command starts. */
    private static final InheritableThreadLocal<PrintStream> CALL_OUT = new InheritableThreadLocal<>();
    private static final InheritableThreadLocal<PrintStream> CALL_ERR = new InheritableThreadLocal<>();
    /**
     * The exit code when a command throws past {@link Main#run}: 1, as the launcher's JVM exits
     * with an uncaught exception. After an {@link Error} the session ends itself (this JVM may be
     * damaged: out of memory, a class that failed to initialise) and the runner starts another.
     */
    static final int UNCAUGHT_EXIT = 1;

    private CliSession() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: CliSession DIR   (DIR/requests: a FIFO made by the caller)");
            System.exit(2);
        }
        serve(Path.of(args[0]));
    }

    /** Serves requests from {@code dir/requests} until the JVM ends; writes {@code dir/ready} first. */
    static void serve(Path dir) throws IOException {
        routeStandardStreams();
        Path requests = dir.resolve("requests");
        Files.createDirectories(dir.resolve("inflight"));
        // The client sends a caller from another cgroup to the launcher (its server must start there).
        Files.writeString(dir.resolve("cgroup"), Files.readString(Path.of("/proc/self/cgroup")));
        // ... and one whose environment differs where the launcher or a server reads it.
        StringBuilder env = new StringBuilder();
        System.getenv().forEach((k, v) -> env.append(k).append('=').append(v).append('\0'));
        Files.writeString(dir.resolve("env"), env);
        // Read and write: the session is a writer of its own FIFO, so the reader never sees
        // end-of-file between two clients (a request written then would be lost).
        try (FileChannel ch = FileChannel.open(requests, StandardOpenOption.READ, StandardOpenOption.WRITE);
             BufferedReader lines = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                     StandardCharsets.UTF_8))) {
            Files.writeString(dir.resolve("ready"), ProcessHandle.current().pid() + "\n");
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isBlank()) continue;
                Path request = Path.of(line.trim());
                Thread t = new Thread(() -> runRequest(request), "ublk-call-" + request.getFileName());
                t.setDaemon(true);
                t.start();
            }
        }
    }

    /** Runs one request folder's command line and reports its exit code to the client. */
    static void runRequest(Path request) {
        int rc;
        Path inflight = request.getParent().resolve("inflight").resolve(request.getFileName());
        Error fatal = null;
        try (PrintStream out = new PrintStream(Files.newOutputStream(request.resolve("out")), true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(Files.newOutputStream(request.resolve("err")), true, StandardCharsets.UTF_8)) {
            CALL_OUT.set(out);
            CALL_ERR.set(err);
            try {
                String[] args = readArgs(request.resolve("argv"));
                Files.writeString(inflight, String.join(" ", args) + "\n");
                rc = Main.run(args);
            } catch (Throwable t) {
                err.print("Exception in thread \"main\" ");
                t.printStackTrace(err);
                rc = UNCAUGHT_EXIT;
                if (t instanceof Error e) fatal = e;
            } finally {
                System.out.flush();
                System.err.flush();
                CALL_OUT.remove();
                CALL_ERR.remove();
            }
        } catch (IOException e) {
            System.err.println("cli-session: request " + request + ": " + e);
            rc = UNCAUGHT_EXIT;
        }
        try {
            Files.deleteIfExists(inflight);
        } catch (IOException e) {
            System.err.println("cli-session: " + e);
        }
        // Blocks only if the client died before the answer (it holds the FIFO open while it
        // waits); then this daemon thread waits for nobody, which costs nothing.
        try (FileChannel done = FileChannel.open(request.resolve("done"), StandardOpenOption.WRITE)) {
            done.write(StandardCharsets.UTF_8.encode(rc + "\n"));
        } catch (IOException e) {
            System.err.println("cli-session: cannot answer " + request + ": " + e);
        }
        if (fatal != null) {
            System.err.println("cli-session: ending after " + fatal);
            Runtime.getRuntime().halt(UNCAUGHT_EXIT);
        }
    }

    static String[] readArgs(Path argv) throws IOException {
        byte[] raw = Files.readAllBytes(argv);
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return args.toArray(new String[0]);
    }

    /** System.out and System.err write to the calling thread's call, or to the session's own. */
    private static void routeStandardStreams() {
        PrintStream sessionOut = System.out, sessionErr = System.err;
        System.setOut(new PrintStream(new Routed(CALL_OUT, sessionOut), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Routed(CALL_ERR, sessionErr), true, StandardCharsets.UTF_8));
    }

    private static final class Routed extends OutputStream {
        private final ThreadLocal<PrintStream> call;
        private final PrintStream session;

        Routed(ThreadLocal<PrintStream> call, PrintStream session) {
            this.call = call;
            this.session = session;
        }

        private PrintStream target() {
            PrintStream p = call.get();
            return p != null ? p : session;
        }

        @Override public void write(int b) { target().write(b); }
        @Override public void write(byte[] b, int off, int len) { target().write(b, off, len); }
        @Override public void flush() { target().flush(); }
    }
}
