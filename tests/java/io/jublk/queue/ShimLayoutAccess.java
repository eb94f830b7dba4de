package io.jublk.queue;

/** Test access to the package-private shim layout constants. */
public final class ShimLayoutAccess {
    private ShimLayoutAccess() {}

    public static int cmdSize() {
        return ShimLayout.CMD_SIZE;
    }

    public static int eventSize() {
        return ShimLayout.EVENT_SIZE;
    }

    public static int boundsSize() {
        return ShimLayout.BOUNDS_SIZE;
    }

    public static int[] cmdOffsets() {
        return new int[] {ShimLayout.CMD_COPY_DST, ShimLayout.CMD_COPY_SRC, ShimLayout.CMD_COPY_LEN, ShimLayout.CMD_OP,
            ShimLayout.CMD_TAG, ShimLayout.CMD_COPY_KIND, ShimLayout.CMD_RESULT, ShimLayout.CMD_ADDR};
    }

    public static int[] eventOffsets() {
        return new int[] {ShimLayout.EV_USER_DATA, ShimLayout.EV_RES, ShimLayout.EV_IOD};
    }

    public static int[] boundsOffsets() {
        return new int[] {ShimLayout.BOUNDS_STORE_BASE, ShimLayout.BOUNDS_STORE_LEN, ShimLayout.BOUNDS_BUF_BASE,
            ShimLayout.BOUNDS_BUF_LEN};
    }
}
