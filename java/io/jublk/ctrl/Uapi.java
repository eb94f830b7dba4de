package io.jublk.ctrl;

/**
 * The ublk kernel interface as constants: opcodes, flags and every byte offset jublk
 * uses. Defined here, not taken from the build host's 6.1 header, and checked against
 * shared/docs/ublk-uapi.md by UapiLayoutTest.
 */
public final class Uapi {
    private Uapi() {}

    public static final String CONTROL_DEVICE = "/dev/ublk-control";
    public static final String CHAR_DEVICE_PREFIX = "/dev/ublkc";
    public static final String BLOCK_DEVICE_PREFIX = "/dev/ublkb";

    // ---- control command numbers (the nr byte) ----
    public static final int CMD_GET_QUEUE_AFFINITY = 0x01;
    public static final int CMD_GET_DEV_INFO = 0x02;
    public static final int CMD_ADD_DEV = 0x04;
    public static final int CMD_DEL_DEV = 0x05;
    public static final int CMD_START_DEV = 0x06;
    public static final int CMD_STOP_DEV = 0x07;
    public static final int CMD_SET_PARAMS = 0x08;
    public static final int CMD_GET_PARAMS = 0x09;
    public static final int CMD_START_USER_RECOVERY = 0x10;
    public static final int CMD_END_USER_RECOVERY = 0x11;
    public static final int CMD_GET_DEV_INFO2 = 0x12;
    public static final int CMD_GET_FEATURES = 0x13;
    public static final int CMD_DEL_DEV_ASYNC = 0x14;
    /** data[0]: the new size in 512-byte sectors (UBLK_F_UPDATE_SIZE). */
    public static final int CMD_UPDATE_SIZE = 0x15;
    public static final int CMD_QUIESCE_DEV = 0x16;
    /** STOP_DEV only if nobody has /dev/ublkbN open, else EBUSY (UBLK_F_SAFE_STOP_DEV). */
    public static final int CMD_TRY_STOP_DEV = 0x17;

    /** Highest command number that also exists as a legacy plain opcode. */
    public static final int LAST_LEGACY_CMD = 0x12;

    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;
    private static final int IOC_TYPE_UBLK = 'u';

    /** Linux _IOC encoding: dir << 30 | size << 16 | type << 8 | nr. */
    static int ioc(int dir, int nr, int size) {
        return (dir << 30) | (size << 16) | (IOC_TYPE_UBLK << 8) | nr;
    }

    /** The ioctl-encoded control opcode (UBLK_U_CMD_*) for command number {@code nr}. */
    public static int ctrlOp(int nr) {
        boolean readOnly = nr == CMD_GET_QUEUE_AFFINITY || nr == CMD_GET_DEV_INFO || nr == CMD_GET_PARAMS
                || nr == CMD_GET_DEV_INFO2 || nr == CMD_GET_FEATURES || nr == CMD_DEL_DEV_ASYNC;
        return ioc(readOnly ? IOC_READ : IOC_READ | IOC_WRITE, nr, CTRL_CMD_SIZE);
    }

    // ---- I/O commands ----
    public static final int IO_FETCH_REQ = 0x20;
    public static final int IO_COMMIT_AND_FETCH_REQ = 0x21;
    public static final int IO_NEED_GET_DATA = 0x22;
    /** UBLK_F_BATCH_IO commands (struct ublk_batch_io, 16 bytes like ublksrv_io_cmd). */
    public static final int IO_PREP_IO_CMDS = 0x25;
    public static final int IO_COMMIT_IO_CMDS = 0x26;
    public static final int IO_FETCH_IO_CMDS = 0x27;

    /** The ioctl-encoded I/O opcode (UBLK_U_IO_*) for command number {@code nr}. */
    public static int ioOp(int nr) {
        return ioc(IOC_READ | IOC_WRITE, nr, IO_CMD_SIZE);
    }

    // ---- struct ublksrv_ctrl_cmd (32 bytes, at SQE offset 48) ----
    public static final int CTRL_CMD_SIZE = 32;
    public static final int CTRL_CMD_DEV_ID = 0;
    public static final int CTRL_CMD_QUEUE_ID = 4;
    public static final int CTRL_CMD_LEN = 6;
    public static final int CTRL_CMD_ADDR = 8;
    public static final int CTRL_CMD_DATA0 = 16;
    public static final int CTRL_CMD_DEV_PATH_LEN = 24;

    // ---- struct ublksrv_io_cmd (16 bytes) ----
    public static final int IO_CMD_SIZE = 16;

    // ---- struct ublksrv_ctrl_dev_info (64 bytes) ----
    public static final int DEV_INFO_SIZE = 64;
    public static final int DI_NR_HW_QUEUES = 0;
    public static final int DI_QUEUE_DEPTH = 2;
    public static final int DI_STATE = 4;
    public static final int DI_MAX_IO_BUF_BYTES = 8;
    public static final int DI_DEV_ID = 12;
    public static final int DI_SRV_PID = 16;
    public static final int DI_FLAGS = 24;
    public static final int DI_SRV_FLAGS = 32;
    public static final int DI_OWNER_UID = 40;
    public static final int DI_OWNER_GID = 44;

    // ---- struct ublk_params (6.12 knows 112 bytes: header, basic, discard, devt, zoned) ----
    public static final int PARAMS_SIZE = 112;
    public static final int P_LEN = 0;
    public static final int P_TYPES = 4;
    public static final int P_BASIC = 8;
    public static final int P_DISCARD = 40;
    public static final int P_DEVT = 60;
    public static final int P_ZONED = 80;
    public static final int PARAM_TYPE_BASIC = 0x1;
    public static final int PARAM_TYPE_DISCARD = 0x2;
    public static final int PARAM_TYPE_DEVT = 0x4;
    // basic (relative to P_BASIC)
    public static final int B_ATTRS = 0;
    public static final int B_LOGICAL_BS_SHIFT = 4;
    public static final int B_PHYSICAL_BS_SHIFT = 5;
    public static final int B_IO_OPT_SHIFT = 6;
    public static final int B_IO_MIN_SHIFT = 7;
    public static final int B_MAX_SECTORS = 8;
    public static final int B_CHUNK_SECTORS = 12;
    public static final int B_DEV_SECTORS = 16;
    public static final int B_VIRT_BOUNDARY_MASK = 24;
    public static final int BASIC_SIZE = 32;
    // discard (relative to P_DISCARD)
    public static final int D_ALIGNMENT = 0;
    public static final int D_GRANULARITY = 4;
    public static final int D_MAX_DISCARD_SECTORS = 8;
    public static final int D_MAX_WRITE_ZEROES_SECTORS = 12;
    public static final int D_MAX_DISCARD_SEGMENTS = 16;
    public static final int DISCARD_SIZE = 20;
    // devt (relative to P_DEVT)
    public static final int T_CHAR_MAJOR = 0;
    public static final int T_CHAR_MINOR = 4;
    public static final int T_DISK_MAJOR = 8;
    public static final int T_DISK_MINOR = 12;
    public static final int DEVT_SIZE = 16;
    public static final int ZONED_SIZE = 32;

    public static final int ATTR_READ_ONLY = 0x1;
    public static final int ATTR_ROTATIONAL = 0x2;
    public static final int ATTR_VOLATILE_CACHE = 0x4;
    public static final int ATTR_FUA = 0x8;

    // ---- struct ublksrv_io_desc (24 bytes) ----
    public static final int IOD_SIZE = 24;
    public static final int IOD_OP_FLAGS = 0;
    public static final int IOD_NR_SECTORS = 4;
    public static final int IOD_START_SECTOR = 8;
    public static final int IOD_ADDR = 16;
    /** Per-queue stride of the descriptor mmap: round_up(4096 * 24, 4096). */
    public static final long IOD_QUEUE_STRIDE = 4096L * IOD_SIZE;
    public static final int MAX_QUEUE_DEPTH = 4096;
    public static final int MAX_NR_QUEUES = 4096;

    public static final int OP_READ = 0;
    public static final int OP_WRITE = 1;
    public static final int OP_FLUSH = 2;
    public static final int OP_DISCARD = 3;
    public static final int OP_WRITE_SAME = 4;
    public static final int OP_WRITE_ZEROES = 5;
    public static final int IO_F_FUA = 0x2000;
    public static final int IO_F_NOUNMAP = 0x8000;

    public static final int IO_RES_OK = 0;
    public static final int IO_RES_NEED_GET_DATA = 1;

    // ---- device states ----
    public static final int S_DEV_DEAD = 0;
    public static final int S_DEV_LIVE = 1;
    public static final int S_DEV_QUIESCED = 2;
    public static final int S_DEV_FAIL_IO = 3;

    public static String stateName(int state) {
        switch (state) {
            case S_DEV_DEAD: return "DEAD";
            case S_DEV_LIVE: return "LIVE";
            case S_DEV_QUIESCED: return "QUIESCED";
            case S_DEV_FAIL_IO: return "FAIL_IO";
            default: return "UNKNOWN(" + state + ")";
        }
    }

    // ---- USER_COPY position encoding ----
    public static final long IO_BUF_OFFSET = 0x80000000L;
    public static final int IO_BUF_BITS = 25;
    public static final int TAG_OFF = 25;
    public static final int QID_OFF = 41;

    public static long userCopyPos(int qid, int tag, long byteOffset) {
        return IO_BUF_OFFSET + ((long) qid << QID_OFF) + ((long) tag << TAG_OFF) + byteOffset;
    }

    // ---- block device ioctls (<linux/fs.h>) ----
    public static final long BLKFLSBUF = 0x1261;
    public static final long BLKGETSIZE64 = 0x80081272L;
    public static final long BLKSSZGET = 0x1268;
}
