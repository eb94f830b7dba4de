package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.daemon.DeviceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

/** Parsing and user errors: one line on stderr, the documented exit code, no stack trace. */
class CliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @CsvSource({"4096,4096", "512M,536870912", "4G,4294967296", "1T,1099511627776", "64KiB,65536",
        "2g,2147483648", "8MB,8388608", "1024B,1024"})
    void sizesUseBinarySuffixes(String text, long bytes) {
        assertEquals(bytes, Sizes.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"banana", "''", "4X", "-1G", "1.5G", "99999999999999999999", "20000000P"})
    void badSizesAreUsageErrors(String text) {
        JublkException e = assertThrows(JublkException.class, () -> Sizes.parse(text));
        assertEquals(JublkException.Reason.USAGE, e.reason());
        assertTrue(e.getMessage().contains("invalid size"), e.getMessage());
    }

    @Test
    void humanSizes() {
        assertEquals("0 B", Sizes.human(0));
        assertEquals("4 GiB", Sizes.human(4L << 30));
        assertEquals("1.5 MiB", Sizes.human(3L << 19));
    }

    private static void assertUsageError(Result r, String fragment) {
        assertEquals(2, r.code, r.err);
        String first = r.err.lines().findFirst().orElse("");
        assertTrue(first.startsWith("ublk: ") && first.contains(fragment), r.err);
        assertFalse(r.err.contains("\tat "), "no stack trace: " + r.err);
    }

    @Test
    void addRejectsBadInputBeforeTouchingTheKernel() {
        assertUsageError(run("add", "-t", "ram", "--size", "banana"), "invalid size 'banana'");
        assertUsageError(run("add", "-t", "ram", "--size", "0"), "--size must be greater than 0");
        assertUsageError(run("add", "-t", "ram", "--size", "1000"), "not a multiple of the logical block size 512");
        assertUsageError(run("add", "-t", "ram", "--logical-block-size", "4096", "--size", "6144"),
                "--size 6144 is not a multiple of the logical block size 4096");
        assertUsageError(run("add", "-t", "ram", "--size", "33T"), "--size must be at most 32T");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--copy-mode", "direct"), "unknown --copy-mode 'direct'");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "-d", "0"), "--depth must be between 1 and 4096");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "-d", "100000"), "--depth must be between 1 and 4096");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "-q", "0"), "--queues must be between 1 and 4096");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--logical-block-size", "1024"),
                "--logical-block-size must be 512 or 4096");
        assertUsageError(run("add", "-t", "disk", "--size", "1M"), "unknown target type 'disk' (supported: ram, null)");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "-n", "-5"), "device id must be between 0 and");
        assertUsageError(run("add", "-t", "ram"), "Missing required option: '--size=SIZE'");
    }

    /** The configuration `ublk add ARGS` would serve, parsed without running anything. */
    private static DeviceConfig addConfig(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "add";
        System.arraycopy(args, 0, all, 1, args.length);
        picocli.CommandLine.ParseResult pr = Main.commandLine().parseArgs(all);
        return ((AddCommand) pr.subcommand().commandSpec().userObject()).config();
    }

    /** The background server gets the parsed configuration, not a second parse: it must arrive whole. */
    @Test
    void configurationHandedToTheServerArrivesUnchanged() {
        DeviceConfig[] configs = {
            addConfig("-t", "ram", "--size", "1G"),
            addConfig("-t", "null", "--size", "16T", "--max-size", "32T", "-n", "7", "-q", "2", "-d", "64",
                    "--logical-block-size", "4096", "--max-memory", "256M", "--copy-mode", "buffer", "--poll", "20",
                    "--pin-queues", "--no-part-scan", "--batch-io", "--scheduler", "mq-deadline"),
            addConfig("-t", "ram", "--size", "4G", "-n", "3", "--recoverable"),
        };
        assertTrue(configs[2].recoverable() && !configs[0].recoverable(), "--recoverable is off unless asked for");
        assertEquals(9, configs[2].withDevId(9).devId());
        assertEquals(configs[2], configs[2].withDevId(3));
        assertTrue(configs[1].batchIo() && !configs[0].batchIo(), "--batch-io is off unless asked for");
        for (DeviceConfig c : configs) assertEquals(c, DeviceConfig.decode(c.encode()), c.encode());
        assertThrows(IllegalArgumentException.class, () -> DeviceConfig.decode("type=RAM devId=1"),
                "a configuration with fields missing is refused, not defaulted");
        assertThrows(JublkException.class,
                () -> DeviceConfig.decode(configs[0].encode().replace("depth=128", "depth=0")),
                "a decoded configuration is validated like a parsed one");
    }

    @Test
    void targetTypeMaxSizeAndPartScanOptions() {
        DeviceConfig ram = addConfig("-t", "ram", "--size", "1G");
        assertEquals(DeviceConfig.TargetType.RAM, ram.type());
        assertEquals(4L << 30, ram.maxSizeBytes(), "a disk may grow to 4x its size by default");
        assertFalse(ram.noPartScan(), "partitions are scanned by default, as on any disk");
        assertEquals(32L << 40, addConfig("-t", "ram", "--size", "16T").maxSizeBytes(), "the default is capped at 32T");
        assertEquals(32L << 40, addConfig("-t", "ram", "--size", "32T").maxSizeBytes());
        DeviceConfig nul = addConfig("-t", "null", "--size", "1G", "--max-size", "2G", "--no-part-scan");
        assertEquals(DeviceConfig.TargetType.NULL, nul.type());
        assertEquals(2L << 30, nul.maxSizeBytes());
        assertTrue(nul.noPartScan());
        assertUsageError(run("add", "-t", "ram", "--size", "1G", "--max-size", "512M"), "--max-size must be between --size and 32T");
        assertUsageError(run("add", "-t", "ram", "--size", "1G", "--max-size", "64T"), "--max-size must be between --size and 32T");
    }

    @Test
    void resizeAndDelOptions() {
        assertUsageError(run("resize", "-n", "0"), "Missing required option: '--size=SIZE'");
        assertUsageError(run("resize", "-n", "0", "--size", "0"), "--size must be greater than 0");
        assertUsageError(run("resize", "-n", "0", "--size", "lots"), "invalid size 'lots'");
        assertUsageError(run("del", "-a", "--force", "--bogus"), "Unknown option");
    }

    @Test
    void pollIsOffByDefaultAndTakesAnOptionalMicroseconds() {
        assertEquals(0, addConfig("-t", "ram", "--size", "1M").pollMicros());
        assertEquals(DeviceConfig.DEFAULT_POLL_MICROS, addConfig("-t", "ram", "--size", "1M", "--poll").pollMicros());
        assertEquals(200, addConfig("-t", "ram", "--poll", "200", "--size", "1M").pollMicros());
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--poll", "-1"), "--poll must be between 0 and 10000");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--poll", "20000"), "--poll must be between 0 and 10000");
    }

    @Test
    void copyModeDefaultsToUserCopyOnlyWhereTheKernelOffersIt() {
        DeviceConfig unset = addConfig("-t", "ram", "--size", "1M");
        assertNull(unset.copyMode());
        assertEquals(io.jublk.queue.CopyMode.USER_COPY, unset.copyModeFor(() -> 0x80 | 0x4 | 0x2));
        assertEquals(io.jublk.queue.CopyMode.BUFFER, unset.copyModeFor(() -> 0x4 | 0x2), "6.1-era kernel: no USER_COPY");
        DeviceConfig chosen = addConfig("-t", "ram", "--size", "1M", "--copy-mode", "BUFFER");
        assertEquals(io.jublk.queue.CopyMode.BUFFER, chosen.copyModeFor(() -> {
            throw new AssertionError("the kernel is not asked when the mode is explicit");
        }), "an explicit mode is kept");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--copy-mode", "zerocopy"), "unknown --copy-mode 'zerocopy'");
        // fixed copies go to the store file: only a --recoverable disk has one
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--copy-mode", "fixed"), "add --recoverable");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--copy-mode", "fixed", "--recoverable", "--batch-io"),
                "cannot be combined");
        DeviceConfig fixed = addConfig("-t", "ram", "--size", "1M", "--copy-mode", "fixed", "--recoverable");
        assertEquals(io.jublk.queue.CopyMode.FIXED, fixed.copyMode());
        assertEquals(fixed, DeviceConfig.decode(fixed.encode()), "a recovering server gets the same mode");
        assertEquals(io.jublk.queue.CopyMode.FIXED, io.jublk.queue.CopyMode.ofDevFlags(0x800 | 0x18));
        assertEquals(io.jublk.queue.CopyMode.USER_COPY, io.jublk.queue.CopyMode.ofDevFlags(0x80 | 0x18));
        assertEquals(io.jublk.queue.CopyMode.BUFFER, io.jublk.queue.CopyMode.ofDevFlags(0x18));
    }

    @Test
    void cacheAndPowerCutOptionsAreCheckedBeforeAnyDeviceIsTouched() {
        assertFalse(addConfig("-t", "ram", "--size", "1M").writebackCache(), "--cache none is the default");
        DeviceConfig wb = addConfig("-t", "ram", "--size", "1M", "--cache", "writeback");
        assertTrue(wb.writebackCache());
        assertEquals(wb, DeviceConfig.decode(wb.encode()));
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--cache", "writethrough"), "unknown --cache 'writethrough'");
        assertUsageError(run("add", "-t", "null", "--size", "1M", "--cache", "writeback"), "the null target stores none");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--cache", "writeback", "--recoverable"),
                "cannot be combined with --recoverable");
        assertUsageError(run("powercut", "-n", "0", "--lose", "some"), "unknown --lose 'some'");
        assertUsageError(run("powercut", "-n", "0", "--lose", "random:x"), "needs a whole number");
        assertUsageError(run("powercut", "-n", "0", "--tear"), "--tear draws sectors at random");
        assertEquals("random 42", PowercutCommand.lossRequest("random:42"));
        assertTrue(PowercutCommand.lossRequest("random").matches("random \\d+"), "a drawn seed");
        Result help = run("powercut", "--help");
        assertEquals(0, help.code, help.err);
        assertTrue(help.out.contains("FLUSH") && help.out.contains("ublk poweron"), help.out);
    }

    @Test
    void delNeedsExactlyOneOfIdOrAll() {
        assertUsageError(run("del"), "Missing required argument");
        assertUsageError(run("del", "-n", "1", "-a"), "mutually exclusive");
        assertUsageError(run("del", "-n", "x"), "Invalid value for option '--number'");
    }

    @Test
    void unknownCommandAndOptionAreUsageErrors() {
        assertUsageError(run("frobnicate"), "Unmatched argument");
        assertUsageError(run("list", "--bogus"), "Unknown option: '--bogus'");
        assertUsageError(run(), "missing command");
    }

    @Test
    void helpDocumentsExitCodesAndVersionPrints() {
        Result help = run("--help");
        assertEquals(0, help.code);
        assertTrue(help.out.contains("Exit codes:") && help.out.contains("modprobe ublk_drv"), help.out);
        // Every exit code the CLI can return is explained (the man page is generated from this).
        for (io.jublk.JublkException.Reason r : io.jublk.JublkException.Reason.values()) {
            assertTrue(help.out.matches("(?s).*\\n\\s*" + r.exitCode + "  \\S.*"), "--help lacks exit code " + r.exitCode + " (" + r + ")");
        }
        assertTrue(help.out.matches("(?s).*\\n\\s*" + io.jublk.daemon.DeviceServer.HANDED_OVER_EXIT + "  \\S.*"), "--help lacks exit code 75");
        assertTrue(help.out.matches("(?s).*\\n\\s*" + io.jublk.daemon.DeviceServer.QUEUE_FAILED_RECOVERABLE_EXIT + "  \\S.*"), "--help lacks exit code 70");
        Result addHelp = run("add", "--help");
        assertTrue(addHelp.out.contains("--size") && addHelp.out.contains("512M"), addHelp.out);
        Result v = run("--version");
        assertEquals(0, v.code);
        assertTrue(v.out.startsWith("jublk "), v.out);
    }

    @Test
    void omittedOptionsGetTheDefaultsTheHelpPromises() {
        DeviceConfig c = addConfig("-t", "ram", "--size", "1M");
        String help = run("add", "--help").out.replaceAll("\\s+", " ");
        assertTrue(help.contains("one serving thread each (default: " + c.queues() + ";"), help);
        assertTrue(help.contains("(default: " + c.depth() + ")"), help);
        assertTrue(help.contains("512 or 4096 (default: " + c.logicalBlockSize() + ")"), help);
        assertEquals(0, c.maxMemory(), "no memory limit unless asked");
        assertFalse(c.pinQueues());
        assertEquals(1 << 20, c.maxIoBytes());
        assertEquals("none", c.scheduler(), "a RAM disk gets no I/O scheduler unless asked");
        assertTrue(help.contains("'keep' for the kernel's choice"), help);
    }

    @Test
    void schedulerNamesAreCheckedBeforeTheKernelIsAsked() {
        assertEquals("keep", addConfig("-t", "ram", "--size", "1M", "--scheduler", "keep").scheduler());
        assertEquals("mq-deadline", addConfig("-t", "ram", "--size", "1M", "--scheduler", "mq-deadline").scheduler());
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--scheduler", "../../x"), "--scheduler must be a scheduler name");
        assertUsageError(run("add", "-t", "ram", "--size", "1M", "--scheduler", ""), "--scheduler must be a scheduler name");
    }

    @Test
    void recoveryOptionsAreCheckedBeforeTheKernelIsAsked() {
        assertUsageError(run("add", "-t", "null", "--size", "1G", "--recoverable"),
                "--recoverable keeps a RAM disk's data");
        assertUsageError(run("add", "-t", "ram", "--size", "1G", "--or-recover"), "--or-recover needs -n ID");
        assertUsageError(run("recover"), "Missing required option: '--number=ID'");
        assertUsageError(run("restart", "-n", "x"), "Invalid value for option '--number'");
        Result help = run("recover", "--help");
        assertEquals(0, help.code, help.err);
        assertTrue(help.out.contains("QUIESCED") && help.out.contains("ublk recover -n 0"), help.out);
        assertTrue(run("restart", "--help").out.contains("QUIESCE_DEV"));
    }

    /** The bound on automatic recovery counts only the recoveries of the last ten minutes. */
    @Test
    void automaticRecoveryCountsRecentDeathsOnly() {
        long now = 1_800_000_000L;
        assertEquals(java.util.List.of(), AutoRecovery.recentRecoveries(null, now));
        assertEquals(java.util.List.of(now - 10, now - 599),
                AutoRecovery.recentRecoveries((now - 4000) + "," + (now - 10) + ",junk," + (now - 599) + "," + (now - 600), now));
        assertEquals(3, AutoRecovery.MAX_RECOVERIES);
    }

    @Test
    void aServerThatDiedIsDescribedByItsSignal() {
        assertEquals("was killed by SIGKILL", BackgroundStart.howItEnded(137));
        assertTrue(BackgroundStart.howItEnded(134).contains("SIGABRT"));
        assertEquals("exited with code 1", BackgroundStart.howItEnded(1));
    }

    @Test
    void listAndFeaturesJsonAreWellFormed() {
        String json = FeaturesCommand.toJson(0x1fe);
        assertTrue(json.startsWith("{\"mask\":510,\"mask_hex\":\"0x1fe\",\"features\":[{\"name\":\"URING_CMD_COMP_IN_TASK\""),
                json);
        assertEquals("[]\n", ListCommand.toJson(java.util.List.of()));
        assertTrue(ListCommand.toTable(java.util.List.of()).startsWith("ID "));
        String table = FeaturesCommand.toTable(0x1fe);
        assertTrue(table.contains("USER_COPY") && table.contains("NEED_GET_DATA") && table.contains("0x1fe"), table);
    }
}
