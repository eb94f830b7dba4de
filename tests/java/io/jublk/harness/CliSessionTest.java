package io.jublk.harness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The VM suite's CLI session (CliSession + tests/vm/ublk-session.sh) answers a call as the
 * launcher's JVM would — the same stdout, stderr and exit code — and sends what it cannot do
 * for the caller to the real launcher. Run on the host: the session serves in this JVM, the
 * client is the real bash script.
 */
class CliSessionTest {
    private static final Path CLIENT = Path.of("tests/vm/ublk-session.sh").toAbsolutePath();
    @TempDir Path dir;
    private Thread server;
    private PrintStream savedOut, savedErr;
    private Path fakeLauncher;

    @BeforeEach
    void startSession() throws Exception {
        savedOut = System.out;
        savedErr = System.err;
        assertEquals(0, new ProcessBuilder("mkfifo", dir.resolve("requests").toString()).start().waitFor());
        // Stands in for packaging/ublk: says that the call went to the launcher, and with what.
        fakeLauncher = dir.resolve("launcher");
        Files.writeString(fakeLauncher, "#!/bin/sh\necho \"launcher: $*\"\nexit 3\n");
        fakeLauncher.toFile().setExecutable(true);
        server = new Thread(() -> {
            try {
                CliSession.serve(dir);
            } catch (IOException ended) {
                // interrupted at the end of the test: the channel closes
            }
        }, "cli-session-test");
        server.setDaemon(true);
        server.start();
        for (int i = 0; i < 100 && !Files.exists(dir.resolve("ready")); i++) Thread.sleep(20);
        assertTrue(Files.exists(dir.resolve("ready")), "the session did not become ready");
    }

    @AfterEach
    void stopSession() throws InterruptedException {
        server.interrupt();
        server.join(2000);
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private record Result(int exit, String out, String err) {}

    private Result call(String... args) throws IOException, InterruptedException {
        return call(new String[0], args);
    }

    private Result call(String[] env, String... args) throws IOException, InterruptedException {
        return callSession(dir, env, args);
    }

    private Result callSession(Path session, String[] env, String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "bash";
        cmd[1] = CLIENT.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JUBLK_CLI_SESSION", session.toString());
        pb.environment().put("JUBLK_REAL_UBLK", fakeLauncher.toString());
        for (String kv : env) pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        Path out = Files.createTempFile(dir, "out", ""), err = Files.createTempFile(dir, "err", "");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the client did not return within 30 s");
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void aCallGetsTheCommandsOutputAndExitCode() throws Exception {
        Result r = call("--version");
        assertEquals(0, r.exit, r.err);
        assertTrue(r.out.startsWith("jublk "), r.out);
        assertEquals("", r.err);
    }

    @Test
    void aUsageErrorIsOneLineOnStderrWithItsExitCode() throws Exception {
        Result r = call("add", "-t", "ram", "--size", "banana");
        assertEquals(2, r.exit, r.out + r.err);
        assertEquals("", r.out);
        assertTrue(r.err.startsWith("ublk: "), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
    }

    @Test
    void argumentsWithSpacesAndEmptyOnesArriveIntact() throws Exception {
        Result r = call("add", "-t", "ram", "--size", "1 G");
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("1 G"), r.err);
    }

    @Test
    void concurrentCallsKeepTheirOutputApart() throws Exception {
        Result[] results = new Result[8];
        Thread[] threads = new Thread[8];
        for (int i = 0; i < threads.length; i++) {
            int n = i;
            threads[i] = new Thread(() -> {
                try {
                    results[n] = n % 2 == 0 ? call("--version") : call("add", "-t", "ram", "--size", "x" + n);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) t.join(60_000);
        for (int i = 0; i < results.length; i++) {
            Result r = results[i];
            assertNotNull(r, "call " + i + " did not finish");
            if (i % 2 == 0) {
                assertEquals(0, r.exit);
                assertTrue(r.out.startsWith("jublk ") && r.err.isEmpty(), r.out + r.err);
            } else {
                assertEquals(2, r.exit);
                assertTrue(r.out.isEmpty() && r.err.contains("x" + i) && !r.err.contains("jublk "), r.err);
            }
        }
    }

    /** The same arguments in a JVM of their own (what the launcher runs) and through the session. */
    @Test
    void aCallAnswersAsAJvmOfItsOwnWould() throws Exception {
        String[][] cases = {{}, {"--help"}, {"--version"}, {"add", "-t", "ram", "--size", "banana"}, {"del", "-n", "424242"},
                            {"add", "--help"}, {"nonsense"}, {"list", "--json"}};
        for (String[] args : cases) {
            String[] cmd = new String[args.length + 4];
            cmd[0] = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            cmd[1] = "-cp";
            cmd[2] = System.getProperty("java.class.path");
            cmd[3] = "io.jublk.cli.Main";
            System.arraycopy(args, 0, cmd, 4, args.length);
            Path out = Files.createTempFile(dir, "jvm-out", ""), err = Files.createTempFile(dir, "jvm-err", "");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            Result own = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Result session = call(args);
            String what = "ublk " + String.join(" ", args);
            assertEquals(own.exit, session.exit, what + ": exit code");
            assertEquals(own.out, session.out, what + ": stdout");
            assertEquals(own.err, session.err, what + ": stderr");
        }
    }

    @Test
    void whatOneJvmCannotDoForTheCallerGoesToTheLauncher() throws Exception {
        Result fg = call("add", "-t", "ram", "--size", "1M", "--foreground");
        assertEquals(3, fg.exit);
        assertEquals("launcher: add -t ram --size 1M --foreground\n", fg.out);
        Result fault = call(new String[] {"JUBLK_TEST_FAULT=kill-at:after-add-dev"}, "--version");
        assertEquals("launcher: --version\n", fault.out);
        Result notify = call(new String[] {"NOTIFY_SOCKET=/tmp/x"}, "--version");
        assertEquals("launcher: --version\n", notify.out);
        Result javaHome = call(new String[] {"JAVA_HOME=/elsewhere"}, "--version");
        assertEquals("launcher: --version\n", javaHome.out, "a JAVA_HOME other than the session's");
        Result opts = call(new String[] {"JUBLK_JAVA_OPTS=-Xmx1g"}, "list");
        assertEquals("launcher: list\n", opts.out);
        Result argFile = call("@args.txt");
        assertEquals("launcher: @args.txt\n", argFile.out, "an @file is expanded where the caller is");
    }

    /** The client waits in 1 s steps: an answer whose newline comes a step after its digits is still whole. */
    @Test
    void anAnswerSplitAcrossTheClientsWaitStepsIsJoined() throws Exception {
        Path slow = dir.resolve("slow");
        Files.createDirectories(slow);
        assertEquals(0, new ProcessBuilder("mkfifo", slow.resolve("requests").toString()).start().waitFor());
        for (String f : new String[] {"cgroup", "env", "ready"}) Files.copy(dir.resolve(f), slow.resolve(f));
        Thread answer = new Thread(() -> {
            try (java.nio.channels.FileChannel req = java.nio.channels.FileChannel.open(slow.resolve("requests"),
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer line = java.nio.ByteBuffer.allocate(4096);
                while (line.position() == 0 || line.get(line.position() - 1) != '\n') req.read(line);
                Path r = Path.of(new String(line.array(), 0, line.position() - 1, java.nio.charset.StandardCharsets.UTF_8));
                Files.writeString(r.resolve("out"), "slow\n");
                Files.writeString(r.resolve("err"), "");
                try (java.nio.channels.FileChannel done = java.nio.channels.FileChannel.open(r.resolve("done"),
                        java.nio.file.StandardOpenOption.WRITE)) {
                    done.write(java.nio.ByteBuffer.wrap("4".getBytes()));
                    Thread.sleep(1500);
                    done.write(java.nio.ByteBuffer.wrap("2\n".getBytes()));
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        answer.setDaemon(true);
        answer.start();
        Result r = callSession(slow, new String[0], "--version");
        assertEquals(42, r.exit, r.err);
        assertEquals("slow\n", r.out);
    }

    @Test
    void aSessionThatIsGoneSendsEveryCallToTheLauncher() throws Exception {
        Files.writeString(dir.resolve("ready"), "999999999\n");
        Result r = call("--version");
        assertEquals("launcher: --version\n", r.out);
    }

    @Test
    void aCallerInAnotherCgroupGoesToTheLauncher() throws Exception {
        Files.writeString(dir.resolve("cgroup"), "0::/somewhere-else\n");
        Result r = call("--version");
        assertEquals("launcher: --version\n", r.out);
    }
}
