package io.jublk.nat;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;

import java.util.Map;

/**
 * JNA direct mapping of the C shim (native/jublk.h). Every pointer crosses as a
 * {@code long}; every failure comes back as a negative errno. No policy here:
 * callers decide what an error means (see {@link Errno}).
 *
 * <p>Direct mapping ({@code Native.register}) avoids JNA's reflective proxy on
 * every call: the queue hot path makes one such call per batch.
 */
public final class Native {
    private Native() {}

    /** Library name; JNA resolves it from jna.library.path first, then from linux-x86-64/ in the jar. */
    public static final String LIBRARY = "jublk";

    private static volatile Throwable loadError;

    static {
        try {
            // The shim and JNA's own stub must never be unpacked into a noexec /tmp when an
            // installed copy exists; jna.library.path (set by the launcher) takes precedence.
            com.sun.jna.Native.register(Native.class,
                    NativeLibrary.getInstance(LIBRARY, Map.of(Library.OPTION_ALLOW_OBJECTS, Boolean.FALSE)));
        } catch (Throwable t) {
            loadError = t;
        }
    }

    /** Throws a clear error if the shim could not be loaded; call before first use. */
    public static void ensureLoaded() {
        if (loadError != null) {
            throw new IllegalStateException("cannot load the jublk native shim (libjublk.so): " + loadError.getMessage(),
                    loadError);
        }
    }

    public static native long jublk_ring_create(int entries, int flags, int cqEntries);
    public static native void jublk_ring_destroy(long ring);
    public static native int jublk_ring_fd(long ring);
    public static native int jublk_ring_features(long ring);
    public static native void jublk_ring_set_spin(long ring, int spinMicros);
    public static native int jublk_nop(long ring, long userData, long outUserData);
    public static native int jublk_ctrl_cmd(long ring, int fd, int cmdOp, long cmd);
    public static native int jublk_queue_batch(long ring, int fd, short qid, long cmds, int ncmds,
                                               long events, int maxEvents, long iodBase, int depth, int waitNr,
                                               int timeoutMs, long bounds);
    /** Tests only: the next {@code count} io_uring_enter calls of the shim fail with errno {@code err}. */
    public static native void jublk_test_fail_enter(int err, int count);
    public static native int jublk_batch_setup(long ring, short qid, int depth, int elemBytes);
    public static native int jublk_ring_use_fixed(long ring, int fileFd, int nr);
    /** Fixed copies still running after waiting up to {@code waitMs} for none to be (see jublk.h). */
    public static native int jublk_ring_fixed_copies(long ring, int waitMs);
    /** Tests only: non-zero makes every later fixed copy of the process run in io-wq. */
    public static native void jublk_test_fixed_async(int on);
    /** Tests only: registers [addr, addr+len) as fixed buffer {@code slot}. */
    public static native int jublk_test_register_buffer(long ring, int slot, long addr, long len);
    public static native int jublk_cmd_in_bounds(long cmd, long bounds);
    public static native int jublk_user_copy(int fd, int toRequest, long mem, long len, long pos);
    public static native int jublk_unix_dgram_send(String path, String msg);

    public static native long jublk_mmap(long addr, long len, int prot, int flags, int fd, long off);
    public static native int jublk_munmap(long addr, long len);
    public static native int jublk_madvise(long addr, long len, int advice);
    public static native long jublk_resident_pages(long addr, long len);
    public static native int jublk_open(String path, int flags);
    public static native int jublk_close(int fd);
    public static native int jublk_open_mode(String path, int flags, int mode);
    public static native int jublk_ftruncate(int fd, long len);
    public static native long jublk_lseek(int fd, long off, int whence);
    public static native long jublk_allocated_bytes(int fd);
    public static native int jublk_mount(String source, String target, String fstype, long flags, String data);
    public static native int jublk_ioctl_ptr(int fd, long request, long arg);
    public static native int jublk_ioctl_int(int fd, long request, long arg);
    public static native void jublk_memset(long dst, int value, long len);
    public static native void jublk_memcpy(long dst, long src, long len);
    public static native int jublk_gettid();
    public static native int jublk_prctl(int option, long a2, long a3, long a4, long a5);
    public static native int jublk_sched_setaffinity(int tid, long size, long mask);
    public static native int jublk_kill(int pid, int sig);
    public static native int jublk_sizeof(int what);
    public static native int jublk_offsetof(int field);

    // Linux constants (x86_64) used with the helpers above.
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MADV_DONTNEED = 4;
    /** Frees the range of a shared file mapping's file too (a punched hole); tmpfs supports it. */
    public static final int MADV_REMOVE = 9;
    public static final int O_CREAT = 0x40;
    public static final int O_TRUNC = 0x200;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_EXCL = 0x80;
    public static final int PR_SET_IO_FLUSHER = 57;
    public static final int SIGKILL = 9;
}
