package io.jublk.queue;

/**
 * Byte layouts of the shim's exchange structs (native/jublk.h), checked against the
 * compiled C by ShimLayoutTest.
 */
final class ShimLayout {
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
    static final int CMD_RESULT = 32;
    static final int CMD_ADDR = 40;

    /** struct jublk_event: one CQE plus the tag's descriptor. */
    static final int EVENT_SIZE = 40;
    static final int EV_USER_DATA = 0;
    static final int EV_RES = 8;
    static final int EV_IOD = 16;
}
