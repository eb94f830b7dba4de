package io.jublk.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/** The state file is one record: a reader sees a whole one, also while two writers race. */
class RunDirTest {
    @TempDir Path dir;

    static Map<String, String> record(String writer, int n) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("writer", writer);
        m.put("n", Integer.toString(n));
        m.put("config", "type=RAM devId=9 " + "x".repeat(200));
        m.put("end", writer + n);
        return m;
    }

    /** A state file of device {@code id} naming instance {@code instance}. */
    static void writeStateOf(int id, String instance) throws java.io.IOException {
        Map<String, String> m = record(instance, 1);
        m.put(RunDir.INSTANCE, instance);
        RunDir.writeState(id, m);
    }

    @Test
    void concurrentStateWritesNeverTearTheFile() throws Exception {
        Path before = RunDir.useDirForTests(dir);
        try {
            RunDir.writeState(9, record("a", 0));
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> writers = new ArrayList<>();
            for (String w : new String[] {"a", "b"}) {
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 1; i <= 2000; i++) RunDir.writeState(9, record(w, i));
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                writers.add(t);
                t.start();
            }
            int reads = 0;
            while (writers.stream().anyMatch(Thread::isAlive)) {
                Map<String, String> s = RunDir.readState(9);
                reads++;
                assertEquals(4, s.size(), "a torn state file: " + s);
                assertEquals(s.get("writer") + s.get("n"), s.get("end"), "a mixed state file: " + s);
            }
            for (Thread t : writers) t.join();
            assertEquals(List.of(), errors, "a writer failed");
            assertTrue(reads > 0);
            try (var files = Files.list(dir)) {
                assertEquals(List.of("ublk9.state"), files.map(p -> p.getFileName().toString())
                        .filter(n -> !n.equals(".ublk9.lock")).toList(), "no temporary file left");
            }
        } finally {
            RunDir.useDirForTests(before);
        }
    }

    /**
     * Ids are reused: the clean-up of a deleted disk (instance A) after a new disk (instance B)
     * got its id removes A's store file only, and leaves B's state file, socket and store.
     * (Keyed by id alone, it removed all three.)
     */
    @Test
    void removingAnInstancesFilesLeavesANewerInstanceWithTheSameId() throws Exception {
        Path before = RunDir.useDirForTests(dir);
        try {
            Path mem = Files.createDirectories(dir.resolve("mem"));
            StoreFiles store = StoreFiles.system();
            Files.write(store.file(3, "a"), new byte[] {1});
            Files.write(store.file(3, "b"), new byte[] {2});
            writeStateOf(3, "b");
            Files.write(RunDir.socketFile(3), new byte[0]);

            RunDir.removeDeviceFiles(3, "a");
            assertFalse(Files.exists(store.file(3, "a")), "A's store is freed");
            assertEquals("b", RunDir.readState(3).get(RunDir.INSTANCE), "B's state stays");
            assertTrue(Files.exists(RunDir.socketFile(3)), "B's socket stays");
            assertTrue(Files.exists(store.file(3, "b")), "B's store stays");

            RunDir.removeDeviceFiles(3, "b");
            assertEquals(Map.of(), RunDir.readState(3));
            assertFalse(Files.exists(RunDir.socketFile(3)));
            try (var left = Files.list(mem)) {
                assertEquals(0, left.count());
            }
        } finally {
            RunDir.useDirForTests(before);
        }
    }

    /**
     * A late state write of a deleted disk's server (a queue failure racing its teardown) finds
     * its id claimed by another disk, before or after that disk's first state: refused, the new
     * disk's state intact. The same instance (a recovery, a hand-over) writes on.
     */
    @Test
    void aStateWriteOfAnotherInstanceIsRefused() throws Exception {
        Path before = RunDir.useDirForTests(dir);
        try {
            RunDir.claim(5, "new");
            // Between the claim and the new disk's first state: the id is the new disk's already.
            assertThrows(java.io.IOException.class, () -> writeStateOf(5, "old"));
            assertEquals(Map.of(), RunDir.readState(5), "no state written for the old disk");
            writeStateOf(5, "new");
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> writeStateOf(5, "old"));
            assertTrue(e.getMessage().contains("another disk"), e.getMessage());
            assertEquals("new", RunDir.readState(5).get("writer"), "the new disk's state is untouched");
            Map<String, String> again = record("new", 2);
            again.put(RunDir.INSTANCE, "new");
            RunDir.writeState(5, again);
            assertEquals("2", RunDir.readState(5).get("n"));
            try (var left = Files.list(dir)) {
                assertEquals(0, left.filter(f -> f.getFileName().toString().endsWith(".tmp")).count(),
                        "no temporary file left");
            }
        } finally {
            RunDir.useDirForTests(before);
        }
    }

    /**
     * A disk just given id 3 by the kernel claims it: every file left under that id by a dead
     * disk goes (a store nobody recorded the instance of, a state, a socket) — not its own
     * store, not another id's.
     */
    @Test
    void claimingAnIdRemovesEveryEarlierDisksFilesOfItOnly() throws Exception {
        Path before = RunDir.useDirForTests(dir);
        try {
            Path mem = Files.createDirectories(dir.resolve("mem"));
            StoreFiles store = StoreFiles.system();
            for (Path p : new Path[] {store.file(3, ""), store.file(3, "old"), store.file(3, "new"), store.file(30, "x")}) {
                Files.write(p, new byte[] {1});
            }
            writeStateOf(3, "old");
            Files.write(RunDir.socketFile(3), new byte[0]);

            RunDir.claim(3, "new");
            assertEquals(Map.of(), RunDir.readState(3));
            assertFalse(Files.exists(RunDir.socketFile(3)));
            try (var left = Files.list(mem)) {
                assertEquals(java.util.Set.of("ublk3.new", "ublk30.x"),
                        left.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
            }
            // The old disk's clean-up, arriving late, finds no state of its own: nothing of the new one goes.
            writeStateOf(3, "new");
            RunDir.removeDeviceFiles(3, "old");
            assertEquals("new", RunDir.readState(3).get(RunDir.INSTANCE));
            assertTrue(Files.exists(store.file(3, "new")));
        } finally {
            RunDir.useDirForTests(before);
        }
    }
}
