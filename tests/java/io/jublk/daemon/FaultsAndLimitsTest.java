package io.jublk.daemon;

import io.jublk.JublkException;
import io.jublk.target.Completion;
import io.jublk.target.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The test-only fault hook, and the memory cgroup turned into an implicit --max-memory. */
class FaultsAndLimitsTest {
    @TempDir
    Path dir;

    /** A target that records nothing and succeeds. */
    private static final Target OK = new Target() {
        public void read(long o, int l, Completion c, io.jublk.target.ReadSink s) { c.at(0, l); }
        public void write(long o, int l, Completion c, io.jublk.store.WriteSource src) { c.at(0x1000, l); }
        public void flush(Completion c) { c.reset(); }
        public void discard(long o, long l, Completion c) { c.reset(); }
        public void writeZeroes(long o, long l, boolean n, Completion c) { c.reset(); }
        public long size() { return 1 << 30; }
    };

    @Test
    void noFaultsLeaveTheTargetAsItIs() {
        assertSame(OK, TestFaults.parse(null).wrap(OK));
        assertSame(OK, TestFaults.parse("kill-at:after-state").wrap(OK));
    }

    @Test
    void throwFaultHitsOnlyItsSectorRange() {
        Target t = TestFaults.parse("throw:100+8").wrap(OK);
        Completion c = new Completion();
        t.write(0, 4096, c, null); // sectors 0-7
        t.read(108 * 512, 512, c, null);
        assertThrows(IllegalStateException.class, () -> t.write(96 * 512, 4096, c, null)); // 96-103 overlaps
        assertThrows(IllegalStateException.class, () -> t.read(107 * 512, 512, c, null));
        assertThrows(IllegalStateException.class, () -> t.discard(0, 1 << 20, c));
    }

    @Test
    void exitQueueFaultIsAnError() {
        Target t = TestFaults.parse("exit-queue:2048").wrap(OK);
        assertThrows(InternalError.class, () -> t.write(1 << 20, 4096, new Completion(), null));
    }

    /** Once: the fault marks that it fired, and a server started after that (the recovering one) is not armed. */
    @Test
    void exitQueueOnceFiresOnceAcrossServers(@TempDir Path tmp) {
        Path marker = tmp.resolve("fired");
        Target first = TestFaults.parse("exit-queue-once:2048:" + marker).wrap(OK);
        first.write(0, 4096, new Completion(), null);
        assertFalse(Files.exists(marker), "not fired by a request elsewhere");
        assertThrows(InternalError.class, () -> first.write(1 << 20, 4096, new Completion(), null));
        assertTrue(Files.exists(marker));
        assertSame(OK, TestFaults.parse("exit-queue-once:2048:" + marker).wrap(OK), "the next server is not armed");
        assertThrows(IllegalArgumentException.class, () -> TestFaults.parse("exit-queue-once:x:" + marker));
    }

    @Test
    void holdAtWaitsForItsFile(@TempDir Path tmp) throws Exception {
        Path go = tmp.resolve("go");
        TestFaults f = TestFaults.parse("hold-at:del-before-files:" + go);
        f.reached("another-step");  // not held elsewhere
        Thread creator = new Thread(() -> {
            try {
                Thread.sleep(300);
                Files.writeString(go, "");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long t0 = System.nanoTime();
        creator.start();
        f.reached("del-before-files");
        long heldMs = (System.nanoTime() - t0) / 1_000_000;
        creator.join();
        assertTrue(heldMs >= 250, "held " + heldMs + " ms, until the file appeared");
        assertTrue(heldMs < 10_000, "went on once the file appeared (" + heldMs + " ms)");
    }

    @Test
    void badFaultSpecsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> TestFaults.parse("explode:1"));
        assertThrows(IllegalArgumentException.class, () -> TestFaults.parse("throw"));
    }

    @Test
    void cgroupLimitIsTheTightestOnTheWayToTheRoot() throws Exception {
        Path proc = dir.resolve("cgroup");
        Files.writeString(proc, "0::/a/b\n");
        Path mount = dir.resolve("fs");
        Files.createDirectories(mount.resolve("a/b"));
        Files.writeString(mount.resolve("memory.max"), "max\n");
        Files.writeString(mount.resolve("a/memory.max"), "1073741824\n");
        Files.writeString(mount.resolve("a/b/memory.max"), "max\n");
        assertEquals(1L << 30, MemoryCgroup.limitBytes(proc, mount));
        Files.writeString(mount.resolve("a/b/memory.max"), "536870912\n");
        assertEquals(512L << 20, MemoryCgroup.limitBytes(proc, mount));
        Files.writeString(proc, "12:memory:/x\n");
        assertEquals(0, MemoryCgroup.limitBytes(proc, mount), "cgroup v1 only: no v2 limit to read");
    }

    @Test
    void cgroupLimitTightensMaxMemoryAndRefusesNoRoom() {
        long headroom = MemoryCgroup.HEADROOM;
        assertEquals(0, MemoryCgroup.effectiveLimit(0, 0));
        assertEquals(5L << 30, MemoryCgroup.effectiveLimit(5L << 30, 0));
        assertEquals(((1L << 30) - headroom) / 513 * 512, MemoryCgroup.effectiveLimit(0, 1L << 30),
                "what is left beside the JVM, less the data's page tables");
        assertEquals(64L << 20, MemoryCgroup.effectiveLimit(64L << 20, 1L << 30));
        JublkException e = assertThrows(JublkException.class, () -> MemoryCgroup.effectiveLimit(0, headroom));
        assertEquals(JublkException.Reason.USAGE, e.reason());
        assertTrue(e.getMessage().contains("leaves no room"), e.getMessage());
    }

    /** Copy mode buffer's per-tag buffers and a write-back cache's page tables are charged to the cgroup too. */
    @Test
    void theCgroupLimitLeavesRoomForRequestBuffersAndPageTables() {
        long cg = 1L << 30, headroom = MemoryCgroup.HEADROOM;
        long tagBuffers = 4L * 128 * (1 << 20); // -q 4 -d 128, 1 MiB I/O
        long limit = MemoryCgroup.effectiveLimit(0, cg, tagBuffers, false);
        assertEquals((cg - headroom - tagBuffers) / 513 * 512, limit);
        assertTrue(limit + tagBuffers + headroom + limit / 512 <= cg, "data, buffers, JVM and page tables fit");
        assertTrue(MemoryCgroup.effectiveLimit(0, cg, 0, true) < MemoryCgroup.effectiveLimit(0, cg, 0, false),
                "a write-back cache's saved copies need page tables too");
        JublkException e = assertThrows(JublkException.class,
                () -> MemoryCgroup.effectiveLimit(0, 600L << 20, tagBuffers, false));
        assertTrue(e.getMessage().contains("request buffers"), e.getMessage());
    }
}
