package io.jublk.ctrl;

import java.util.ArrayList;
import java.util.List;

/** The UBLK_F_* feature bits, by name, and whether jublk makes use of each. */
public enum Feature {
    SUPPORT_ZERO_COPY(0x1, false),
    URING_CMD_COMP_IN_TASK(0x2, false),
    NEED_GET_DATA(0x4, false),
    USER_RECOVERY(0x8, false),
    USER_RECOVERY_REISSUE(0x10, false),
    UNPRIVILEGED_DEV(0x20, false),
    CMD_IOCTL_ENCODE(0x40, true),
    USER_COPY(0x80, true),
    ZONED(0x100, false),
    USER_RECOVERY_FAIL_IO(0x200, false),
    UPDATE_SIZE(0x400, false),
    AUTO_BUF_REG(0x800, false),
    QUIESCE(0x1000, false),
    PER_IO_DAEMON(0x2000, false),
    BUF_REG_OFF_DAEMON(0x4000, false),
    BATCH_IO(0x8000, false),
    INTEGRITY(0x10000, false),
    SAFE_STOP_DEV(0x20000, false),
    NO_AUTO_PART_SCAN(0x40000, false),
    SHMEM_ZC(0x80000, false),
    IO_DESC_SIZE(0x100000, false);

    public final long bit;
    /** True where jublk uses the feature when the kernel offers it. */
    public final boolean usedByJublk;

    Feature(long bit, boolean usedByJublk) {
        this.bit = bit;
        this.usedByJublk = usedByJublk;
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
