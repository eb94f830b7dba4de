package io.jublk.daemon;

import io.jublk.nat.Native;
import io.jublk.target.Completion;
import io.jublk.target.ReadSink;
import io.jublk.target.Target;
import io.jublk.store.WriteSource;

/**
 * Faults the VM tests inject into a device server: TEST USE ONLY. The server reads them
 * once at start from the environment variable {@value #ENV}, a comma-separated list of
 * <ul>
 *   <li>{@code kill-at:STEP} — the server SIGKILLs itself when its start reaches STEP
 *       (after-add-dev-ioctl: before the id is announced, after-add-dev, after-set-params, after-queues-armed, after-start-dev, after-state);</li>
 *   <li>{@code pause-at:STEP:MS} — the start sleeps MS milliseconds at STEP (to signal it there);</li>
 *   <li>{@code hold-at:STEP:FILE} — waits at STEP until FILE exists (at most 120 s), so a test
 *       acts in that window and then lets it go on: a start's steps, and {@code ublk del}'s
 *       {@code del-before-files} (the device is gone, its files not yet removed: where an
 *       {@code add} can take the id);</li>
 *   <li>{@code throw:SECTOR+COUNT} — any request touching those 512-byte sectors throws
 *       inside the target (as a bug or a failing madvise would);</li>
 *   <li>{@code exit-queue:SECTOR} — a request touching that sector ends its queue thread
 *       with an {@link Error};</li>
 *   <li>{@code exit-queue-once:SECTOR:FILE} — the same, once: it creates FILE as it fires, and a
 *       server that finds FILE (the one recovering the disk) is not armed;</li>
 *   <li>{@code ring-error:ERRNO:SECTOR:COUNT} — a request touching that sector makes the next
 *       COUNT io_uring_enter calls of the shim fail with errno ERRNO (a passing EAGAIN or
 *       ENOMEM from the kernel).</li>
 *   <li>{@code fixed-async:1} — copy mode fixed: every copy between a request and the store
 *       file runs in io-wq (IOSQE_ASYNC), still running when the batch call returns, as the
 *       kernel does when a copy cannot finish at once.</li>
 * </ul>
 * Unset (always, outside the tests) nothing changes and nothing is checked per request.
 */
public final class TestFaults {
    static final String ENV = "JUBLK_TEST_FAULT";

    private final String killAt;
    private final String pauseAt;
    private final long pauseMillis;
    private final String holdAt;
    private final java.nio.file.Path holdUntil;
    private final long throwFirst;
    private final long throwCount;
    private final long exitSector;
    /** For exit-queue-once: the file that says it fired; null for exit-queue. */
    private final java.nio.file.Path exitMarker;
    private final int ringErrno;
    private final long ringErrorSector;
    private final int ringErrorCount;

    private TestFaults(String killAt, String pauseAt, long pauseMillis, String holdAt, java.nio.file.Path holdUntil,
                       long throwFirst, long throwCount,
                       long exitSector, java.nio.file.Path exitMarker, int ringErrno, long ringErrorSector,
                       int ringErrorCount) {
        this.killAt = killAt;
        this.pauseAt = pauseAt;
        this.pauseMillis = pauseMillis;
        this.holdAt = holdAt;
        this.holdUntil = holdUntil;
        this.throwFirst = throwFirst;
        this.throwCount = throwCount;
        this.exitSector = exitSector;
        this.exitMarker = exitMarker;
        this.ringErrno = ringErrno;
        this.ringErrorSector = ringErrorSector;
        this.ringErrorCount = ringErrorCount;
    }

    static TestFaults fromEnvironment() {
        return parse(System.getenv(ENV));
    }

    /**
     * A CLI process at a named step: only {@code hold-at} and {@code pause-at} apply there, every
     * other entry is left to the server (no side effect here), and nothing is announced, so a
     * command's one-line error stays one line when a test fault is set. A malformed entry is
     * ignored: the command goes on as without the fault.
     */
    public static void reachedInCli(String step) {
        String spec = System.getenv(ENV);
        if (spec == null || spec.isBlank()) return;
        try {
            parse(spec, false).reached(step);
        } catch (IllegalArgumentException e) {
            Log.info("test fault ignored: " + e.getMessage());
        }
    }

    static TestFaults parse(String spec) {
        return parse(spec, true);
    }

    /** @param inServer false in a CLI process: only the steps' holds and pauses are read */
    private static TestFaults parse(String spec, boolean inServer) {
        String killAt = null;
        String pauseAt = null;
        long pauseMillis = 0;
        String holdAt = null;
        java.nio.file.Path holdUntil = null;
        long first = -1;
        long count = 0;
        long exit = -1;
        java.nio.file.Path exitMarker = null;
        int ringErrno = 0;
        long ringSector = -1;
        int ringCount = 0;
        if (spec != null && !spec.isBlank()) {
            for (String part : spec.split(",")) {
                String[] kv = part.trim().split(":", 2);
                if (kv.length != 2) throw new IllegalArgumentException(ENV + ": bad entry '" + part + "'");
                if (!inServer && !kv[0].equals("hold-at") && !kv[0].equals("pause-at")) continue;
                switch (kv[0]) {
                    case "kill-at" -> killAt = kv[1];
                    case "pause-at" -> {
                        String[] r = kv[1].split(":", 2);
                        pauseAt = r[0];
                        pauseMillis = r.length > 1 ? Long.parseLong(r[1]) : 5000;
                    }
                    case "hold-at" -> {
                        String[] r = kv[1].split(":", 2);
                        if (r.length != 2) throw new IllegalArgumentException(ENV + ": hold-at:STEP:FILE");
                        holdAt = r[0];
                        holdUntil = java.nio.file.Path.of(r[1]);
                    }
                    case "throw" -> {
                        String[] r = kv[1].split("\\+", 2);
                        first = Long.parseLong(r[0]);
                        count = r.length > 1 ? Long.parseLong(r[1]) : 1;
                    }
                    case "exit-queue" -> {
                        exit = Long.parseLong(kv[1]);
                        exitMarker = null;
                    }
                    case "exit-queue-once" -> {
                        String[] r = kv[1].split(":", 2);
                        if (r.length != 2) throw new IllegalArgumentException(ENV + ": exit-queue-once:SECTOR:FILE");
                        exitMarker = java.nio.file.Path.of(r[1]);
                        exit = Long.parseLong(r[0]);
                        if (java.nio.file.Files.exists(exitMarker)) {
                            exit = -1;  // the server that recovers the disk is not armed again
                            Log.info("test fault: exit-queue-once already fired (" + exitMarker + " exists)");
                        }
                    }
                    case "fixed-async" -> Native.jublk_test_fixed_async(Integer.parseInt(kv[1]));
                    case "ring-error" -> {
                        String[] r = kv[1].split(":", 3);
                        if (r.length != 3) throw new IllegalArgumentException(ENV + ": ring-error:ERRNO:SECTOR:COUNT");
                        ringErrno = Integer.parseInt(r[0]);
                        ringSector = Long.parseLong(r[1]);
                        ringCount = Integer.parseInt(r[2]);
                    }
                    default -> throw new IllegalArgumentException(ENV + ": unknown fault '" + kv[0] + "'");
                }
            }
            if (inServer) Log.info("TEST FAULTS ACTIVE (" + ENV + "=" + spec + ")");
        }
        return new TestFaults(killAt, pauseAt, pauseMillis, holdAt, holdUntil, first, count, exit, exitMarker, ringErrno, ringSector,
                ringCount);
    }

    /** Called at each named step of the start; dies there if asked to. */
    void reached(String step) {
        if (step.equals(holdAt)) {
            Log.info("test fault: holding at " + step + " until " + holdUntil + " exists");
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!java.nio.file.Files.exists(holdUntil) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            Log.info("test fault: going on from " + step + (java.nio.file.Files.exists(holdUntil) ? ""
                    : " (" + holdUntil + " did not appear within 120 s)"));
        }
        if (step.equals(pauseAt)) {
            Log.info("test fault: pausing " + pauseMillis + " ms at " + step);
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (step.equals(killAt)) {
            Log.info("test fault: SIGKILL at " + step);
            Native.jublk_kill((int) ProcessHandle.current().pid(), Native.SIGKILL);
        }
    }

    /** The target as the queues should see it: wrapped only when a request fault is asked for. */
    Target wrap(Target t) {
        return throwFirst < 0 && exitSector < 0 && ringErrorSector < 0 ? t : new Faulty(t);
    }

    private void markFired() {
        try {
            java.nio.file.Files.writeString(exitMarker, "fired\n");
        } catch (java.io.IOException e) {
            Log.info("test fault: cannot create " + exitMarker + ": " + e.getMessage());
        }
    }

    private final class Faulty implements Target {
        private final Target inner;

        Faulty(Target inner) {
            this.inner = inner;
        }

        private void check(long offset, long length) {
            long first = offset >> 9;
            long end = (offset + Math.max(length, 1) + 511) >> 9;
            if (exitSector >= 0 && exitSector >= first && exitSector < end) {
                if (exitMarker != null) markFired();
                throw new InternalError("test fault: queue exit at sector " + exitSector);
            }
            if (ringErrorSector >= 0 && ringErrorSector >= first && ringErrorSector < end) {
                Native.jublk_test_fail_enter(ringErrno, ringErrorCount);
            }
            if (throwFirst >= 0 && first < throwFirst + throwCount && throwFirst < end) {
                throw new IllegalStateException("test fault: sectors " + throwFirst + "+" + throwCount);
            }
        }

        @Override
        public void read(long offset, int length, Completion c, ReadSink sink) {
            check(offset, length);
            inner.read(offset, length, c, sink);
        }

        @Override
        public void write(long offset, int length, Completion c, WriteSource source) {
            check(offset, length);
            inner.write(offset, length, c, source);
        }

        @Override
        public void flush(Completion c) {
            inner.flush(c);
        }

        @Override
        public void madeDurable(long offset, long length) {
            inner.madeDurable(offset, length);
        }

        @Override
        public void discard(long offset, long length, Completion c) {
            check(offset, length);
            inner.discard(offset, length, c);
        }

        @Override
        public void writeZeroes(long offset, long length, boolean noUnmap, Completion c) {
            check(offset, length);
            inner.writeZeroes(offset, length, noUnmap, c);
        }

        @Override
        public long size() {
            return inner.size();
        }
    }
}
