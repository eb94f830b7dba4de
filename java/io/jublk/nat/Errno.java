package io.jublk.nat;

/** errno values by name, for messages a user can act on ("EBUSY", not "-16"). */
public enum Errno {
    EPERM(1, "operation not permitted"),
    ENOENT(2, "no such file or directory"),
    ESRCH(3, "no such process"),
    EINTR(4, "interrupted"),
    EIO(5, "I/O error"),
    ENXIO(6, "no such device or address"),
    E2BIG(7, "argument list too long"),
    EBADF(9, "bad file descriptor"),
    EAGAIN(11, "try again"),
    ENOMEM(12, "out of memory"),
    EACCES(13, "permission denied"),
    EFAULT(14, "bad address"),
    EBUSY(16, "device or resource busy"),
    EEXIST(17, "already exists"),
    ENODEV(19, "no such device"),
    EINVAL(22, "invalid argument"),
    ENFILE(23, "too many open files in system"),
    EMFILE(24, "too many open files"),
    ENOTTY(25, "inappropriate ioctl for device"),
    ENOSPC(28, "no space left on device"),
    EROFS(30, "read-only file system"),
    ENOSYS(38, "function not implemented"),
    EOVERFLOW(75, "value too large for defined data type"),
    ENODATA(61, "no data available"),
    EPROTO(71, "protocol error"),
    EOPNOTSUPP(95, "operation not supported"),
    ENOBUFS(105, "no buffer space available"),
    ECANCELED(125, "operation canceled"),
    ETIMEDOUT(110, "timed out");

    public final int code;
    public final String description;

    Errno(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /** The negative value the kernel and the shim return. */
    public int negative() {
        return -code;
    }

    public static Errno of(int code) {
        int c = Math.abs(code);
        for (Errno e : values()) {
            if (e.code == c) return e;
        }
        return null;
    }

    /** "EBUSY" for -16 or 16; "errno 123" for values without a name here. */
    public static String name(int code) {
        Errno e = of(code);
        return e != null ? e.name() : "errno " + Math.abs(code);
    }

    /** "EBUSY (device or resource busy)". */
    public static String describe(int code) {
        Errno e = of(code);
        return e != null ? e.name() + " (" + e.description + ")" : "errno " + Math.abs(code);
    }
}
