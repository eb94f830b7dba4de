package io.jublk.ctrl;

import java.nio.ByteBuffer;

import static io.jublk.ctrl.Uapi.*;

/** struct ublksrv_ctrl_dev_info: what a device is (64 bytes on the wire). */
public record DevInfo(int nrHwQueues, int queueDepth, int state, int maxIoBufBytes, int devId,
                      int serverPid, long flags, long serverFlags, int ownerUid, int ownerGid) {

    /** dev_id value asking the kernel to pick a free id. */
    public static final int ANY_ID = -1;

    /** What a server asks for in ADD_DEV; the kernel fills in the rest. */
    public static DevInfo request(int devId, int nrHwQueues, int queueDepth, int maxIoBufBytes, long flags) {
        return request(devId, nrHwQueues, queueDepth, maxIoBufBytes, flags, 0);
    }

    /**
     * ... with {@code startToken} in ublksrv_flags, which the kernel keeps and never reads: a
     * device whose server died before it could say which id it got is still known by its
     * starter (see {@link #orphansOf}). (Not the pid: 7.x reports a dead process's pid as -1.)
     */
    public static DevInfo request(int devId, int nrHwQueues, int queueDepth, int maxIoBufBytes, long flags,
                                  long startToken) {
        return new DevInfo(nrHwQueues, queueDepth, 0, maxIoBufBytes, devId, 0, flags, startToken, 0, 0);
    }

    /**
     * The devices a server that died during its start left behind: never started (DEAD) and
     * carrying its start's token. Never a live device, never another start's (0: no token).
     */
    public static java.util.List<Integer> orphansOf(long startToken, java.util.List<DevInfo> devices) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        if (startToken == 0) return out;
        for (DevInfo d : devices) {
            if (d.state() == S_DEV_DEAD && d.serverFlags() == startToken) out.add(d.devId());
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
