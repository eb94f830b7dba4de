package io.jublk.ctrl;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;

/**
 * Which ublk driver jublk can work with, decided from GET_FEATURES rather than from the
 * kernel version: what the driver reports is what it does (distributions backport).
 *
 * <p>jublk needs GET_FEATURES itself (Linux 6.5) and ioctl-encoded I/O commands
 * (CMD_IOCTL_ENCODE, 6.4): its queues always send UBLK_U_IO_*. Everything else is used when
 * offered (USER_COPY, UPDATE_SIZE, SAFE_STOP_DEV, NO_AUTO_PART_SCAN) and an operation that
 * needs a missing one fails with {@link Reason#UNSUPPORTED} naming it.
 */
public final class KernelSupport {
    /** The kernels the test suite runs on (README, Kernel support). */
    public static final String TESTED_KERNELS = "6.12 and 7.3";
    static final String MIN_KERNEL = "6.5";

    private KernelSupport() {}

    /** The driver's feature mask, or a one-line error if jublk cannot serve devices with it. */
    public static long requireUsable(Control control) {
        long mask;
        try {
            mask = control.getFeatures();
        } catch (JublkException e) {
            throw new JublkException(Reason.UNSUPPORTED, "this kernel's ublk driver has no GET_FEATURES ("
                    + e.getMessage() + "): jublk needs Linux " + MIN_KERNEL + " or newer (tested on " + TESTED_KERNELS
                    + ")", e);
        }
        return requireUsable(mask);
    }

    /** {@code mask} itself, if it has every feature jublk cannot do without. */
    public static long requireUsable(long mask) {
        require(mask, Feature.CMD_IOCTL_ENCODE, "jublk's queues send ioctl-encoded commands (UBLK_U_IO_*)");
        return mask;
    }

    /** Fails with one line naming {@code feature}, what needs it, and which kernels have it. */
    public static void require(long mask, Feature feature, String whatNeedsIt) {
        if (feature.in(mask)) return;
        throw new JublkException(Reason.UNSUPPORTED, "this kernel's ublk driver lacks UBLK_F_" + feature.name()
                + " (features 0x" + Long.toHexString(mask) + "), which " + whatNeedsIt + " needs; it is in Linux "
                + feature.since + " and newer (jublk is tested on " + TESTED_KERNELS + ")");
    }
}
