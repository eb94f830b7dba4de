package io.jublk.store;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PageStoreTest {
    private static final long MiB = 1 << 20;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void neverWrittenBlocksReadAsZerosAndCostNothing() {
        try (PageStore s = new PageStore(16 * MiB)) {
            assertArrayEquals(new byte[8192], s.read(5 * MiB, 8192));
            assertEquals(0, s.residentBytes(), "reading the zero page must not count as memory in use");
        }
    }

    @Test
    void dataReadsBackAndMemoryIsCountedPerPage() {
        try (PageStore s = new PageStore(16 * MiB)) {
            byte[] data = random(3 * 4096, 1);
            s.write(4096, data);
            assertArrayEquals(data, s.read(4096, data.length));
            assertEquals(3 * 4096, s.residentBytes());
        }
    }

    @Test
    void aOneTebibyteStoreIsCreatableAndSparse() {
        long tib = 1L << 40;
        try (PageStore s = new PageStore(tib)) {
            byte[] data = random(4096, 2);
            s.write(tib - 4096, data);
            s.write(0, data);
            assertArrayEquals(data, s.read(tib - 4096, 4096));
            assertEquals(2 * 4096, s.residentBytes());
        }
    }

    @Test
    void boundsRejectRangesOutsideTheDisk() {
        try (PageStore s = new PageStore(MiB)) {
            assertTrue(s.contains(0, MiB));
            assertTrue(s.contains(MiB, 0));
            assertFalse(s.contains(MiB - 512, 1024));
            assertFalse(s.contains(-512, 512));
            assertFalse(s.contains(512, Long.MAX_VALUE));
            assertThrows(IndexOutOfBoundsException.class, () -> s.zero(MiB - 512, 1024));
        }
    }

    @Test
    void zeroReleasesWholePagesAndZeroFillsPartialOnes() {
        try (PageStore s = new PageStore(MiB)) {
            byte[] data = random(64 * 1024, 3);
            s.write(0, data);
            assertEquals(16 * 4096, s.residentBytes());
            // 512 bytes into page 1 up to 512 bytes into page 10: pages 2..9 released whole.
            long off = 4096 + 512;
            long len = 9 * 4096;
            s.zero(off, len);
            byte[] back = s.read(0, data.length);
            for (int i = 0; i < data.length; i++) {
                byte want = (i >= off && i < off + len) ? 0 : data[i];
                if (back[i] != want) fail("byte " + i + " is " + back[i] + ", want " + want);
            }
            assertEquals((16 - 8) * 4096, s.residentBytes(), "8 whole pages returned to the kernel");
        }
    }

    @Test
    void zeroInsideOnePageOnlyZeroFills() {
        try (PageStore s = new PageStore(MiB)) {
            byte[] data = random(4096, 4);
            s.write(0, data);
            s.zero(100, 200);
            byte[] back = s.read(0, 4096);
            byte[] want = data.clone();
            Arrays.fill(want, 100, 300, (byte) 0);
            assertArrayEquals(want, back);
            assertEquals(4096, s.residentBytes());
        }
    }

    @Test
    void releaseAllGivesEverythingBack() {
        try (PageStore s = new PageStore(8 * MiB)) {
            s.write(0, random((int) (4 * MiB), 5));
            assertEquals(4 * MiB, s.residentBytes());
            s.releaseAll();
            assertEquals(0, s.residentBytes());
            assertArrayEquals(new byte[4096], s.read(MiB, 4096));
        }
    }

    @Test
    void sizeMustBeAPositiveMultipleOf512() {
        assertThrows(IllegalArgumentException.class, () -> new PageStore(0));
        assertThrows(IllegalArgumentException.class, () -> new PageStore(1000));
    }

    @Test
    void shrinkReleasesTheTailAndGrowingAgainShowsZeros() {
        try (PageStore s = new PageStore(4 * MiB, 16 * MiB, 0)) {
            assertEquals(16 * MiB, s.capacity());
            byte[] data = random((int) (4 * MiB), 7);
            s.write(0, data);
            assertFalse(s.contains(4 * MiB, 512), "beyond the size, inside the capacity, is outside the disk");
            assertEquals(0, s.resize(8 * MiB), "growing releases nothing");
            byte[] more = random((int) MiB, 8);
            s.write(6 * MiB, more);
            assertArrayEquals(data, s.read(0, data.length), "growing keeps the data");
            assertEquals(5 * MiB, s.usedBytes());
            long cut = MiB + 1024; // not page aligned: the rest of its page must read as zeros later
            long released = s.resize(cut);
            assertEquals(cut, s.size());
            assertEquals(5 * MiB - (MiB + 4096), released, "every page beyond the new end is released");
            assertEquals(MiB + 4096, s.usedBytes());
            assertFalse(s.contains(cut, 512));
            assertArrayEquals(java.util.Arrays.copyOf(data, (int) cut), s.read(0, (int) cut), "data before the end kept");
            s.resize(8 * MiB);
            assertArrayEquals(new byte[(int) (8 * MiB - cut)], s.read(cut, (int) (8 * MiB - cut)),
                    "after growing again the old tail reads as zeros");
            assertThrows(IllegalArgumentException.class, () -> s.resize(17 * MiB), "beyond the capacity");
            assertThrows(IllegalArgumentException.class, () -> s.resize(1000), "not a multiple of 512");
        }
    }
}
