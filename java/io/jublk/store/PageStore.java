package io.jublk.store;

import io.jublk.nat.Native;
import io.jublk.nat.NativeException;

/**
 * The RAM disk's private backing store: one mapping as large as the disk may grow (its
 * capacity), of which the first {@link #size} bytes are the disk. Either anonymous and
 * private ({@code MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE}: gone with the process) or a
 * shared mapping of a sparse tmpfs file ({@link #inFile}: the data outlives the process, so a
 * new server can recover the disk). The kernel allocates a page on first write;
 * never-written blocks read as zeros and cost nothing. Whole pages that are discarded or
 * zeroed go back to the kernel ({@code MADV_DONTNEED}, or {@code MADV_REMOVE}, which punches
 * a hole in the file).
 *
 * <p>Thread-safe in the way a disk is: concurrent requests to different ranges are
 * independent; ordering of overlapping requests is the block layer's business.
 */
public final class PageStore implements AutoCloseable {
    public static final int PAGE_SIZE = 4096;
    /**
     * Largest store: 32 TiB, what one page bitmap can track ({@link PageTracker#MAX_PAGES});
     * far beyond any machine's memory, and well inside x86-64's 128 TiB of user address space.
     */
    public static final long MAX_SIZE = PageTracker.MAX_PAGES * PAGE_SIZE;
    private static final int MADV_NOHUGEPAGE = 15;

    /** Bytes mapped (and tracked): the most the disk can grow to. Fixed for the store's life. */
    private final long capacity;
    /** The disk's size now; changes only by {@link #resize}, with no request in flight. */
    private volatile long size;
    private final PageTracker pages;
    private volatile long base;
    /** The store's file for {@link #inFile} stores (owned: closed with the store), else -1. */
    private final int fileFd;
    /** How whole pages go back: MADV_DONTNEED (anonymous) or MADV_REMOVE (file: punch a hole). */
    private final int releaseAdvice;

    /**
     * Reserves {@code size} bytes of address space (a multiple of 512). No memory is
     * committed: a 1 TiB store on a 24 GiB machine costs only page tables for what is written.
     */
    public PageStore(long size) {
        this(size, 0);
    }

    /**
     * @param maxMemory bytes the store may hold at most (writes beyond fail), 0 for no limit
     */
    public PageStore(long size, long maxMemory) {
        this(size, size, maxMemory);
    }

    /**
     * @param capacity the most {@link #resize} may grow the disk to: address space reserved
     *        now (and bitmap pages, on first use), never memory
     */
    public PageStore(long size, long capacity, long maxMemory) {
        this(size, capacity, maxMemory, -1);
    }

    /**
     * A store kept in the file {@code fd} (a tmpfs file of at least {@code capacity} bytes),
     * mapped shared so that what is written stays in the file when this process dies. What
     * the file already holds is the disk's content: its data ranges (SEEK_DATA/SEEK_HOLE)
     * are counted as used, so reads of never-written blocks still cost nothing. The store
     * owns {@code fd} from here on, also when this throws.
     */
    public static PageStore inFile(int fd, long size, long capacity, long maxMemory) {
        return new PageStore(size, capacity, maxMemory, fd);
    }

    private PageStore(long size, long capacity, long maxMemory, int fd) {
        if (size <= 0 || size % 512 != 0 || capacity < size || capacity % 512 != 0 || capacity > MAX_SIZE) {
            if (fd >= 0) Native.jublk_close(fd);
            throw new IllegalArgumentException("store size and capacity must be positive multiples of 512 bytes, "
                    + "size <= capacity <= " + MAX_SIZE + ": " + size + ", " + capacity);
        }
        Native.ensureLoaded();
        this.size = size;
        this.capacity = capacity;
        this.fileFd = fd;
        this.releaseAdvice = fd >= 0 ? Native.MADV_REMOVE : Native.MADV_DONTNEED;
        this.pages = new PageTracker(capacity, maxMemory);
        long mapped = roundUp(capacity);
        long addr = fd >= 0
                ? Native.jublk_mmap(0, mapped, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0)
                : Native.jublk_mmap(0, mapped, Native.PROT_READ | Native.PROT_WRITE,
                        Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_NORESERVE, -1, 0);
        if (addr < 0) {
            pages.close();
            if (fd >= 0) Native.jublk_close(fd);
            NativeException.check("mmap of a " + size + "-byte store", addr);
        }
        // Transparent huge pages would turn a 4 KiB write into a 2 MiB allocation and make
        // memory use depend on the host's THP policy; a RAM disk wants byte-exact accounting.
        Native.jublk_madvise(addr, mapped, MADV_NOHUGEPAGE);
        this.base = addr;
        if (fd >= 0) {
            try {
                countFileData();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }
    }

    /** Marks the pages the file holds data in (its content from an earlier server) as used. */
    private void countFileData() {
        long end = roundUp(capacity);
        long pos = 0;
        while (pos < end) {
            long data = Native.jublk_lseek(fileFd, pos, Native.SEEK_DATA);
            if (data == io.jublk.nat.Errno.ENXIO.negative()) break; // no data after pos
            NativeException.check("lseek(SEEK_DATA) in the store file", data);
            if (data >= end) break;
            long hole = NativeException.check("lseek(SEEK_HOLE) in the store file",
                    Native.jublk_lseek(fileFd, data, Native.SEEK_HOLE));
            hole = Math.min(roundUp(hole), end);
            pages.markUsed(data / PAGE_SIZE, hole / PAGE_SIZE - 1);
            pos = hole;
        }
    }

    /** True if the store is a file that outlives this process ({@link #inFile}). */
    public boolean inFile() {
        return fileFd >= 0;
    }

    /**
     * The store file's descriptor (-1 for an anonymous store), for copies the kernel does
     * between it and requests (copy mode FIXED). Owned by the store: not to be closed.
     */
    public int fileFd() {
        return fileFd;
    }

    private static long roundUp(long n) {
        return (n + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
    }

    public long size() {
        return size;
    }

    /** The most {@link #resize} can grow the disk to. */
    public long capacity() {
        return capacity;
    }

    /**
     * Makes the disk {@code newSize} bytes (a multiple of 512, at most {@link #capacity}).
     * Shrinking releases everything beyond the new end, so growing again shows zeros there.
     * Only with no request in flight: the device server calls it at a {@link StoreGate} pause.
     *
     * @return bytes of data released by a shrink
     */
    public long resize(long newSize) {
        if (newSize <= 0 || newSize % 512 != 0 || newSize > capacity) {
            throw new IllegalArgumentException("new size must be a positive multiple of 512 up to " + capacity
                    + ": " + newSize);
        }
        long old = size;
        if (newSize >= old) {
            size = newSize;
            return 0;
        }
        long before = usedBytes();
        // Zero the tail while it still belongs to the disk, then cut it off. The padding of
        // the new last page beyond newSize is zeroed too, so a later grow reads zeros there.
        long tailStart = newSize / PAGE_SIZE * PAGE_SIZE;
        if (tailStart < newSize) zeroPartial(newSize, Math.min(old, tailStart + PAGE_SIZE) - newSize);
        long firstWhole = roundUp(newSize);
        long end = roundUp(old);
        if (firstWhole < end) {
            NativeException.check("madvise (release pages)",
                    Native.jublk_madvise(base + firstWhole, end - firstWhole, releaseAdvice));
            pages.release(firstWhole / PAGE_SIZE, (end - firstWhole) / PAGE_SIZE);
        }
        size = newSize;
        return before - usedBytes();
    }

    /** Address of byte {@code offset} of the disk; callers check {@link #contains} first. */
    public long address(long offset) {
        return base + offset;
    }

    /** True if [offset, offset+length) lies inside the disk (no overflow). */
    public boolean contains(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
    }

    /**
     * Claims the memory a write to [offset, offset+length) needs; false (nothing claimed)
     * if it would take the store beyond its memory limit. Callers check bounds first.
     */
    public boolean reserveForWrite(long offset, long length) {
        return pages.reserve(offset, length);
    }

    /**
     * Counts {@code pages} pages of memory held beside the store (a write cache's saved copies)
     * in its use and against its limit; false, and nothing counted, beyond the limit.
     */
    public boolean reserveExtra(long pages) {
        return this.pages.reserveExtra(pages);
    }

    /** Pages of memory still free under the limit (see {@link PageTracker#freePages}). */
    public long freePages() {
        return pages.freePages();
    }

    /** Counts pages held beside the store whatever the limit (see {@link PageTracker#addExtra}). */
    public void addExtra(long pages) {
        this.pages.addExtra(pages);
    }

    /** Gives back pages counted by {@link #reserveExtra} or {@link #addExtra}. */
    public void releaseExtra(long pages) {
        this.pages.releaseExtra(pages);
    }

    /** How many of the pages [firstPage, lastPage] hold data. */
    public long usedPagesIn(long firstPage, long lastPage) {
        return pages.countSet(firstPage, lastPage);
    }

    /**
     * Counts page {@code page} as holding data whatever the limit: a power cut put back content
     * a discard had released, with memory already held by the write cache's saved copy.
     */
    public void markPageUsed(long page) {
        pages.markUsed(page, page);
    }

    /** True if page {@code page} (of {@link #PAGE_SIZE} bytes) holds data. */
    public boolean isPageUsed(long page) {
        return pages.isUsed(page);
    }

    /** Bytes of data the store holds by its own count (pages written and not released). */
    public long usedBytes() {
        return pages.usedPages() * PAGE_SIZE;
    }

    /** The memory limit in bytes, 0 if none. */
    public long maxMemory() {
        return pages.limitBytes();
    }

    /**
     * Makes [offset, offset+length) read as zeros: whole pages are returned to the kernel,
     * the partial pages at either end are zero-filled.
     */
    public void zero(long offset, long length) {
        if (!contains(offset, length)) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length + " outside a " + size + "-byte store");
        }
        if (length == 0) return;
        long end = offset + length;
        long firstWhole = firstWholePage(offset);
        long endWhole = Math.max(firstWhole, endWholePage(offset, length));
        if (offset < firstWhole * PAGE_SIZE) zeroPartial(offset, Math.min(end, firstWhole * PAGE_SIZE) - offset);
        if (endWhole > firstWhole) {
            NativeException.check("madvise (release pages)", Native.jublk_madvise(base + firstWhole * PAGE_SIZE,
                    (endWhole - firstWhole) * PAGE_SIZE, releaseAdvice));
            pages.release(firstWhole, endWhole - firstWhole);
        }
        long tail = endWhole * PAGE_SIZE;
        if (tail < end) zeroPartial(tail, end - tail);
    }

    /** The first page a {@link #zero} from {@code offset} releases whole (pages before it are zero-filled). */
    public long firstWholePage(long offset) {
        return roundUp(offset) / PAGE_SIZE;
    }

    /**
     * The page after the last one a {@link #zero} of [offset, offset+length) releases whole.
     * At the very end of the disk the mapping's last, padded page counts as whole: no sector
     * of the disk lies beyond the range in it.
     */
    public long endWholePage(long offset, long length) {
        long end = offset + length;
        return end == size ? roundUp(size) / PAGE_SIZE : end / PAGE_SIZE;
    }

    /** Zero-fills part of one page; a page never written is zero already and is left unmapped. */
    private void zeroPartial(long offset, long length) {
        if (pages.isUsed(offset / PAGE_SIZE)) Native.jublk_memset(base + offset, 0, length);
    }

    /**
     * Releases every page: the whole disk reads as zeros and uses no memory. Only with no
     * request half done: the device server calls it at a {@link StoreGate} pause.
     */
    public void releaseAll() {
        NativeException.check("madvise (release pages)",
                Native.jublk_madvise(base, roundUp(capacity), releaseAdvice));
        pages.releaseAll();
    }

    /**
     * Bytes of memory the store holds now: a file store's allocated blocks (what the file
     * keeps, mapped by this process or not), else the mapping's RSS (see {@link MappingRss});
     * falls back to mincore.
     */
    public long residentBytes() {
        if (fileFd >= 0) return NativeException.check("fstat of the store file", Native.jublk_allocated_bytes(fileFd));
        long rss = MappingRss.of("self", base);
        return rss >= 0 ? rss : residentPagesByMincore() * PAGE_SIZE;
    }

    /** Start address of the mapping, for other processes to measure it through /proc. */
    public long baseAddress() {
        return base;
    }

    /** Pages mapped in the store per mincore (counts zero-page mappings too). */
    public long residentPagesByMincore() {
        return NativeException.check("mincore", Native.jublk_resident_pages(base, roundUp(capacity)));
    }

    /** Reads {@code length} bytes at {@code offset} into a new array (tests and tools, not the hot path). */
    public byte[] read(long offset, int length) {
        if (!contains(offset, length)) throw new IndexOutOfBoundsException();
        com.sun.jna.Pointer p = new com.sun.jna.Pointer(base + offset);
        return p.getByteArray(0, length);
    }

    /** Writes {@code data} at {@code offset} (tests and tools, not the hot path). */
    public void write(long offset, byte[] data) {
        if (!contains(offset, data.length)) throw new IndexOutOfBoundsException();
        if (!reserveForWrite(offset, data.length)) throw new IllegalStateException("memory limit reached");
        new com.sun.jna.Pointer(base + offset).write(0, data, 0, data.length);
    }

    /** Unmaps the store; only once no thread can touch it any more (the server joins its queues first). */
    @Override
    public synchronized void close() {
        if (base != 0) {
            Native.jublk_munmap(base, roundUp(capacity));
            base = 0;
            pages.close();
            if (fileFd >= 0) Native.jublk_close(fileFd);
        }
    }
}
