package io.jublk.vm;

import io.jublk.cli.Main;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import com.sun.nio.file.ExtendedOpenOption;

/**
 * VM test helper (run by tests/vm/suite.sh, not by JUnit): writers and readers verify a disk
 * through {@code /dev/ublkbN} (O_DIRECT) while this JVM flushes, resizes and power-cuts it with the
 * CLI's own command code — the three requests that pause the queues.
 *
 * <p>Usage: {@code EventsUnderVerify SECONDS SMALL_BYTES FULL_BYTES flush,resize,cut DEVICE:ID:CACHE...}
 * (CACHE {@code writeback} or {@code none}; the disks one after the other, each for SECONDS).
 *
 * <p>Each of {@link #THREADS} threads owns every THREADS-th 4 KiB block of {@code [0, SMALL)}, so a
 * block's state needs no lock. Writes are durable ones (O_DSYNC: the kernel sends the write with FUA
 * and then a FLUSH before {@code pwrite} returns) or, on a write-back disk, plain ones, which stay
 * volatile until something makes them durable before the next cut: a later durable write's FLUSH
 * (any thread's), a flush of the disk (zeros), a shrink. Before each cut the durable writers
 * pause, so unflushed writes pile up and the cut ({@code --lose all}) has something to undo. A read must return:
 * <ul>
 *   <li>the block's last acknowledged content (its write, or what the last read saw);</li>
 *   <li>or zeros, if a flush of the disk started since that content was established;</li>
 *   <li>or, for a volatile write a cut may have undone, the durable content before it.</li>
 * </ul>
 * A write that failed (EIO while the power is off) is written again until it succeeds. Anything
 * else — a torn block, an older write, another block's data — is a lost acknowledged write. After
 * each shrink-and-grow the range {@code [SMALL, FULL)}, filled with a pattern, must read as zeros.
 * The run ends with the durable writers pausing, then all writers stopped and a last cut: then
 * every block must read its durable content — each durable write kept, each volatile write that
 * no FLUSH can have covered undone (one that overlapped a FLUSH may read either way).
 */
public final class EventsUnderVerify {
    private static final int BS = 4096;
    private static final long MAGIC = 0x6a75626c6b455556L;  // "jublkEUV"
    /** Writer-readers: up to this many requests in flight. */
    private static final int THREADS = 8;
    private static final OpenOption[] DIRECT = {StandardOpenOption.READ, StandardOpenOption.WRITE,
        ExtendedOpenOption.DIRECT};
    private static final OpenOption[] DIRECT_DSYNC = {StandardOpenOption.READ, StandardOpenOption.WRITE,
        StandardOpenOption.DSYNC, ExtendedOpenOption.DIRECT};

    private final Path device;
    private final String id;
    private final boolean writeBack;
    private final long small;
    private final long full;
    private final int blocks;

    // Per block, written and read only by its owning thread (and by the final check after join).
    /** The content it must have: a write's generation, 0 = zeros. */
    private final long[] value;
    /** While {@link #value} is a volatile write: the durable content a cut may bring back; else -1. */
    private final long[] fallback;
    /** While volatile: {@link #tick} when the write was acknowledged; else -1. */
    private final long[] volatileEnd;
    /** While volatile: cuts ended when the write started. */
    private final long[] cutsEndedAtStart;
    /**
     * While volatile: its epoch (see {@link #durableBeforeByEpoch}) — the cuts started when it
     * started, if every one had ended; -1 if a cut was under way (the server may cut before or
     * after the write lands: no later FLUSH is known to cover it).
     */
    private final long[] epochAtStart;
    /** While volatile: {@link #tick} when the write started. */
    private final long[] volatileStart;
    /** While volatile: cuts started when the write was acknowledged. */
    private final long[] cutsStartedAtAck;
    /** Flushes of the disk ended when {@link #value} was established. */
    private final long[] flushesEndedAt;
    /** While volatile: a flush of the disk may have zeroed the fallback (it started after the fallback was established). */
    private final boolean[] fallbackMayBeZero;
    /** A write that failed (EIO while the power was off) and is being written again, or -1. */
    private final long[] pending;

    /** One clock for "before/after" between threads. */
    private final AtomicLong tick = new AtomicLong();
    /**
     * Per epoch (the number of cuts started): every write of that epoch acknowledged before this
     * tick is durable — a FLUSH, a flush of the disk or a shrink came after it and before the next
     * cut. A durability point after a cut covers what the cut left, not the writes before it; and
     * a cut's epoch begins when {@code ublk powercut} is called, while the server cuts somewhere
     * between that and its return, so a write started while a cut was under way belongs to no
     * epoch (the first version counted it in the new one, and its FLUSH "made durable" writes the
     * cut then undid: lost blocks that were the oracle's).
     */
    private final AtomicLongArray durableBeforeByEpoch =
            new AtomicLongArray(MAX_EPOCHS);
    private static final int MAX_EPOCHS = 4096;
    /**
     * {@link #tick} when the last durability point ended (a durable write, a flush of the disk, a
     * resize): a volatile write started before it may have been made durable by it, even where
     * {@link #durableBeforeByEpoch} cannot tell it was (their requests overlapped).
     */
    private final AtomicLong lastDurablePointEnd = new AtomicLong();
    private final AtomicLong flushesStarted = new AtomicLong();
    private final AtomicLong flushesEnded = new AtomicLong();
    private final AtomicLong cutsStarted = new AtomicLong();
    private final AtomicLong cutsEnded = new AtomicLong();
    /** Set before a cut: durable writers read instead, so volatile writes stay unflushed. */
    private volatile boolean durableWritersQuiet;
    /** Durable (O_DSYNC) writes under way, retries included. */
    private final AtomicInteger durableInFlight = new AtomicInteger();

    private final AtomicLong durableWrites = new AtomicLong();
    private final AtomicLong volatileWrites = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong failedIo = new AtomicLong();
    private final AtomicLong zerosAfterFlush = new AtomicLong();
    private final AtomicLong undoneByCut = new AtomicLong();
    /** Volatile writes the last cut had to undo (no durability point ended after they started). */
    private final AtomicLong mustUndoAtLastCut = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());

    private EventsUnderVerify(Path device, String id, boolean writeBack, long small, long full) {
        this.device = device;
        this.id = id;
        this.writeBack = writeBack;
        this.small = small;
        this.full = full;
        this.blocks = (int) (small / BS);
        this.value = new long[blocks];
        this.fallback = new long[blocks];
        this.volatileEnd = new long[blocks];
        this.cutsEndedAtStart = new long[blocks];
        this.epochAtStart = new long[blocks];
        this.volatileStart = new long[blocks];
        this.cutsStartedAtAck = new long[blocks];
        this.flushesEndedAt = new long[blocks];
        this.pending = new long[blocks];
        this.fallbackMayBeZero = new boolean[blocks];
        Arrays.fill(fallback, -1);
        Arrays.fill(pending, -1);
        Arrays.fill(volatileEnd, -1);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: EventsUnderVerify SECONDS SMALL_BYTES FULL_BYTES flush,resize,cut DEVICE:ID:CACHE...");
            System.exit(2);
        }
        int seconds = Integer.parseInt(args[0]);
        long small = Long.parseLong(args[1]);
        long full = Long.parseLong(args[2]);
        List<String> kinds = List.of(args[3].split(","));
        int failed = 0;
        for (int i = 4; i < args.length; i++) {
            String[] disk = args[i].split(":", 3);
            System.out.println("== " + disk[0] + " (device " + disk[1] + ", cache " + disk[2] + ")");
            failed += new EventsUnderVerify(Path.of(disk[0]), disk[1], disk[2].equals("writeback"), small, full)
                    .run(seconds, kinds);
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private FileChannel open(OpenOption[] how) throws IOException {
        return FileChannel.open(device, how);
    }

    /**
     * One block's buffer, aligned for O_DIRECT, of capacity exactly one block: {@code clear()}
     * must not make it longer (an aligned slice of an allocation that happened to be aligned kept
     * both blocks, and wrote the neighbour block — another thread's — with it).
     */
    private static ByteBuffer aligned() {
        return ByteBuffer.allocateDirect(2 * BS).alignedSlice(BS).limit(BS).slice();
    }

    /** The content of block {@code block} written as generation {@code gen} (gen 0: zeros). */
    private static void fill(ByteBuffer b, int block, long gen) {
        b.clear();
        if (gen == 0) {
            while (b.hasRemaining()) b.putLong(0);
        } else {
            long x = gen * 0x9E3779B97F4A7C15L ^ block;
            b.putLong(MAGIC).putLong(block).putLong(gen);
            while (b.hasRemaining()) {
                x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
                b.putLong(x);
            }
        }
        b.flip();
    }

    /** The generation a block read back holds: 0 for zeros, -1 for anything that is no whole write of it. */
    private static long generationOf(ByteBuffer got, int block, ByteBuffer scratch) {
        long magic = got.getLong(0);
        if (magic == 0) {
            for (int i = 0; i < BS; i += 8) if (got.getLong(i) != 0) return -1;
            return 0;
        }
        if (magic != MAGIC || got.getLong(8) != block) return -1;
        long gen = got.getLong(16);
        fill(scratch, block, gen);
        return scratch.equals(got.position(0).limit(BS)) ? gen : -1;
    }

    private int run(int seconds, List<String> kinds) throws Exception {
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int owner = t;
            Thread w = new Thread(() -> work(owner), "verify-" + t);
            w.start();
            workers.add(w);
        }
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        int flushes = 0, resizes = 0, cuts = 0, i = 0;
        try {
            Thread.sleep(1000);
            // At least two rounds of every kind, however slow the first ones (a cold JVM under the emulator).
            while ((System.nanoTime() < deadline || i < 2 * kinds.size()) && violations.isEmpty()) {
                String kind = kinds.get(i++ % kinds.size());
                switch (kind) {
                    case "flush" -> { flush(); flushes++; }
                    case "resize" -> { resize(); resizes++; }
                    case "cut" -> { cut(); cuts++; }
                    default -> throw new IllegalArgumentException("unknown event " + kind);
                }
                Thread.sleep(50 + ThreadLocalRandom.current().nextInt(200));
            }
        } catch (IllegalStateException e) {
            violations.add(e.getMessage());
        } finally {
            // As before a cut: the last volatile writes with no FLUSH behind them, for the last cut to undo.
            try {
                quietDurableWriters();
            } finally {
                stop.set(true);
                for (Thread w : workers) w.join();
            }
        }
        long undoneBefore = undoneByCut.get();
        if (violations.isEmpty()) {
            // Writers stopped: a last cut, then every block is exactly its durable content.
            if (kinds.contains("cut")) {
                cut();
                cuts++;
            }
            finalCheck(kinds.contains("cut"));
        }
        System.out.printf("events: %d flushes, %d resizes, %d power cuts; %d durable and %d volatile writes, %d reads"
                + " verified, %d I/O errors while the power was off, %d reads of zeros after a flush, %d volatile"
                + " writes undone by a cut (%d of them by the last, which had to undo %d)%n", flushes, resizes, cuts,
                durableWrites.get(), volatileWrites.get(), reads.get(), failedIo.get(), zerosAfterFlush.get(),
                undoneByCut.get(), undoneByCut.get() - undoneBefore, mustUndoAtLastCut.get());
        for (String v : violations.subList(0, Math.min(violations.size(), 10))) System.out.println("LOST: " + v);
        if (flushes + resizes + cuts == 0 || durableWrites.get() == 0) {
            System.out.println("nothing was exercised");
            return 1;
        }
        if (violations.isEmpty() && writeBack && kinds.contains("cut") && mustUndoAtLastCut.get() == 0) {
            System.out.println("the last cut had no volatile write to undo that no FLUSH could have covered: not exercised");
            return 1;
        }
        return violations.isEmpty() ? 0 : 1;
    }

    private void command(String... args) {
        int rc = Main.run(args);
        if (rc != 0) throw new IllegalStateException("'ublk " + String.join(" ", args) + "' exited " + rc);
    }

    /** After {@code action}, every write acknowledged before it began is durable (the events never overlap a cut). */
    private void makingDurable(Runnable action) {
        long epoch = cutsStarted.get();
        long startedAt = tick.incrementAndGet();
        try {
            action.run();
            durableFrom(epoch, startedAt);
        } finally {
            durablePointEnded();
        }
    }

    private void durablePointEnded() {
        lastDurablePointEnd.accumulateAndGet(tick.incrementAndGet(), Math::max);
    }

    private void durableFrom(long epoch, long before) {
        if (epoch < MAX_EPOCHS) durableBeforeByEpoch.accumulateAndGet((int) epoch, before, Math::max);
    }

    private void flush() {
        flushesStarted.incrementAndGet();
        try {
            // Everything zeros, and durable: a write acknowledged before it is durable (as zeros,
            // which flushSince allows), so a cut must not bring back what came before it.
            makingDurable(() -> command("flush", "-n", id));
        } finally {
            flushesEnded.incrementAndGet();
        }
    }

    private void resize() throws IOException {
        // Filled right before the shrink: a flush of the disk since an earlier fill would have
        // zeroed it already, and the check after the grow could not fail.
        fillTail();
        durablePointEnded();  // its O_DSYNC writes sent FLUSHes
        makingDurable(() -> command("resize", "-n", id, "--size", Long.toString(small)));  // a shrink destages
        command("resize", "-n", id, "--size", Long.toString(full));
        checkTailIsZeros();
    }

    private void cut() throws InterruptedException {
        try {
            quietDurableWriters();
            cutsStarted.incrementAndGet();
            try {
                command("powercut", "-n", id, "--lose", "all");
                command("poweron", "-n", id);
            } finally {
                cutsEnded.incrementAndGet();
            }
        } finally {
            durableWritersQuiet = false;
        }
    }

    /**
     * Durable writes stop (their threads read instead) and the ones under way end; then, for
     * 300 ms, volatile writes pile up with no FLUSH behind them. (A fixed pause alone was not
     * enough: under the emulator a durable write still running at its end left no volatile write
     * that the last cut had to undo.)
     */
    private void quietDurableWriters() throws InterruptedException {
        durableWritersQuiet = true;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (durableInFlight.get() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
        Thread.sleep(300);
    }

    /** A pattern in the range a shrink drops: after the grow it must read as zeros, not as this. */
    private void fillTail() throws IOException {
        try (FileChannel ch = open(DIRECT_DSYNC)) {
            ByteBuffer b = aligned();
            for (long off = small; off < full; off += 1 << 20) {
                fill(b, (int) (off / BS), 1);
                if (ch.write(b, off) != BS) throw new IllegalStateException("short write at " + off);
            }
        }
    }

    private void checkTailIsZeros() throws IOException {
        try (FileChannel ch = open(DIRECT)) {
            ByteBuffer b = aligned();
            for (long off = small; off < full; off += 1 << 20) {
                b.clear();
                if (ch.read(b, off) != BS) throw new IllegalStateException("short read at " + off + " after the grow");
                long gen = generationOf(b, (int) (off / BS), aligned());
                if (gen != 0) {
                    throw new IllegalStateException("byte " + off + ", in the range a shrink dropped, reads "
                            + (gen < 0 ? "data" : "its old content") + " after the grow, not zeros");
                }
            }
        }
    }

    private void work(int owner) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        ByteBuffer buf = aligned();
        ByteBuffer scratch = aligned();
        long gen = owner + 1;
        // Even threads write durably, odd ones plainly (on a write-back disk, volatile writes).
        boolean durableWriter = owner % 2 == 0;
        try (FileChannel dsync = open(DIRECT_DSYNC); FileChannel plain = open(DIRECT)) {
            while (!stop.get()) {
                int block = rnd.nextInt(blocks / THREADS) * THREADS + owner;
                resolve(block);
                // One volatile write per block at a time (a cut then brings back exactly one content):
                // a block with one gets a durable write, or, while durable writes pause, a read.
                boolean flushing = durableWriter || (writeBack && volatileEnd[block] >= 0);
                boolean read = rnd.nextInt(3) == 0;
                if (!read && flushing) {
                    // Counted before the flag is read: a quiet period that found none in flight
                    // cannot miss this one starting.
                    durableInFlight.incrementAndGet();
                    if (durableWritersQuiet) {
                        durableInFlight.decrementAndGet();
                        read = true;
                    }
                }
                if (read) {
                    check(plain, block, buf, scratch);
                    continue;
                }
                gen += THREADS;
                try {
                    // Without a write-back cache a plain write is durable once acknowledged.
                    write(flushing ? dsync : plain, flushing, flushing || !writeBack, block, gen, buf);
                } finally {
                    if (flushing) durableInFlight.decrementAndGet();
                }
            }
        } catch (IOException | RuntimeException e) {
            violations.add(Thread.currentThread().getName() + ": " + e);
        }
    }

    /** A volatile write a later FLUSH (or flush of the disk, or shrink) of its epoch covered is durable now. */
    private void resolve(int block) {
        if (volatileEnd[block] >= 0 && epochAtStart[block] >= 0 && epochAtStart[block] < MAX_EPOCHS
                && volatileEnd[block] < durableBeforeByEpoch.get((int) epochAtStart[block])) {
            settle(block, value[block]);
        }
    }

    /** The block holds {@code content}, durably. */
    private void settle(int block, long content) {
        value[block] = content;
        fallback[block] = -1;
        volatileEnd[block] = -1;
    }

    /**
     * Writes generation {@code gen} to the block ({@code flushing}: an O_DSYNC write, which ends with
     * a FLUSH; {@code durable}: durable once acknowledged), again after each failure (EIO while the power is
     * off) until it is acknowledged or the run stops. A failed write leaves the block's state as it
     * was, with {@code gen} allowed too ({@link #pending}): a request the powered-off disk refused
     * should not have landed, but nothing here depends on that.
     */
    private void write(FileChannel ch, boolean flushing, boolean durable, int block, long gen, ByteBuffer buf) {
        while (true) {
            long establishedAt = flushesEnded.get();
            long cutsAtStart = cutsEnded.get();
            long epoch = cutsStarted.get();
            long startedAt = tick.incrementAndGet();
            fill(buf, block, gen);
            try {
                int n = ch.write(buf, (long) block * BS);
                if (n != BS) throw new IllegalStateException("short write of block " + block + ": " + n + " bytes");
            } catch (IOException e) {
                if (flushing) durablePointEnded();  // its FLUSH may have been served before it failed
                failedIo.incrementAndGet();
                pending[block] = gen;
                if (stop.get()) return;
                pauseAfterFailure();
                continue;
            }
            pending[block] = -1;
            if (flushing) durablePointEnded();
            // Its FLUSH covered every write acknowledged before it started -- if no cut began meanwhile
            // (a FLUSH after a cut makes durable what the cut left).
            if (flushing && cutsStarted.get() == epoch) durableFrom(epoch, startedAt);
            if (durable) {
                settle(block, gen);
                durableWrites.incrementAndGet();
            } else {
                // (Only a block whose content is durable gets a volatile write: see work.) That
                // content may be zeros since, if a flush of the disk started after it was established.
                fallbackMayBeZero[block] = flushesStarted.get() > flushesEndedAt[block];
                fallback[block] = value[block];
                value[block] = gen;
                cutsStartedAtAck[block] = cutsStarted.get();
                volatileEnd[block] = tick.incrementAndGet();
                cutsEndedAtStart[block] = cutsAtStart;
                epochAtStart[block] = cutsAtStart == epoch ? epoch : -1;
                volatileStart[block] = startedAt;
                volatileWrites.incrementAndGet();
            }
            flushesEndedAt[block] = establishedAt;
            return;
        }
    }

    private static void pauseAfterFailure() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads one block and checks it against the oracle; true if it could be read. With
     * {@code exact}, a volatile write must have been undone (a last cut with no writer running).
     */
    private boolean check(FileChannel ch, int block, ByteBuffer buf, ByteBuffer scratch) {
        return check(ch, block, buf, scratch, false);
    }

    private boolean check(FileChannel ch, int block, ByteBuffer buf, ByteBuffer scratch, boolean exact) {
        long establishedBefore = flushesEndedAt[block];
        long readStartedAt = flushesEnded.get();
        long cutsEndedBeforeRead = cutsEnded.get();
        buf.clear();
        try {
            if (ch.read(buf, (long) block * BS) != BS) {
                violations.add("block " + block + ": short read");
                return false;
            }
        } catch (IOException e) {
            failedIo.incrementAndGet();
            pauseAfterFailure();
            return false;
        }
        boolean flushSince = flushesStarted.get() > establishedBefore;
        boolean isVolatile = volatileEnd[block] >= 0;
        // A cut that had not ended when the write started, and had started by the time this read ended.
        boolean cutSince = isVolatile && cutsStarted.get() > cutsEndedAtStart[block];
        long got = generationOf(buf, block, scratch);
        long want = value[block];
        long alt = cutSince ? fallback[block] : -1;
        boolean altZero = cutSince && fallbackMayBeZero[block];
        // The last cut must have undone a volatile write that no durability point ended after:
        // nothing could have made it durable. (One an overlapping FLUSH may have covered may be either.)
        boolean mustBeUndone = exact && isVolatile && volatileStart[block] > lastDurablePointEnd.get();
        if (mustBeUndone) mustUndoAtLastCut.incrementAndGet();
        boolean ok = (mustBeUndone ? got == alt : got == want || (alt >= 0 && got == alt))
                || (got == 0 && (flushSince || altZero)) || (pending[block] >= 0 && got == pending[block]);
        if (!ok) {
            violations.add(String.format("block %d (byte %d): read %s, want generation %d%s%s%s", block,
                    (long) block * BS, got < 0 ? "data that is no whole write of this block" : "generation " + got,
                    mustBeUndone ? alt : want,
                    !mustBeUndone && alt >= 0 ? " or " + alt + (altZero ? " or zeros" : "")
                            + " (the durable content before a volatile write a cut may undo)" : "",
                    mustBeUndone ? " (a volatile write the last cut must have undone: no FLUSH came after it; it wrote "
                            + want + ")" : "",
                    flushSince ? " or zeros (a flush ran since)" : ""));
            return true;
        }
        reads.incrementAndGet();
        if (got == 0 && want != 0 && got != alt) zerosAfterFlush.incrementAndGet();
        if (isVolatile && (got == alt || (got == 0 && altZero)) && got != want) undoneByCut.incrementAndGet();
        if (got != want && got != pending[block]) settle(block, got);  // what a flush or a cut left is durable
        else if (isVolatile && got == want) survivedCuts(block, cutsEndedBeforeRead);
        flushesEndedAt[block] = readStartedAt;
        return true;
    }

    /**
     * A volatile write read back after cuts ended: one that started after its acknowledgement
     * kept it, so it was durable (a cut makes the rest durable too); one it started during was
     * cut before it landed — it belongs to the epoch after that cut, and only later cuts may
     * undo it. (Until this, the content before it stayed allowed through any later FLUSH.)
     */
    private void survivedCuts(int block, long cutsEndedBeforeRead) {
        long atAck = cutsStartedAtAck[block];
        if (cutsEndedBeforeRead > atAck) {
            settle(block, value[block]);
        } else if (cutsEndedBeforeRead == atAck && cutsEndedAtStart[block] < atAck) {
            cutsEndedAtStart[block] = atAck;
            epochAtStart[block] = atAck;
        }
    }

    private void finalCheck(boolean afterCut) throws IOException {
        try (FileChannel ch = open(DIRECT)) {
            ByteBuffer buf = aligned();
            ByteBuffer scratch = aligned();
            for (int block = 0; block < blocks; block++) {
                resolve(block);
                if (!check(ch, block, buf, scratch, afterCut && writeBack)) {
                    violations.add("block " + block + ": the final read failed");
                }
            }
        }
    }
}
