package io.jublk.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The parts of tests/vm/kernel.sh that decide what to download, run in bash without the
 * network: which packages make up a kernel line, which version is picked from what the
 * archive lists, and which cached kernel is used when the archive cannot be reached.
 * A wrong package list is what broke the first use of both README commands once (the
 * 6.12 name was printed twice, glued together) while every warm machine stayed green.
 */
class KernelFetchScriptTest {
    private static final Path SCRIPT = Path.of("tests/vm/kernel.sh").toAbsolutePath();

    /** Runs {@code body} in bash after sourcing kernel.sh; returns stdout, fails on a non-zero exit. */
    private static String bash(String body, String... env) throws IOException, InterruptedException {
        Result r = run(body, env);
        assertEquals(0, r.exit, () -> "bash failed: " + r.err);
        return r.out;
    }

    private record Result(int exit, String out, String err) {}

    private static Result run(String body, String... env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -uo pipefail; . \"$0\"; " + body, SCRIPT.toString());
        pb.environment().remove("JUBLK_VM_KERNEL_PIN");
        pb.environment().remove("JUBLK_VM_KERNEL_DIR");
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Path out = Files.createTempFile("kernel-sh", ".out");
        Path err = Files.createTempFile("kernel-sh", ".err");
        try {
            Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("bash did not end within 30 s: " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * apt-get and apt-cache stand-ins first on PATH: each call is logged (without apt's -o
     * settings) to {@code log}; "update" succeeds, "search" lists {@code names}, "show" gives
     * {@code debVersion}, anything else (a download) fails — so no test reaches the network.
     */
    private static String[] fakeApt(Path dir, Path log, String debVersion, String... names) throws IOException {
        String stub = String.join("\n",
                "#!/bin/bash",
                "args=(); while [ $# -gt 0 ]; do if [ \"$1\" = -o ]; then shift 2; else args+=(\"$1\"); shift; fi; done",
                "echo \"$(basename \"$0\") ${args[*]}\" >> \"$FAKE_APT_LOG\"",
                "case \"$(basename \"$0\") ${args[0]}\" in",
                "  'apt-get update') exit 0 ;;",
                "  'apt-cache search') for n in $FAKE_APT_NAMES; do echo \"$n - a stand-in\"; done ;;",
                "  'apt-cache show') echo \"Version: $FAKE_APT_DEB_VERSION\" ;;",
                "  *) exit 1 ;;",
                "esac", "");
        writeAptTools(dir, stub);
        return new String[] {"PATH=" + dir + ":" + System.getenv("PATH"), "FAKE_APT_LOG=" + log,
                "FAKE_APT_NAMES=" + String.join(" ", names), "FAKE_APT_DEB_VERSION=" + debVersion};
    }

    /** apt-get and apt-cache in {@code dir}, both the executable {@code script}. */
    private static void writeAptTools(Path dir, String script) throws IOException {
        for (String tool : List.of("apt-get", "apt-cache")) {
            Path t = dir.resolve(tool);
            Files.writeString(t, script);
            assertTrue(t.toFile().setExecutable(true));
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** The version vm_pick_version picks for kernel line {@code line} from these package names. */
    private static String pick(String line, String... names) throws IOException, InterruptedException {
        String list = String.join("\\n", names) + "\\n";
        return bash("vm_kernel_line; printf '" + list + "' | vm_pick_version", "JUBLK_VM_KERNEL=" + line).strip();
    }

    private static List<String> lines(String s) {
        return s.isBlank() ? List.of() : List.of(s.strip().split("\n"));
    }

    @Test
    void theSixTwelveLineIsOnePackageNamedOnce() throws Exception {
        String out = bash("vm_kernel_line; vm_packages 6.12.95+deb12-amd64", "JUBLK_VM_KERNEL=6.12");
        assertEquals(List.of("linux-image-6.12.95+deb12-amd64-unsigned"), lines(out));
    }

    @Test
    void theSevenThreeLineIsKernelModulesAndHeader() throws Exception {
        String out = bash("vm_kernel_line; vm_packages 7.3.9+deb13-amd64", "JUBLK_VM_KERNEL=7.3");
        assertEquals(List.of("linux-binary-7.3.9+deb13-amd64", "linux-modules-7.3.9+deb13-amd64", "linux-libc-dev"),
                lines(out));
    }

    @Test
    void anUnknownLineIsRefusedWithTheKnownOnes() throws Exception {
        Result r = run("vm_kernel_line", "JUBLK_VM_KERNEL=5.10");
        assertNotEquals(0, r.exit);
        assertTrue(r.err.contains("known: 6.12, 7.3"), r.err);
    }

    @Test
    void thePinIsUsedWhenTheArchiveServesIt() throws Exception {
        assertEquals("6.12.95+deb12-amd64",
                pick("6.12", "linux-image-6.12.99+deb12-amd64-unsigned", "linux-image-6.12.95+deb12-amd64-unsigned"));
    }

    @Test
    void withoutThePinTheNewestOfTheLineInVersionOrder() throws Exception {
        assertEquals("6.12.100+deb12-amd64", pick("6.12",
                "linux-image-6.12.99+deb12-amd64-unsigned",
                "linux-image-6.12.100+deb12-amd64-unsigned",
                "linux-image-6.12.101+deb12-cloud-amd64-unsigned", // another flavour: no 9p
                "linux-image-6.13.1+deb12-amd64-unsigned",        // another line
                "linux-image-amd64-signed-template"));
    }

    @Test
    void theSevenThreeLineIsPickedByItsKernelPackage() throws Exception {
        assertEquals("7.3.5+deb13-amd64", pick("7.3",
                "linux-binary-7.3.5+deb13-amd64", "linux-modules-7.3.5+deb13-amd64", "linux-binary-7.2.1+deb13-amd64"));
    }

    @Test
    void nothingOfTheLineListedPicksNothing() throws Exception {
        assertEquals("", pick("6.12", "linux-image-6.1.0-9-amd64-unsigned"));
    }

    @Test
    void offlineTheNewestCachedKernelOfTheLineIsUsed(@TempDir Path cache) throws Exception {
        for (String v : List.of("6.12.9+deb12-amd64", "6.12.10+deb12-amd64", "7.3.4+deb13-amd64")) {
            Files.createDirectories(cache.resolve(v));
            Files.writeString(cache.resolve(v).resolve("ready"), v + "\n");
        }
        Files.createDirectories(cache.resolve("6.12.11+deb12-amd64")); // a fetch that never finished
        String out = bash("vm_kernel_line; vm_cached_fallback", "JUBLK_VM_KERNEL=6.12", "JUBLK_VM_CACHE=" + cache);
        assertEquals(cache.resolve("6.12.10+deb12-amd64").toString(), out.strip());
    }

    @Test
    void aReadyPinnedKernelIsUsedWithoutAskingTheArchive(@TempDir Path tmp) throws Exception {
        Path cache = tmp.resolve("cache");
        Path pinned = cache.resolve("7.3.4+deb13-amd64");
        Files.createDirectories(pinned);
        Files.writeString(pinned.resolve("ready"), "7.3.4+deb13-amd64\n");
        Path log = tmp.resolve("apt.log");
        String out = bash("vm_kernel_dir", concat(fakeApt(tmp, log, "7.3.4-1"),
                "JUBLK_VM_KERNEL=7.3", "JUBLK_VM_CACHE=" + cache));
        assertEquals(pinned.toString(), out.strip());
        assertFalse(Files.exists(log), "apt was asked although the pinned kernel was ready");
    }

    @Test
    void aFirstFetchOfTheSixTwelveLineDownloadsItsOnePackage(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("apt.log");
        Result r = run("vm_kernel_dir", concat(fakeApt(tmp, log, "6.12.95-1~bpo12+1",
                        "linux-image-6.12.95+deb12-amd64-unsigned", "linux-image-6.12.94+deb12-amd64-unsigned"),
                "JUBLK_VM_KERNEL=6.12", "JUBLK_VM_CACHE=" + tmp.resolve("cache")));
        assertNotEquals(0, r.exit, "the stand-in download fails, so must the fetch");
        List<String> calls = Files.readAllLines(log);
        assertTrue(calls.contains("apt-get download -q linux-image-6.12.95+deb12-amd64-unsigned"), calls::toString);
        assertTrue(r.err.contains("apt-get download linux-image-6.12.95+deb12-amd64-unsigned"), r.err);
        assertFalse(Files.exists(tmp.resolve("cache/6.12.95+deb12-amd64/ready")), "a failed fetch marked ready");
    }

    @Test
    void aFirstFetchOfTheSevenThreeLineTakesTheHeaderAtTheKernelsVersion(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("apt.log");
        run("vm_kernel_dir", concat(fakeApt(tmp, log, "7.3.4-1~bpo13+1",
                        "linux-binary-7.3.4+deb13-amd64", "linux-modules-7.3.4+deb13-amd64"),
                "JUBLK_VM_KERNEL=7.3", "JUBLK_VM_CACHE=" + tmp.resolve("cache")));
        assertTrue(Files.readAllLines(log).contains("apt-get download -q linux-binary-7.3.4+deb13-amd64 "
                + "linux-modules-7.3.4+deb13-amd64 linux-libc-dev=7.3.4-1~bpo13+1"), () -> log.toString());
    }

    @Test
    void theArchiveUnreachableAndNothingCachedSaysSo(@TempDir Path tmp) throws Exception {
        // No stand-in for update: an apt-get that fails everything, like one without network.
        Path dir = tmp.resolve("bin");
        Files.createDirectories(dir);
        writeAptTools(dir, "#!/bin/sh\necho 'E: network unreachable' >&2\nexit 100\n");
        Result r = run("vm_kernel_dir", "PATH=" + dir + ":" + System.getenv("PATH"), "JUBLK_VM_KERNEL=6.12",
                "JUBLK_VM_CACHE=" + tmp.resolve("cache"));
        assertNotEquals(0, r.exit);
        assertTrue(r.err.contains("network unreachable") && r.err.contains("archive unreachable"), r.err);
    }
}
