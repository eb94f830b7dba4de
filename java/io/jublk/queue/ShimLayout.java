package io.jublk.queue;

/**
 * Byte layouts of the shim's exchange structs (native/jublk.h), checked against the
 * compiled C by ShimLayoutTest.
 */
public final class ShimLayout {
    private ShimLayout() {}

    /** struct jublk_io_cmd: one command Java asks the shim to submit. */
    static final int CMD_SIZE = 48;
    static final int CMD_COPY_DST = 0;
    static final int CMD_COPY_SRC = 8;
    static final int CMD_COPY_LEN = 16;
    static final int CMD_OP = 24;
    static final int CMD_TAG = 28;
    static final int CMD_COPY_KIND = 30;
    static final short COPY_MEM = 0;
    static final short COPY_TO_REQUEST = 1;
    static final short COPY_FROM_REQUEST = 2;
    /** FIXED mode: READ_FIXED from the store file (offset in copySrc) into the request. */
    static final short COPY_FILE_TO_REQUEST = 3;
    /** FIXED mode: WRITE_FIXED of the request to the store file (offset in copyDst). */
    static final short COPY_REQUEST_TO_FILE = 4;
    /** user_data bits 16-23 of the event of a fixed copy that failed (JUBLK_FIXED_COPY_OP). */
    static final int FIXED_COPY_OP = 0xfe;
    static final int CMD_RESULT = 32;
    static final int CMD_ADDR = 40;

    /** struct jublk_event: one CQE plus the tag's descriptor. */
    static final int EVENT_SIZE = 40;
    static final int EV_USER_DATA = 0;
    static final int EV_RES = 8;
    static final int EV_IOD = 16;

    /** struct jublk_bounds: the memory a queue's copies may touch. */
    static final int BOUNDS_SIZE = 32;
    static final int BOUNDS_STORE_BASE = 0;
    static final int BOUNDS_STORE_LEN = 8;
    static final int BOUNDS_BUF_BASE = 16;
    static final int BOUNDS_BUF_LEN = 24;

    static void putBounds(java.nio.ByteBuffer b, long storeBase, long storeLen, long bufBase, long bufLen) {
        b.putLong(BOUNDS_STORE_BASE, storeBase);
        b.putLong(BOUNDS_STORE_LEN, storeLen);
        b.putLong(BOUNDS_BUF_BASE, bufBase);
        b.putLong(BOUNDS_BUF_LEN, bufLen);
    }
}
