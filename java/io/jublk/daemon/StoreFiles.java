package io.jublk.daemon;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.store.PageStore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where recoverable disks keep their data so that it outlives their server: one sparse file
 * per device instance, {@code /run/jublk/mem/ublkN.INSTANCE}, on a tmpfs that jublk mounts
 * there itself. The instance (minted when the disk is created, kept across recoveries) is in
 * the name because ids are reused: a file named by id alone was unlinked by the clean-up of
 * a deleted disk after a new disk had been given the same id (item 8 of the hardening plan).
 *
 * <p>Why a file on a tmpfs of our own, rather than a memfd held by a helper process: the
 * kernel keeps the inode for as long as its name exists — nothing to crash, no process and
 * no memory beyond the data itself (one inode) — and every way a server can die (kill -9,
 * the OOM killer, a JVM crash, an upgrade) leaves it intact, with or without systemd. Its
 * own mount because /run and /dev/shm are size-limited tmpfs (10% and 50% of RAM on Debian):
 * a write to a full tmpfs through a shared mapping is a SIGBUS that kills the server. This
 * one has no size limit ({@code size=0}); the disk's --max-memory and the memory cgroup
 * bound what it holds. Mode 0700 and files 0600: only root can reach the data by path.
 * A reboot, or 'ublk del', frees it.
 */
public final class StoreFiles {
    private static final String MOUNT_OPTIONS = "mode=0700,size=0,huge=never";

    private final Path dir;
    private final boolean mountTmpfs;

    /** @param mountTmpfs mount a tmpfs on {@code dir} if none is there (false: use the folder as it is, for tests) */
    public StoreFiles(Path dir, boolean mountTmpfs) {
        this.dir = dir;
        this.mountTmpfs = mountTmpfs;
    }

    /** The system's store folder, /run/jublk/mem. */
    public static StoreFiles system() {
        return new StoreFiles(RunDir.dir().resolve("mem"), true);
    }

    /** A new device instance's name: 16 random hex digits. */
    public static String newInstance() {
        return String.format("%016x", new java.security.SecureRandom().nextLong());
    }

    /** The store file of device {@code devId}'s instance {@code instance} ("": as named before instances). */
    public Path file(int devId, String instance) {
        return dir.resolve(instance.isEmpty() ? "ublk" + devId : "ublk" + devId + "." + instance);
    }

    /** A new, empty store for device {@code devId}'s new {@code instance} (never an existing file). */
    public PageStore create(int devId, String instance, long size, long capacity, long maxMemory) {
        ensureReady();
        Path f = file(devId, instance);
        int fd = Native.jublk_open_mode(f.toString(), Native.O_RDWR | Native.O_CREAT | Native.O_EXCL, 0600);
        if (fd < 0) throw failure("cannot create the store file " + f, fd);
        int res = Native.jublk_ftruncate(fd, roundUp(capacity));
        if (res < 0) {
            Native.jublk_close(fd);
            delete(f);
            throw failure("cannot size the store file " + f, res);
        }
        try {
            return PageStore.inFile(fd, size, capacity, maxMemory);
        } catch (RuntimeException e) {
            delete(f); // nothing of it was handed out: no leftover to reclaim later
            throw e;
        }
    }

    /** The store {@code f} device {@code devId}'s earlier server left, as a disk of {@code size} bytes. */
    public PageStore open(int devId, Path f, long size, long maxMemory) {
        int fd = Native.jublk_open(f.toString(), Native.O_RDWR);
        if (fd == Errno.ENOENT.negative()) {
            throw new JublkException(Reason.NO_DEVICE, "device " + devId + " has no store file " + f
                    + ": its data is gone (was the machine rebooted, or the file removed?); delete the device with "
                    + "'ublk del -n " + devId + "'");
        }
        if (fd < 0) throw failure("cannot open the store file " + f, fd);
        long length = Native.jublk_lseek(fd, 0, Native.SEEK_END);
        long capacity = length / 512 * 512;
        if (length < 0 || capacity < size) {
            Native.jublk_close(fd);
            throw new JublkException(Reason.FAILED, "the store file " + f + " holds " + length
                    + " bytes, less than the disk's " + size + ": it is not this disk's store");
        }
        return PageStore.inFile(fd, size, Math.min(capacity, PageStore.MAX_SIZE), maxMemory);
    }

    /** Bytes of memory the store file {@code f} holds, or -1 if there is none. */
    public static long allocatedBytes(Path f) {
        int fd = Native.jublk_open(f.toString(), Native.O_RDONLY);
        if (fd < 0) return -1;
        try {
            long n = Native.jublk_allocated_bytes(fd);
            return n < 0 ? -1 : n;
        } finally {
            Native.jublk_close(fd);
        }
    }

    /** Removes every store file of device {@code devId} but instance {@code instance}'s (see RunDir.claim). */
    void removeOthers(int devId, String instance) {
        if (!Files.isDirectory(dir)) return;
        String own = file(devId, instance).getFileName().toString();
        String prefix = "ublk" + devId;
        try (java.util.stream.Stream<Path> all = Files.list(dir)) {
            all.filter(p -> {
                String n = p.getFileName().toString();
                return !n.equals(own) && (n.equals(prefix) || n.startsWith(prefix + "."));
            }).forEach(p -> {
                Log.info("removing " + p + ", left by an earlier device " + devId);
                delete(p);
            });
        } catch (IOException e) {
            Log.info("cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** Frees the store's memory (once no process maps it any more). */
    public static void delete(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            Log.info("cannot remove " + f + ": " + e.getMessage());
        }
    }

    /** Creates the folder (0700) and, for the system folder, mounts its tmpfs once. */
    private void ensureReady() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            if (!mountTmpfs) return;
            // Two 'ublk add' at once must not both mount: the second mount would hide the
            // first one's files. A lock file beside the folder serializes the check and mount.
            Path lockFile = dir.resolveSibling("." + dir.getFileName() + ".lock");
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (isTmpfsMountPoint(dir)) return;
                int res = Native.jublk_mount("jublk", dir.toString(), "tmpfs",
                        Native.MS_NOSUID | Native.MS_NODEV | Native.MS_NOEXEC, MOUNT_OPTIONS);
                if (res < 0) throw failure("cannot mount the store tmpfs on " + dir, res);
            }
        } catch (IOException e) {
            throw new JublkException(Reason.FAILED, "cannot prepare the store folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** True if /proc/self/mountinfo lists a tmpfs mounted exactly on {@code dir}. */
    static boolean isTmpfsMountPoint(Path dir) throws IOException {
        String target = dir.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            int sep = line.indexOf(" - ");
            if (f.length > 4 && f[4].equals(target) && sep > 0 && line.substring(sep + 3).startsWith("tmpfs ")) {
                return true;
            }
        }
        return false;
    }

    private static long roundUp(long n) {
        return (n + PageStore.PAGE_SIZE - 1) / PageStore.PAGE_SIZE * PageStore.PAGE_SIZE;
    }

    private static JublkException failure(String what, long res) {
        return new JublkException(Reason.FAILED, what + ": " + Errno.describe((int) res));
    }
}
