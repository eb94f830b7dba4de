package io.jublk.nat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** io_uring works on the host (no ublk needed): rings are created and a NOP round-trips. */
class RingTest {
    @Test
    void nopRoundTripsItsUserData() {
        try (Ring ring = Ring.create(8, 0, 0); OffHeap out = new OffHeap(8)) {
            int res = Native.jublk_nop(ring.handle(), 0xfeedbeefL, out.address());
            assertEquals(0, res);
            assertEquals(0xfeedbeefL, out.buffer().getLong(0));
        }
    }

    @Test
    void sqe128RingForControlCommandsCanBeCreated() {
        try (Ring ring = Ring.create(32, Ring.SETUP_SQE128, 0)) {
            assertTrue(ring.fd() >= 0);
            assertEquals(0, Native.jublk_nop(ring.handle(), 7, 0));
        }
    }

    @Test
    void queueRingFlagsUsedByWorkersAreAcceptedByThisKernel() {
        int flags = Ring.SETUP_COOP_TASKRUN | Ring.SETUP_SINGLE_ISSUER | Ring.SETUP_DEFER_TASKRUN;
        try (Ring ring = Ring.create(128, flags, 256)) {
            assertEquals(0, Native.jublk_nop(ring.handle(), 1, 0));
        }
    }

    @Test
    void invalidRingSizeIsReportedAsEinval() {
        NativeException e = assertThrows(NativeException.class, () -> Ring.create(0, 0, 0));
        assertTrue(e.is(Errno.EINVAL), e.getMessage());
        assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
    }

    @Test
    void controlCommandOnNonSqe128RingIsRefusedWithoutTouchingTheKernel() {
        try (Ring ring = Ring.create(8, 0, 0); OffHeap cmd = new OffHeap(32)) {
            assertEquals(Errno.EINVAL.negative(), Native.jublk_ctrl_cmd(ring.handle(), -1, 0, cmd.address()));
        }
    }

    @Test
    void errnoNamesAreSymbolic() {
        assertEquals("EBUSY", Errno.name(-16));
        assertEquals("ENODEV (no such device)", Errno.describe(19));
        assertEquals("errno 200", Errno.name(200));
    }
}
