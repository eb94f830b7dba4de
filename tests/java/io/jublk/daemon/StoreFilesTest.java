package io.jublk.daemon;

import io.jublk.JublkException;
import io.jublk.store.PageStore;
import io.jublk.target.Completion;
import io.jublk.target.RamTarget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A recoverable disk's store: a sparse file on tmpfs (here /dev/shm, as the VM tests use the
 * real /run/jublk/mem mount) whose data outlives the store that wrote it.
 */
class StoreFilesTest {
    private static final long MiB = 1 << 20;
    private Path dir;
    private StoreFiles files;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "jublk-store-test");
        files = new StoreFiles(dir.resolve("mem"), false);
    }

    @AfterEach
    void tearDown() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void dataOutlivesTheStoreThatWroteItAndOnlyItsPagesCount() {
        byte[] a = random(4096, 1);
        byte[] b = random(3 * 4096 + 512, 2);
        try (PageStore s = files.create(7, "i7", 64 * MiB, 256 * MiB, 0)) {
            assertTrue(s.inFile());
            s.write(0, a);
            s.write(40 * MiB + 512, b);
        } // the first server is gone; only the file keeps the data
        try (PageStore s = files.open(7, files.file(7, "i7"), 64 * MiB, 0)) {
            assertArrayEquals(a, s.read(0, a.length));
            assertArrayEquals(b, s.read(40 * MiB + 512, b.length));
            assertEquals(5 * 4096, s.usedBytes(), "1 page + 4 pages (a write from 512 bytes into its first page)");
            assertTrue(s.isPageUsed(0));
            assertFalse(s.isPageUsed(1));
            assertTrue(s.isPageUsed(40 * MiB / 4096 + 3));
            assertFalse(s.isPageUsed(40 * MiB / 4096 + 4));
            assertEquals(256 * MiB, s.capacity());
            assertEquals(5 * 4096, s.residentBytes(), "memory = the file's allocated blocks");
        }
    }

    @Test
    void readingNeverWrittenBlocksOfARecoveredStoreAllocatesNothing() {
        try (PageStore s = files.create(1, "i1", 16 * MiB, 16 * MiB, 0)) {
            s.write(MiB, random(4096, 3));
        }
        try (PageStore s = files.open(1, files.file(1, "i1"), 16 * MiB, 0)) {
            RamTarget t = new RamTarget(s);
            Completion c = new Completion();
            c.reset();
            t.read(4 * MiB, 65536, c, (off, addr, len) -> fail("no piecewise read expected"));
            assertEquals(0, c.address, "a hole of the file is served as zeros, not read through the mapping");
            assertEquals(65536, c.result);
            assertEquals(4096, s.residentBytes(), "a fault on a tmpfs hole would allocate a page");
        }
    }

    @Test
    void discardPunchesHolesAndFlushEmptiesTheFile() {
        try (PageStore s = files.create(2, "i2", 16 * MiB, 16 * MiB, 0)) {
            s.write(0, random((int) (4 * MiB), 4));
            assertEquals(4 * MiB, StoreFiles.allocatedBytes(files.file(2, "i2")));
            s.zero(MiB, 2 * MiB);
            assertEquals(2 * MiB, StoreFiles.allocatedBytes(files.file(2, "i2")), "discarded pages leave the file, not just the mapping");
            assertEquals(2 * MiB, s.usedBytes());
            assertArrayEquals(new byte[4096], s.read(MiB + 8192, 4096));
            s.releaseAll();
            assertEquals(0, StoreFiles.allocatedBytes(files.file(2, "i2")));
            assertEquals(0, s.usedBytes());
        }
        try (PageStore s = files.open(2, files.file(2, "i2"), 16 * MiB, 0)) {
            assertEquals(0, s.usedBytes(), "a flushed disk is empty for the next server too");
        }
    }

    @Test
    void theMemoryLimitCountsWhatTheFileAlreadyHolds() {
        try (PageStore s = files.create(3, "i3", 16 * MiB, 16 * MiB, 0)) {
            s.write(0, random((int) MiB, 5));
        }
        try (PageStore s = files.open(3, files.file(3, "i3"), 16 * MiB, MiB + 4096)) {
            assertTrue(s.reserveForWrite(2 * MiB, 4096), "one more page fits the limit");
            assertFalse(s.reserveForWrite(3 * MiB, 4096), "the recovered megabyte counts against the limit");
        }
    }

    @Test
    void filesAreCreatedOwnerOnlyAndDeletedWithTheDevice() throws IOException {
        try (PageStore s = files.create(4, "i4", 8 * MiB, 8 * MiB, 0)) {
            s.write(0, random(4096, 6));
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.file(4, "i4"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("mem"))));
        StoreFiles.delete(files.file(4, "i4"));
        assertFalse(Files.exists(files.file(4, "i4")));
        assertEquals(-1, StoreFiles.allocatedBytes(files.file(4, "i4")));
    }

    @Test
    void aMissingOrWrongStoreFileIsNamedInTheError() {
        JublkException e = assertThrows(JublkException.class, () -> files.open(9, files.file(9, "i9"), 8 * MiB, 0));
        assertEquals(JublkException.Reason.NO_DEVICE, e.reason());
        assertTrue(e.getMessage().contains(files.file(9, "i9").toString()) && e.getMessage().contains("ublk del -n 9"),
                e.getMessage());
        files.create(5, "i5", 8 * MiB, 8 * MiB, 0).close();
        JublkException small = assertThrows(JublkException.class, () -> files.open(5, files.file(5, "i5"), 16 * MiB, 0));
        assertTrue(small.getMessage().contains("not this disk's store"), small.getMessage());
    }

    /**
     * Ids are reused: a new disk with the same id gets a file of its own (empty), and removing
     * the old disk's file leaves the new one's data. (Named by id alone, the old disk's
     * clean-up unlinked the new disk's store.)
     */
    @Test
    void aNewDeviceWithTheSameIdHasItsOwnEmptyStoreThatTheOldOnesCleanUpLeaves() {
        byte[] old = random(8192, 7);
        byte[] fresh = random(8192, 8);
        try (PageStore s = files.create(6, "a", 8 * MiB, 8 * MiB, 0)) {
            s.write(0, old);
        }
        try (PageStore s = files.create(6, "b", 8 * MiB, 8 * MiB, 0)) {
            assertEquals(0, s.usedBytes());
            assertArrayEquals(new byte[8192], s.read(0, 8192));
            s.write(0, fresh);
        }
        StoreFiles.delete(files.file(6, "a"));
        try (PageStore s = files.open(6, files.file(6, "b"), 8 * MiB, 0)) {
            assertArrayEquals(fresh, s.read(0, 8192), "the new disk's data survived the old one's clean-up");
        }
        assertThrows(JublkException.class, () -> files.create(6, "b", 8 * MiB, 8 * MiB, 0),
                "an instance's store is never created twice (O_EXCL)");
        assertNotEquals(StoreFiles.newInstance(), StoreFiles.newInstance());
    }
}
