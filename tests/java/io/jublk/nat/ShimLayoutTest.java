package io.jublk.nat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The shim's exchange structs have the sizes the Java side assumes (see native/jublk.h). */
class ShimLayoutTest {
    @Test
    void structSizesMatchTheCompiledShim() {
        Native.ensureLoaded();
        assertEquals(48, Native.jublk_sizeof(0), "struct jublk_io_cmd");
        assertEquals(40, Native.jublk_sizeof(1), "struct jublk_event");
        assertEquals(64, Native.jublk_sizeof(2), "struct io_uring_sqe");
        assertEquals(16, Native.jublk_sizeof(3), "struct io_uring_cqe");
        assertEquals(io.jublk.queue.ShimLayoutAccess.cmdSize(), Native.jublk_sizeof(0));
        assertEquals(io.jublk.queue.ShimLayoutAccess.eventSize(), Native.jublk_sizeof(1));
    }
}
