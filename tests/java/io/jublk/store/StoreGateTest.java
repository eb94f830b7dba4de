package io.jublk.store;

import io.jublk.nat.Native;
import io.jublk.target.Completion;
import io.jublk.target.RamTarget;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Flush (release the whole store) racing writes, the way the queues and the control
 * thread race in a server: each writer reserves its page (dispatch), copies its data
 * (the next batch call) and acknowledges, passing the gate between requests. Releasing
 * without the gate loses acknowledged writes and leaves pages the tracker does not count.
 */
class StoreGateTest {
    private static final int WRITERS = 3;
    private static final int PAGES_PER_WRITER = 64;

    @Test
    void flushesAtTheGateLoseNoWriteAcknowledgedAfterThemAndKeepCountsExact() throws Exception {
        assertTrue(runRace(true).isEmpty());
    }

    @Test
    void withoutTheGateTheSameRaceLosesData() throws Exception {
        // The control experiment: the harness does catch the bug the gate prevents.
        boolean caught = false;
        for (int attempt = 0; attempt < 5 && !caught; attempt++) caught = !runRace(false).isEmpty();
        assertTrue(caught, "releasing without the gate never lost a write: the race harness has no teeth");
    }

    /** Runs the race; returns what went wrong (empty: nothing). */
    private static java.util.List<String> runRace(boolean useGate) throws Exception {
        java.util.List<String> problems = new java.util.ArrayList<>();
        long size = (long) WRITERS * PAGES_PER_WRITER * PageStore.PAGE_SIZE;
        try (PageStore store = new PageStore(size)) {
            RamTarget target = new RamTarget(store);
            StoreGate gate = new StoreGate();
            int rounds = 300;
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger releases = new AtomicInteger(); // releases that have returned
            // per page: the value last acknowledged, and whether that was after the last release
            byte[] lastValue = new byte[WRITERS * PAGES_PER_WRITER];
            boolean[] ackedAfterLastRelease = new boolean[WRITERS * PAGES_PER_WRITER];
            Thread[] writers = new Thread[WRITERS];
            for (int q = 0; q < WRITERS; q++) {
                int me = q;
                writers[q] = new Thread(() -> {
                    gate.join();
                    Completion c = new Completion();
                    int i = 0;
                    try {
                        while (!stop.get()) {
                            gate.checkpoint();
                            int page = me * PAGES_PER_WRITER + (i % PAGES_PER_WRITER);
                            byte value = (byte) (1 + (i % 250));
                            target.write((long) page * PageStore.PAGE_SIZE, PageStore.PAGE_SIZE, c, null);
                            assertEquals(PageStore.PAGE_SIZE, c.result);
                            for (int spin = 0; spin < 200; spin++) Thread.onSpinWait(); // reserve → copy window
                            Native.jublk_memset(c.address, value, PageStore.PAGE_SIZE);
                            lastValue[page] = value;
                            // acknowledged now: after the final release returned, or not
                            ackedAfterLastRelease[page] = releases.get() == rounds;
                            i++;
                        }
                    } finally {
                        gate.leave();
                    }
                });
                writers[q].start();
            }
            for (int r = 0; r < rounds; r++) {
                if (useGate) {
                    gate.runPaused(() -> {
                        store.releaseAll();
                        return null;
                    }, 5000);
                } else {
                    store.releaseAll();
                }
                releases.incrementAndGet();
                if (r < rounds - 1) Thread.sleep(0, 200_000);
            }
            // Writers finish the request they are in: a write reserved before the final release
            // and acknowledged after it is exactly the case a flush must not lose.
            stop.set(true);
            for (Thread w : writers) w.join();

            Completion c = new Completion();
            for (int page = 0; page < lastValue.length; page++) {
                if (!ackedAfterLastRelease[page]) continue;
                target.read((long) page * PageStore.PAGE_SIZE, PageStore.PAGE_SIZE, c, (off, src, len) -> fail());
                byte got = c.address == 0 ? 0 : store.read((long) page * PageStore.PAGE_SIZE, 1)[0];
                if (got != lastValue[page]) problems.add("page " + page + " reads " + got + ", want " + lastValue[page]);
            }
            long resident = store.residentPagesByMincore();
            if (resident != store.usedBytes() / PageStore.PAGE_SIZE) {
                problems.add("tracker counts " + store.usedBytes() / PageStore.PAGE_SIZE + " pages, mincore " + resident);
            }
        }
        return problems;
    }
}
