package io.jublk.ctrl;

import java.util.ArrayList;
import java.util.List;

/** The UBLK_F_* feature bits, by name, and whether jublk makes use of each. */
public enum Feature {
    SUPPORT_ZERO_COPY(0x1, false, "6.0"),
    URING_CMD_COMP_IN_TASK(0x2, false, "6.0"),
    NEED_GET_DATA(0x4, false, "6.0"),
    USER_RECOVERY(0x8, true, "6.1"),
    USER_RECOVERY_REISSUE(0x10, true, "6.1"),
    UNPRIVILEGED_DEV(0x20, false, "6.3"),
    CMD_IOCTL_ENCODE(0x40, true, "6.4"),
    USER_COPY(0x80, true, "6.5"),
    ZONED(0x100, false, "6.6"),
    USER_RECOVERY_FAIL_IO(0x200, false, "6.13"),
    UPDATE_SIZE(0x400, true, "6.16"),
    AUTO_BUF_REG(0x800, true, "6.16"),
    QUIESCE(0x1000, true, "6.16"),
    PER_IO_DAEMON(0x2000, false, "6.16"),
    BUF_REG_OFF_DAEMON(0x4000, false, "6.16"),
    BATCH_IO(0x8000, true, "7.x"),
    INTEGRITY(0x10000, false, "7.x"),
    SAFE_STOP_DEV(0x20000, true, "7.x"),
    NO_AUTO_PART_SCAN(0x40000, true, "7.x"),
    SHMEM_ZC(0x80000, false, "7.x"),
    IO_DESC_SIZE(0x100000, false, "7.x");

    public final long bit;
    /** True where jublk uses the feature when the kernel offers it. */
    public final boolean usedByJublk;
    /**
     * The first mainline release with the feature ("7.x": after 6.19, and in 7.3, the newest
     * tested). Up to 6.5 from the uapi header's history; 6.12's mask (0x1fe) and 7.3's
     * (0x1fffff) bound the rest.
     */
    public final String since;

    Feature(long bit, boolean usedByJublk, String since) {
        this.bit = bit;
        this.usedByJublk = usedByJublk;
        this.since = since;
    }

    public boolean in(long mask) {
        return (mask & bit) != 0;
    }

    /** The named features set in {@code mask}, lowest bit first. */
    public static List<Feature> decode(long mask) {
        List<Feature> out = new ArrayList<>();
        for (Feature f : values()) {
            if (f.in(mask)) out.add(f);
        }
        return out;
    }

    /** Bits set in {@code mask} that have no name here (a kernel newer than jublk). */
    public static long unknownBits(long mask) {
        long known = 0;
        for (Feature f : values()) known |= f.bit;
        return mask & ~known;
    }
}
