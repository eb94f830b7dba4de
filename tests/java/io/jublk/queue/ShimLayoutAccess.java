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
}
