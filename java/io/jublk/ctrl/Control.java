package io.jublk.ctrl;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import io.jublk.nat.NativeException;
import io.jublk.nat.OffHeap;
import io.jublk.nat.Ring;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.jublk.ctrl.Uapi.*;

/**
 * /dev/ublk-control as typed Java: one SQE128 ring, one command at a time. Kernel
 * errors become {@link JublkException}s that name the errno and what to do about it.
 *
 * <p>Opcodes are ioctl-encoded (UBLK_U_CMD_*); if the kernel rejects that form with
 * EOPNOTSUPP (6.0–6.3) the legacy plain number is used from then on.
 */
public final class Control implements AutoCloseable {
    private static final Path IO_URING_DISABLED = Path.of("/proc/sys/kernel/io_uring_disabled");

    private final int fd;
    private final Ring ring;
    private final OffHeap cmd = new OffHeap(CTRL_CMD_SIZE);
    private final OffHeap data = new OffHeap(4096);
    private boolean legacyOpcodes;
    /** Set by {@link #close}; every command checks it, under the same lock, before using the ring. */
    private boolean closed;

    private Control(int fd, Ring ring) {
        this.fd = fd;
        this.ring = ring;
    }

    /** Opens the control device; fails with the reason a user can fix (module, root, io_uring). */
    public static Control open() {
        return open(CONTROL_DEVICE);
    }

    static Control open(String path) {
        Native.ensureLoaded();
        int fd = Native.jublk_open(path, Native.O_RDWR);
        if (fd < 0) {
            if (fd == Errno.ENOENT.negative() || fd == Errno.ENODEV.negative() || fd == Errno.ENXIO.negative()) {
                throw new JublkException(Reason.NO_UBLK, path + " does not exist: the ublk driver is not loaded; "
                        + "run 'modprobe ublk_drv' (the kernel needs CONFIG_BLK_DEV_UBLK)");
            }
            if (fd == Errno.EACCES.negative() || fd == Errno.EPERM.negative()) {
                throw new JublkException(Reason.PERMISSION, "cannot open " + path + ": " + Errno.describe(fd)
                        + "; ublk devices need root (CAP_SYS_ADMIN)");
            }
            throw new JublkException(Reason.FAILED, "cannot open " + path + ": " + Errno.describe(fd));
        }
        try {
            return new Control(fd, createRing());
        } catch (RuntimeException e) {
            Native.jublk_close(fd);
            throw e;
        }
    }

    /** The SQE128 ring control commands need; explains io_uring being switched off. */
    static Ring createRing() {
        try {
            return Ring.create(32, Ring.SETUP_SQE128, 0);
        } catch (NativeException e) {
            throw ioUringFailure(e);
        }
    }

    /** Maps an io_uring_setup failure to the cause a user can fix. */
    public static JublkException ioUringFailure(NativeException e) {
        String sysctl = readSysctl();
        if ((e.is(Errno.EPERM) || e.is(Errno.EACCES)) && sysctl != null && !sysctl.equals("0")) {
            return new JublkException(Reason.NO_IO_URING, "io_uring is disabled by the sysctl kernel.io_uring_disabled="
                    + sysctl + "; set it to 0 ('sysctl -w kernel.io_uring_disabled=0') to use ublk", e);
        }
        if (e.is(Errno.ENOSYS)) {
            return new JublkException(Reason.NO_IO_URING, "this kernel has no io_uring (ENOSYS); ublk needs it", e);
        }
        return new JublkException(Reason.NO_IO_URING, "cannot create an io_uring: " + Errno.describe(e.errno()), e);
    }

    private static String readSysctl() {
        try {
            return Files.readString(IO_URING_DISABLED).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- commands

    /** GET_FEATURES: the driver's feature mask (6.5+). */
    public synchronized long getFeatures() {
        int res = run(CMD_GET_FEATURES, -1, 0, data.address(), 8);
        if (res < 0) throw failure("GET_FEATURES", res, -1);
        return data.buffer().getLong(0);
    }

    /** ADD_DEV: creates /dev/ublkcN and returns what the kernel accepted (id, flags, clamped queues). */
    public synchronized DevInfo addDev(DevInfo request) {
        request.encode(data.buffer());
        int res = run(CMD_ADD_DEV, request.devId(), 0, data.address(), DEV_INFO_SIZE);
        if (res < 0) throw failure("ADD_DEV", res, request.devId());
        return DevInfo.decode(data.buffer());
    }

    public synchronized DevInfo getDevInfo(int devId) {
        int res = run(CMD_GET_DEV_INFO, devId, 0, data.address(), DEV_INFO_SIZE);
        if (res < 0) throw failure("GET_DEV_INFO", res, devId);
        return DevInfo.decode(data.buffer());
    }

    public synchronized void setParams(int devId, Params params) {
        params.encode(data.buffer());
        int res = run(CMD_SET_PARAMS, devId, 0, data.address(), PARAMS_SIZE);
        if (res < 0) throw failure("SET_PARAMS", res, devId);
    }

    public synchronized Params getParams(int devId) {
        ByteBuffer b = data.buffer();
        for (int i = 0; i < PARAMS_SIZE; i++) b.put(i, (byte) 0);
        b.putInt(P_LEN, PARAMS_SIZE);
        int res = run(CMD_GET_PARAMS, devId, 0, data.address(), PARAMS_SIZE);
        if (res < 0) throw failure("GET_PARAMS", res, devId);
        return Params.decode(b);
    }

    /** START_DEV: blocks until every tag is fetched and /dev/ublkbN exists. */
    public synchronized void startDev(int devId, int serverPid) {
        int res = run(CMD_START_DEV, devId, serverPid, 0, 0);
        if (res < 0) throw failure("START_DEV", res, devId);
    }

    /**
     * START_USER_RECOVERY: readies a device whose server died (state QUIESCED) for a new
     * server. False (nothing done) on EBUSY: the old server's /dev/ublkcN is not released
     * yet or the kernel has not finished quiescing the disk — ask again shortly.
     */
    public synchronized boolean startUserRecovery(int devId) {
        int res = run(CMD_START_USER_RECOVERY, devId, 0, 0, 0);
        if (res == Errno.EBUSY.negative()) return false;
        if (res == Errno.EINVAL.negative()) {
            throw new JublkException(Reason.FAILED, "START_USER_RECOVERY on device " + devId + " failed: "
                    + Errno.describe(res) + "; the kernel refuses recovery for a device created without "
                    + "UBLK_F_USER_RECOVERY or one that never served");
        }
        return doneUnlessBusy(res, "START_USER_RECOVERY", devId);
    }

    /**
     * QUIESCE_DEV (UBLK_F_QUIESCE, 6.16+): stops sending requests to this server (they wait in
     * the kernel), waits up to {@code timeoutMs} for every queue to have an idle command, then
     * ends the server's waiting commands (UBLK_IO_RES_ABORT). Once the server has closed
     * /dev/ublkcN the disk is QUIESCED, ready for a new server. False on EBUSY (timeout).
     */
    public synchronized boolean quiesceDev(int devId, long timeoutMs) {
        return doneUnlessBusy(run(CMD_QUIESCE_DEV, devId, timeoutMs, 0, 0), "QUIESCE_DEV", devId);
    }

    /** END_USER_RECOVERY: blocks until the new server fetched every tag, then the disk is live again. */
    public synchronized void endUserRecovery(int devId, int serverPid) {
        int res = run(CMD_END_USER_RECOVERY, devId, serverPid, 0, 0);
        if (res < 0) throw failure("END_USER_RECOVERY", res, devId);
    }

    /** STOP_DEV: removes /dev/ublkbN and aborts the armed I/O commands. Idempotent. */
    public synchronized void stopDev(int devId) {
        int res = run(CMD_STOP_DEV, devId, 0, 0, 0);
        if (res < 0) throw failure("STOP_DEV", res, devId);
    }

    /**
     * TRY_STOP_DEV (UBLK_F_SAFE_STOP_DEV): STOP_DEV only if nobody has /dev/ublkbN open — a
     * mounted filesystem counts — checked and done under the disk's open lock, so nobody can
     * open it in between. False (nothing done) if it is open.
     */
    public synchronized boolean tryStopDev(int devId) {
        return doneUnlessBusy(run(CMD_TRY_STOP_DEV, devId, 0, 0, 0), "TRY_STOP_DEV", devId);
    }

    /** For the commands whose EBUSY means "not now, nothing done": false then, true if done, else the error. */
    private static boolean doneUnlessBusy(int res, String command, int devId) {
        if (res == Errno.EBUSY.negative()) return false;
        if (res < 0) throw failure(command, res, devId);
        return true;
    }

    /** UPDATE_SIZE (UBLK_F_UPDATE_SIZE): sets the disk's capacity to {@code sectors} and tells udev. */
    public synchronized void updateSize(int devId, long sectors) {
        int res = run(CMD_UPDATE_SIZE, devId, sectors, 0, 0);
        if (res < 0) throw failure("UPDATE_SIZE", res, devId);
    }

    /** DEL_DEV: waits until every reference to the device is gone, then frees the id. */
    public synchronized void delDev(int devId) {
        int res = run(CMD_DEL_DEV, devId, 0, 0, 0);
        if (res < 0) throw failure("DEL_DEV", res, devId);
    }

    /**
     * DEL_DEV_ASYNC (6.9+): deletes without waiting for other holders of /dev/ublkbN to
     * close it, so a server never hangs on exit; falls back to DEL_DEV on older kernels.
     */
    public synchronized void delDevAsync(int devId) {
        int res = submit(CMD_DEL_DEV_ASYNC, ctrlOp(CMD_DEL_DEV_ASYNC), devId, 0, 0, 0);
        if (res == Errno.EOPNOTSUPP.negative()) {
            res = run(CMD_DEL_DEV, devId, 0, 0, 0);
        }
        if (res < 0) throw failure("DEL_DEV", res, devId);
    }

    /** True if a device with this id exists (in any state). */
    public synchronized boolean exists(int devId) {
        int res = run(CMD_GET_DEV_INFO, devId, 0, data.address(), DEV_INFO_SIZE);
        if (res == Errno.ENODEV.negative()) return false;
        if (res < 0) throw failure("GET_DEV_INFO", res, devId);
        return true;
    }

    /** GET_QUEUE_AFFINITY: the CPU mask of hardware queue {@code qid}, as 16 longs (1024 CPUs). */
    public synchronized long[] getQueueAffinity(int devId, int qid) {
        int len = 128;
        for (int i = 0; i < len; i++) data.buffer().put(i, (byte) 0);
        int res = run(CMD_GET_QUEUE_AFFINITY, devId, qid, data.address(), len);
        if (res < 0) throw failure("GET_QUEUE_AFFINITY", res, devId);
        long[] mask = new long[len / 8];
        for (int i = 0; i < mask.length; i++) mask[i] = data.buffer().getLong(i * 8);
        return mask;
    }

    /** One command; falls back to the legacy opcode once if the ioctl form is refused. */
    private int run(int nr, int devId, long data0, long addr, int len) {
        int res = submit(nr, legacyOpcodes ? nr : ctrlOp(nr), devId, data0, addr, len);
        if (res == Errno.EOPNOTSUPP.negative() && !legacyOpcodes && nr <= LAST_LEGACY_CMD) {
            int legacy = submit(nr, nr, devId, data0, addr, len);
            if (legacy != Errno.EOPNOTSUPP.negative()) {
                legacyOpcodes = true;
                return legacy;
            }
        }
        return res;
    }

    private int submit(int nr, int op, int devId, long data0, long addr, int len) {
        if (closed) throw new JublkException(Reason.FAILED, "the ublk control device is closed");
        ByteBuffer c = cmd.buffer();
        for (int i = 0; i < CTRL_CMD_SIZE; i++) c.put(i, (byte) 0);
        c.putInt(CTRL_CMD_DEV_ID, devId);
        c.putShort(CTRL_CMD_QUEUE_ID, (short) -1);
        c.putShort(CTRL_CMD_LEN, (short) len);
        c.putLong(CTRL_CMD_ADDR, addr);
        c.putLong(CTRL_CMD_DATA0, data0);
        return Native.jublk_ctrl_cmd(ring.handle(), fd, op, cmd.address());
    }

    /** A kernel error on a control command, named and explained. */
    static JublkException failure(String command, int res, int devId) {
        String dev = devId >= 0 ? "device " + devId : "device";
        Errno e = Errno.of(res);
        String base = command + " on " + dev + " failed: " + Errno.describe(res);
        if (e == Errno.ENODEV) {
            return new JublkException(Reason.NO_DEVICE, devId >= 0 ? "no ublk device with id " + devId + " (ENODEV)"
                    : base);
        }
        if (e == Errno.EEXIST) {
            return new JublkException(Reason.BUSY, devId >= 0 ? "ublk device id " + devId
                    + " is already in use (EEXIST); pick another id or delete it with 'ublk del -n " + devId + "'" : base);
        }
        if (e == Errno.EPERM || e == Errno.EACCES) {
            return new JublkException(Reason.PERMISSION, base + "; ublk devices need root (CAP_SYS_ADMIN)");
        }
        if (e == Errno.EBUSY) {
            return new JublkException(Reason.BUSY, base + "; the device is in use");
        }
        if (e == Errno.EOPNOTSUPP) {
            return new JublkException(Reason.FAILED, base + "; this kernel's ublk driver does not support "
                    + command + " (needs a newer kernel)");
        }
        return new JublkException(Reason.FAILED, base);
    }

    /**
     * Frees the ring and buffers. Synchronized like every command, so it never frees the
     * ring under a command another thread is running; commands after it fail cleanly.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        ring.close();
        Native.jublk_close(fd);
        cmd.close();
        data.close();
    }
}
