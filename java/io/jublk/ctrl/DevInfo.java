package io.jublk.ctrl;

import java.nio.ByteBuffer;

import static io.jublk.ctrl.Uapi.*;

/** struct ublksrv_ctrl_dev_info: what a device is (64 bytes on the wire). */
public record DevInfo(int nrHwQueues, int queueDepth, int state, int maxIoBufBytes, int devId,
                      int serverPid, long flags, long serverFlags, int ownerUid, int ownerGid) {

    /** dev_id value asking the kernel to pick a free id. */
    public static final int ANY_ID = -1;

    /**
     * What a server asks for in ADD_DEV; the kernel fills in the rest. The server's pid goes in
     * too: the kernel keeps it until START_DEV, so a device whose server died before it could
     * say which id it got is still known as that server's (see {@link #orphansOf}).
     */
    public static DevInfo request(int devId, int nrHwQueues, int queueDepth, int maxIoBufBytes, long flags) {
        return new DevInfo(nrHwQueues, queueDepth, 0, maxIoBufBytes, devId, (int) ProcessHandle.current().pid(),
                flags, 0, 0, 0);
    }

    /**
     * The devices a server that died during its start left behind: added since its start
     * ({@code existedBefore} are the ids there were then), never started (DEAD), and stamped
     * with its pid at ADD_DEV — or with no readable pid: 7.x kernels report a dead stamping
     * process's pid as -1 (6.12 reports the number). Never a live device, never one that was
     * there before, never one stamped by a live server. (Left: a device another tool added in
     * those same seconds without a pid, still unstarted.)
     */
    public static java.util.List<Integer> orphansOf(long serverPid, java.util.Collection<Integer> existedBefore,
                                                    java.util.List<DevInfo> devices) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        if (serverPid <= 0) return out;
        for (DevInfo d : devices) {
            boolean ours = d.serverPid() == serverPid || d.serverPid() < 0;
            if (d.state() == S_DEV_DEAD && ours && !existedBefore.contains(d.devId())) out.add(d.devId());
        }
        return out;
    }

    public void encode(ByteBuffer b) {
        for (int i = 0; i < DEV_INFO_SIZE; i++) b.put(i, (byte) 0);
        b.putShort(DI_NR_HW_QUEUES, (short) nrHwQueues);
        b.putShort(DI_QUEUE_DEPTH, (short) queueDepth);
        b.putShort(DI_STATE, (short) state);
        b.putInt(DI_MAX_IO_BUF_BYTES, maxIoBufBytes);
        b.putInt(DI_DEV_ID, devId);
        b.putInt(DI_SRV_PID, serverPid);
        b.putLong(DI_FLAGS, flags);
        b.putLong(DI_SRV_FLAGS, serverFlags);
        b.putInt(DI_OWNER_UID, ownerUid);
        b.putInt(DI_OWNER_GID, ownerGid);
    }

    public static DevInfo decode(ByteBuffer b) {
        return new DevInfo(
                Short.toUnsignedInt(b.getShort(DI_NR_HW_QUEUES)),
                Short.toUnsignedInt(b.getShort(DI_QUEUE_DEPTH)),
                Short.toUnsignedInt(b.getShort(DI_STATE)),
                b.getInt(DI_MAX_IO_BUF_BYTES),
                b.getInt(DI_DEV_ID),
                b.getInt(DI_SRV_PID),
                b.getLong(DI_FLAGS),
                b.getLong(DI_SRV_FLAGS),
                b.getInt(DI_OWNER_UID),
                b.getInt(DI_OWNER_GID));
    }

    public String stateName() {
        return Uapi.stateName(state);
    }

    public String blockDevice() {
        return BLOCK_DEVICE_PREFIX + devId;
    }

    public String charDevice() {
        return CHAR_DEVICE_PREFIX + devId;
    }
}
