package io.jublk.nat;

import io.jublk.queue.ShimLayoutAccess;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The shim's exchange structs have the sizes and field offsets the Java side writes (see native/jublk.h). */
class ShimLayoutTest {
    @Test
    void structSizesMatchTheCompiledShim() {
        Native.ensureLoaded();
        assertEquals(64, Native.jublk_sizeof(2), "struct io_uring_sqe");
        assertEquals(16, Native.jublk_sizeof(3), "struct io_uring_cqe");
        assertEquals(ShimLayoutAccess.cmdSize(), Native.jublk_sizeof(0), "struct jublk_io_cmd");
        assertEquals(ShimLayoutAccess.eventSize(), Native.jublk_sizeof(1), "struct jublk_event");
        assertEquals(ShimLayoutAccess.boundsSize(), Native.jublk_sizeof(4), "struct jublk_bounds");
    }

    @Test
    void everyFieldSitsWhereJavaPutsIt() {
        int[] cmd = ShimLayoutAccess.cmdOffsets(); // copy_dst, copy_src, copy_len, cmd_op, tag, copy_kind, result, addr
        int[] shimFields = {0, 1, 2, 3, 4, 5, 6, 8};
        String[] names = {"copy_dst", "copy_src", "copy_len", "cmd_op", "tag", "copy_kind", "result", "addr"};
        for (int i = 0; i < cmd.length; i++) {
            assertEquals(Native.jublk_offsetof(shimFields[i]), cmd[i], "jublk_io_cmd." + names[i]);
        }
        int[] ev = ShimLayoutAccess.eventOffsets(); // user_data, res, iod
        assertEquals(Native.jublk_offsetof(100), ev[0], "jublk_event.user_data");
        assertEquals(Native.jublk_offsetof(101), ev[1], "jublk_event.res");
        assertEquals(Native.jublk_offsetof(103), ev[2], "jublk_event.iod");
        int[] b = ShimLayoutAccess.boundsOffsets();
        for (int i = 0; i < 4; i++) assertEquals(Native.jublk_offsetof(200 + i), b[i], "jublk_bounds field " + i);
    }
}
