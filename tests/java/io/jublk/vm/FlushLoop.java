package io.jublk.vm;

import io.jublk.cli.Main;

/**
 * VM test helper: runs `ublk flush -n ID` COUNT times in one JVM (the same command code as
 * the CLI, without paying a JVM start per call under emulation). Exits 1 at the first
 * flush that fails.
 */
public final class FlushLoop {
    private FlushLoop() {}

    public static void main(String[] args) throws Exception {
        String id = args[0];
        int count = Integer.parseInt(args[1]);
        long pauseMs = args.length > 2 ? Long.parseLong(args[2]) : 200;
        for (int i = 1; i <= count; i++) {
            long t0 = System.nanoTime();
            int rc = Main.run("flush", "-n", id);
            System.out.println("flush " + i + ": exit " + rc + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            if (rc != 0) System.exit(1);
            Thread.sleep(pauseMs);
        }
    }
}
