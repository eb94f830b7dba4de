package io.jublk.ctrl;

import java.nio.ByteBuffer;

import static io.jublk.ctrl.Uapi.*;

/**
 * struct ublk_params as 6.12 knows it (basic, discard, devt). {@code types} says which
 * parts are valid; devt is filled by the kernel on GET_PARAMS and never sent.
 */
public record Params(int types, Basic basic, Discard discard, Devt devt) {

    public record Basic(int attrs, int logicalBsShift, int physicalBsShift, int ioOptShift, int ioMinShift,
                        int maxSectors, int chunkSectors, long devSectors, long virtBoundaryMask) {}

    public record Discard(int alignment, int granularity, int maxDiscardSectors, int maxWriteZeroesSectors,
                          int maxDiscardSegments) {}

    public record Devt(int charMajor, int charMinor, int diskMajor, int diskMinor) {}

    public void encode(ByteBuffer b) {
        for (int i = 0; i < PARAMS_SIZE; i++) b.put(i, (byte) 0);
        b.putInt(P_LEN, PARAMS_SIZE);
        b.putInt(P_TYPES, types & ~PARAM_TYPE_DEVT);
        if (basic != null) {
            b.putInt(P_BASIC + B_ATTRS, basic.attrs);
            b.put(P_BASIC + B_LOGICAL_BS_SHIFT, (byte) basic.logicalBsShift);
            b.put(P_BASIC + B_PHYSICAL_BS_SHIFT, (byte) basic.physicalBsShift);
            b.put(P_BASIC + B_IO_OPT_SHIFT, (byte) basic.ioOptShift);
            b.put(P_BASIC + B_IO_MIN_SHIFT, (byte) basic.ioMinShift);
            b.putInt(P_BASIC + B_MAX_SECTORS, basic.maxSectors);
            b.putInt(P_BASIC + B_CHUNK_SECTORS, basic.chunkSectors);
            b.putLong(P_BASIC + B_DEV_SECTORS, basic.devSectors);
            b.putLong(P_BASIC + B_VIRT_BOUNDARY_MASK, basic.virtBoundaryMask);
        }
        if (discard != null) {
            b.putInt(P_DISCARD + D_ALIGNMENT, discard.alignment);
            b.putInt(P_DISCARD + D_GRANULARITY, discard.granularity);
            b.putInt(P_DISCARD + D_MAX_DISCARD_SECTORS, discard.maxDiscardSectors);
            b.putInt(P_DISCARD + D_MAX_WRITE_ZEROES_SECTORS, discard.maxWriteZeroesSectors);
            b.putShort(P_DISCARD + D_MAX_DISCARD_SEGMENTS, (short) discard.maxDiscardSegments);
        }
    }

    public static Params decode(ByteBuffer b) {
        int types = b.getInt(P_TYPES);
        Basic basic = (types & PARAM_TYPE_BASIC) == 0 ? null : new Basic(
                b.getInt(P_BASIC + B_ATTRS),
                b.get(P_BASIC + B_LOGICAL_BS_SHIFT),
                b.get(P_BASIC + B_PHYSICAL_BS_SHIFT),
                b.get(P_BASIC + B_IO_OPT_SHIFT),
                b.get(P_BASIC + B_IO_MIN_SHIFT),
                b.getInt(P_BASIC + B_MAX_SECTORS),
                b.getInt(P_BASIC + B_CHUNK_SECTORS),
                b.getLong(P_BASIC + B_DEV_SECTORS),
                b.getLong(P_BASIC + B_VIRT_BOUNDARY_MASK));
        Discard discard = (types & PARAM_TYPE_DISCARD) == 0 ? null : new Discard(
                b.getInt(P_DISCARD + D_ALIGNMENT),
                b.getInt(P_DISCARD + D_GRANULARITY),
                b.getInt(P_DISCARD + D_MAX_DISCARD_SECTORS),
                b.getInt(P_DISCARD + D_MAX_WRITE_ZEROES_SECTORS),
                Short.toUnsignedInt(b.getShort(P_DISCARD + D_MAX_DISCARD_SEGMENTS)));
        Devt devt = (types & PARAM_TYPE_DEVT) == 0 ? null : new Devt(
                b.getInt(P_DEVT + T_CHAR_MAJOR),
                b.getInt(P_DEVT + T_CHAR_MINOR),
                b.getInt(P_DEVT + T_DISK_MAJOR),
                b.getInt(P_DEVT + T_DISK_MINOR));
        return new Params(types, basic, discard, devt);
    }

    /** Capacity in bytes (dev_sectors are always 512-byte units). */
    public long sizeBytes() {
        return basic == null ? 0 : basic.devSectors * 512;
    }
}
