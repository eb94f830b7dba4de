package io.jublk.ctrl;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every ublk struct offset and opcode jublk uses, checked against the numbers in
 * shared/docs/ublk-uapi.md (written out here, not derived from Uapi, so a typo there fails).
 */
class UapiLayoutTest {
    private static ByteBuffer buf(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void controlOpcodesAreTheIoctlEncodedValues() {
        assertEquals(0x80207501, Uapi.ctrlOp(Uapi.CMD_GET_QUEUE_AFFINITY));
        assertEquals(0x80207502, Uapi.ctrlOp(Uapi.CMD_GET_DEV_INFO));
        assertEquals(0xC0207504, Uapi.ctrlOp(Uapi.CMD_ADD_DEV));
        assertEquals(0xC0207505, Uapi.ctrlOp(Uapi.CMD_DEL_DEV));
        assertEquals(0xC0207506, Uapi.ctrlOp(Uapi.CMD_START_DEV));
        assertEquals(0xC0207507, Uapi.ctrlOp(Uapi.CMD_STOP_DEV));
        assertEquals(0xC0207508, Uapi.ctrlOp(Uapi.CMD_SET_PARAMS));
        assertEquals(0x80207509, Uapi.ctrlOp(Uapi.CMD_GET_PARAMS));
        assertEquals(0xC0207510, Uapi.ctrlOp(Uapi.CMD_START_USER_RECOVERY));
        assertEquals(0xC0207511, Uapi.ctrlOp(Uapi.CMD_END_USER_RECOVERY));
        assertEquals(0x80207512, Uapi.ctrlOp(Uapi.CMD_GET_DEV_INFO2));
        assertEquals(0x80207513, Uapi.ctrlOp(Uapi.CMD_GET_FEATURES));
        assertEquals(0x80207514, Uapi.ctrlOp(Uapi.CMD_DEL_DEV_ASYNC));
    }

    @Test
    void ioOpcodesAreTheIoctlEncodedValues() {
        assertEquals(0xC0107520, Uapi.ioOp(Uapi.IO_FETCH_REQ));
        assertEquals(0xC0107521, Uapi.ioOp(Uapi.IO_COMMIT_AND_FETCH_REQ));
        assertEquals(0xC0107522, Uapi.ioOp(Uapi.IO_NEED_GET_DATA));
    }

    @Test
    void devInfoFieldsSitAtTheKernelOffsets() {
        ByteBuffer b = buf(64);
        new DevInfo(2, 128, 1, 1 << 20, 7, 4242, 0x42L, 0x99L, 1000, 1001).encode(b);
        assertEquals(64, Uapi.DEV_INFO_SIZE);
        assertEquals(2, b.getShort(0));
        assertEquals(128, b.getShort(2));
        assertEquals(1, b.getShort(4));
        assertEquals(1 << 20, b.getInt(8));
        assertEquals(7, b.getInt(12));
        assertEquals(4242, b.getInt(16));
        assertEquals(0x42L, b.getLong(24));
        assertEquals(0x99L, b.getLong(32));
        assertEquals(1000, b.getInt(40));
        assertEquals(1001, b.getInt(44));
        assertEquals(new DevInfo(2, 128, 1, 1 << 20, 7, 4242, 0x42L, 0x99L, 1000, 1001), DevInfo.decode(b));
    }

    @Test
    void devInfoDecodesUnsignedQueueFields() {
        ByteBuffer b = buf(64);
        b.putShort(0, (short) 4096);
        b.putShort(2, (short) 4096);
        DevInfo d = DevInfo.decode(b);
        assertEquals(4096, d.nrHwQueues());
        assertEquals(4096, d.queueDepth());
    }

    @Test
    void paramsBasicAndDiscardSitAtTheKernelOffsets() {
        ByteBuffer b = buf(112);
        Params p = new Params(Uapi.PARAM_TYPE_BASIC | Uapi.PARAM_TYPE_DISCARD,
                new Params.Basic(0x4, 12, 12, 12, 12, 2048, 0, 1L << 33, 0),
                new Params.Discard(0, 4096, 1 << 30, 1 << 29, 1), null);
        p.encode(b);
        assertEquals(112, b.getInt(0), "len");
        assertEquals(3, b.getInt(4), "types");
        assertEquals(0x4, b.getInt(8), "basic.attrs");
        assertEquals(12, b.get(12), "logical_bs_shift");
        assertEquals(12, b.get(13), "physical_bs_shift");
        assertEquals(12, b.get(14), "io_opt_shift");
        assertEquals(12, b.get(15), "io_min_shift");
        assertEquals(2048, b.getInt(16), "max_sectors");
        assertEquals(0, b.getInt(20), "chunk_sectors");
        assertEquals(1L << 33, b.getLong(24), "dev_sectors");
        assertEquals(0L, b.getLong(32), "virt_boundary_mask");
        assertEquals(0, b.getInt(40), "discard_alignment");
        assertEquals(4096, b.getInt(44), "discard_granularity");
        assertEquals(1 << 30, b.getInt(48), "max_discard_sectors");
        assertEquals(1 << 29, b.getInt(52), "max_write_zeroes_sectors");
        assertEquals(1, b.getShort(56), "max_discard_segments");
        Params back = Params.decode(b);
        assertEquals(p.basic(), back.basic());
        assertEquals(p.discard(), back.discard());
        assertEquals((1L << 33) * 512, back.sizeBytes());
    }

    @Test
    void devtIsNeverSentButIsDecoded() {
        ByteBuffer b = buf(112);
        new Params(Uapi.PARAM_TYPE_BASIC | Uapi.PARAM_TYPE_DEVT,
                new Params.Basic(0, 9, 12, 12, 9, 8, 0, 8, 0), null, null).encode(b);
        assertEquals(Uapi.PARAM_TYPE_BASIC, b.getInt(4), "DEVT is read-only: setting it is -EINVAL");
        b.putInt(4, Uapi.PARAM_TYPE_BASIC | Uapi.PARAM_TYPE_DEVT);
        b.putInt(60, 240);
        b.putInt(64, 3);
        b.putInt(68, 259);
        b.putInt(72, 5);
        assertEquals(new Params.Devt(240, 3, 259, 5), Params.decode(b).devt());
    }

    @Test
    void ioDescriptorAndCommandLayout() {
        assertEquals(24, Uapi.IOD_SIZE);
        assertEquals(0, Uapi.IOD_OP_FLAGS);
        assertEquals(4, Uapi.IOD_NR_SECTORS);
        assertEquals(8, Uapi.IOD_START_SECTOR);
        assertEquals(16, Uapi.IOD_ADDR);
        assertEquals(98304L, Uapi.IOD_QUEUE_STRIDE);
        assertEquals(32, Uapi.CTRL_CMD_SIZE);
        assertEquals(16, Uapi.IO_CMD_SIZE);
        assertEquals(0, Uapi.CTRL_CMD_DEV_ID);
        assertEquals(4, Uapi.CTRL_CMD_QUEUE_ID);
        assertEquals(6, Uapi.CTRL_CMD_LEN);
        assertEquals(8, Uapi.CTRL_CMD_ADDR);
        assertEquals(16, Uapi.CTRL_CMD_DATA0);
        assertEquals(24, Uapi.CTRL_CMD_DEV_PATH_LEN);
    }

    @Test
    void userCopyPositionEncoding() {
        assertEquals(0x80000000L, Uapi.userCopyPos(0, 0, 0));
        assertEquals(0x80000000L + (1L << 41) + (3L << 25) + 512, Uapi.userCopyPos(1, 3, 512));
    }

    @Test
    void featureNamesFor612Mask() {
        assertEquals(java.util.List.of(Feature.URING_CMD_COMP_IN_TASK, Feature.NEED_GET_DATA, Feature.USER_RECOVERY,
                Feature.USER_RECOVERY_REISSUE, Feature.UNPRIVILEGED_DEV, Feature.CMD_IOCTL_ENCODE, Feature.USER_COPY,
                Feature.ZONED), Feature.decode(0x1fe));
        assertEquals(0L, Feature.unknownBits(0x1fe));
        assertEquals(1L << 40, Feature.unknownBits((1L << 40) | 0x2));
    }

    @Test
    void everyBitOf73IsNamed() {
        // 7.3's GET_FEATURES: 0x1fffff, bits 0-20 (shared/docs/vm-testing.md)
        assertEquals(0L, Feature.unknownBits(0x1fffff));
        assertEquals(21, Feature.decode(0x1fffff).size());
        assertEquals(Feature.IO_DESC_SIZE, Feature.decode(0x100000).get(0));
        assertEquals(Feature.SAFE_STOP_DEV, Feature.decode(0x20000).get(0));
        assertEquals(Feature.BATCH_IO, Feature.decode(0x8000).get(0));
    }
}
