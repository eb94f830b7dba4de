package io.jublk.daemon;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * /run/jublk: the root-only folder where each device server leaves a small state file
 * (its pid and where its store lives) so that other commands can find and measure it.
 */
public final class RunDir {
    public static final Path DEFAULT = Path.of("/run/jublk");
    private static volatile Path dir = Path.of(System.getProperty("jublk.rundir", DEFAULT.toString()));

    private RunDir() {}

    public static Path dir() {
        return dir;
    }

    /** Host tests only: points every file of this class at {@code other}; returns the folder before. */
    static Path useDirForTests(Path other) {
        Path before = dir;
        dir = other;
        return before;
    }

    /** Creates the folder with mode 0700 if needed. */
    public static Path ensure() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        return dir;
    }

    public static Path stateFile(int devId) {
        return dir.resolve("ublk" + devId + ".state");
    }

    public static Path socketFile(int devId) {
        return dir.resolve("ublk" + devId + ".sock");
    }

    public static Path logFile(int devId) {
        return dir.resolve("ublk" + devId + ".log");
    }

    /**
     * Writes key=value lines atomically (a temporary file of its own, then a rename), mode 0600:
     * a reader sees the old file or the new one, never part of either, also when two writers race
     * (with one shared temporary name one write truncated the other's file before its rename).
     * Refused (IOException) when the id belongs to another instance (it claimed the id, or its state
     * is there): the id is another disk's now, and a late write of the old disk's server (a queue
     * failure racing its teardown, an auto-recovery's bookkeeping) must not replace the new disk's
     * state — also not in the moment between the new disk's claim and its first state.
     */
    public static void writeState(int devId, Map<String, String> values) throws IOException {
        ensure();
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        Path tmp = Files.createTempFile(dir, ".ublk" + devId + ".state.", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
            try (DeviceLock lock = DeviceLock.take(devId)) {
                String ours = values.get(INSTANCE);
                // The id's owner since its last claim, else (an id claimed before owners were recorded)
                // the instance the state there names.
                String there = lock.owner().isEmpty() ? readState(devId).get(INSTANCE) : lock.owner();
                if (ours != null && there != null && !there.isEmpty() && !there.equals(ours)) {
                    throw new IOException("the state there belongs to another disk (instance " + there
                            + ", this is " + ours + "): device " + devId + " was deleted and its id reused");
                }
                Files.move(tmp, stateFile(devId), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The state key naming a disk's instance: minted when the disk is created, kept across recoveries. */
    public static final String INSTANCE = "instance";

    /**
     * Serializes the state file's writers and removers across processes (a lock file per id,
     * never deleted, so every process locks the same inode): a remover compares the instance
     * and deletes with no new server's state written in between. The file holds the instance that
     * claimed the id last.
     */
    private static final class DeviceLock implements AutoCloseable {
        /** A JVM may not hold two locks on one file: one holder per JVM at a time, across the file lock. */
        private static final java.util.concurrent.locks.ReentrantLock IN_PROCESS = new java.util.concurrent.locks.ReentrantLock();
        private final FileChannel channel;
        private final FileLock lock;

        private DeviceLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        static DeviceLock take(int devId) throws IOException {
            ensure();
            IN_PROCESS.lock();
            // A channel refuses to lock on an interrupted thread (and closes): a teardown that
            // was interrupted must still write or remove its state. The flag is given back.
            boolean interrupted = Thread.interrupted();
            FileChannel ch = null;
            try {
                ch = FileChannel.open(dir.resolve(".ublk" + devId + ".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE);
                return new DeviceLock(ch, ch.lock());
            } catch (IOException | RuntimeException e) {
                try {
                    if (ch != null) ch.close();
                } finally {
                    IN_PROCESS.unlock();
                }
                throw e;
            } finally {
                if (interrupted) Thread.currentThread().interrupt();
            }
        }

        /** The instance that claimed the id last ({@link RunDir#claim}), or "" if none is recorded. */
        String owner() throws IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(128);
            int n = channel.read(b, 0);
            return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).trim();
        }

        /** Records {@code instance} as the id's owner (the lock file's content). */
        void own(String instance) throws IOException {
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.wrap((instance + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        }

        @Override
        public void close() throws IOException {
            try {
                try {
                    lock.release();
                } finally {
                    channel.close();
                }
            } finally {
                IN_PROCESS.unlock();
            }
        }
    }

    /** The state of device {@code devId}, or an empty map if there is none. */
    public static Map<String, String> readState(int devId) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(stateFile(devId), StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0) out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        } catch (IOException e) {
            // no state: the server is gone or never started
        }
        return out;
    }

    /**
     * Removes what device {@code devId}'s instance {@code instance} left here: a recoverable
     * disk's store file (its memory is freed once no process maps it), and — only if the state
     * file is that instance's — the state file and the control socket. Ids are reused: the
     * files of a newer disk with the same id stay ("" names a disk from before instances).
     */
    public static void removeDeviceFiles(int devId, String instance) {
        if (!instance.isEmpty()) StoreFiles.delete(StoreFiles.system().file(devId, instance));
        if (removeState(devId, instance)) {
            if (instance.isEmpty()) StoreFiles.delete(StoreFiles.system().file(devId, ""));
            try {
                Files.deleteIfExists(socketFile(devId));
            } catch (IOException ignored) {
                // a stale socket is replaced at the next start
            }
        }
    }

    /**
     * The kernel has just given id {@code devId} to a new disk (instance {@code instance}): no
     * other disk holds it, so every file named after it is a dead disk's leftover (a store whose
     * instance nobody recorded, a server killed before its first state, a timed-out 'ublk del').
     * Removed under the lock, before the new disk makes its own: a late clean-up of the old one
     * then finds no state of its instance and touches nothing of the new one.
     */
    public static void claim(int devId, String instance) {
        try (DeviceLock lock = DeviceLock.take(devId)) {
            lock.own(instance);
            Files.deleteIfExists(stateFile(devId));
            Files.deleteIfExists(socketFile(devId));
        } catch (IOException e) {
            Log.info("cannot remove the leftovers of an earlier device " + devId + ": " + e.getMessage());
        }
        StoreFiles.system().removeOthers(devId, instance);
    }

    /** Removes the state file if it is instance {@code instance}'s; true if it was there and removed. */
    public static boolean removeState(int devId, String instance) {
        try (DeviceLock ignored = DeviceLock.take(devId)) {
            Map<String, String> state = readState(devId);
            if (state.isEmpty() || !state.getOrDefault(INSTANCE, "").equals(instance)) return false;
            Files.deleteIfExists(stateFile(devId));
            return true;
        } catch (IOException e) {
            return false; // best effort: a stale file is ignored by readers that check the pid
        }
    }
}
