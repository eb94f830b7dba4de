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
 *   <li>{@code throw:SECTOR+COUNT} — any request touching those 512-byte sectors throws
 *       inside the target (as a bug or a failing madvise would);</li>
 *   <li>{@code exit-queue:SECTOR} — a request touching that sector ends its queue thread
 *       with an {@link Error};</li>
 *   <li>{@code ring-error:ERRNO:SECTOR:COUNT} — a request touching that sector makes the next
 *       COUNT io_uring_enter calls of the shim fail with errno ERRNO (a passing EAGAIN or
 *       ENOMEM from the kernel).</li>
 *   <li>{@code fixed-async:1} — copy mode fixed: every copy between a request and the store
 *       file runs in io-wq (IOSQE_ASYNC), still running when the batch call returns, as the
 *       kernel does when a copy cannot finish at once.</li>
 * </ul>
 * Unset (always, outside the tests) nothing changes and nothing is checked per request.
 */
final class TestFaults {
    static final String ENV = "JUBLK_TEST_FAULT";

    private final String killAt;
    private final String pauseAt;
    private final long pauseMillis;
    private final long throwFirst;
    private final long throwCount;
    private final long exitSector;
    private final int ringErrno;
    private final long ringErrorSector;
    private final int ringErrorCount;

    private TestFaults(String killAt, String pauseAt, long pauseMillis, long throwFirst, long throwCount,
                       long exitSector, int ringErrno, long ringErrorSector, int ringErrorCount) {
        this.killAt = killAt;
        this.pauseAt = pauseAt;
        this.pauseMillis = pauseMillis;
        this.throwFirst = throwFirst;
        this.throwCount = throwCount;
        this.exitSector = exitSector;
        this.ringErrno = ringErrno;
        this.ringErrorSector = ringErrorSector;
        this.ringErrorCount = ringErrorCount;
    }

    static TestFaults fromEnvironment() {
        return parse(System.getenv(ENV));
    }

    static TestFaults parse(String spec) {
        String killAt = null;
        String pauseAt = null;
        long pauseMillis = 0;
        long first = -1;
        long count = 0;
        long exit = -1;
        int ringErrno = 0;
        long ringSector = -1;
        int ringCount = 0;
        if (spec != null && !spec.isBlank()) {
            for (String part : spec.split(",")) {
                String[] kv = part.trim().split(":", 2);
                if (kv.length != 2) throw new IllegalArgumentException(ENV + ": bad entry '" + part + "'");
                switch (kv[0]) {
                    case "kill-at" -> killAt = kv[1];
                    case "pause-at" -> {
                        String[] r = kv[1].split(":", 2);
                        pauseAt = r[0];
                        pauseMillis = r.length > 1 ? Long.parseLong(r[1]) : 5000;
                    }
                    case "throw" -> {
                        String[] r = kv[1].split("\\+", 2);
                        first = Long.parseLong(r[0]);
                        count = r.length > 1 ? Long.parseLong(r[1]) : 1;
                    }
                    case "exit-queue" -> exit = Long.parseLong(kv[1]);
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
            Log.info("TEST FAULTS ACTIVE (" + ENV + "=" + spec + ")");
        }
        return new TestFaults(killAt, pauseAt, pauseMillis, first, count, exit, ringErrno, ringSector, ringCount);
    }

    /** Called at each named step of the start; dies there if asked to. */
    void reached(String step) {
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

    private final class Faulty implements Target {
        private final Target inner;

        Faulty(Target inner) {
            this.inner = inner;
        }

        private void check(long offset, long length) {
            long first = offset >> 9;
            long end = (offset + Math.max(length, 1) + 511) >> 9;
            if (exitSector >= 0 && exitSector >= first && exitSector < end) {
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
