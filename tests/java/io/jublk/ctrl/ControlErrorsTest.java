package io.jublk.ctrl;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Kernel errors become one actionable line with the right exit reason. */
class ControlErrorsTest {
    @Test
    void missingControlDeviceTellsTheUserToLoadTheModule() {
        JublkException e = assertThrows(JublkException.class, () -> Control.open("/nonexistent/ublk-control"));
        assertEquals(Reason.NO_UBLK, e.reason());
        assertTrue(e.getMessage().contains("modprobe ublk_drv"), e.getMessage());
    }

    @Test
    void enodevNamesTheMissingDevice() {
        JublkException e = Control.failure("GET_DEV_INFO", -19, 42);
        assertEquals(Reason.NO_DEVICE, e.reason());
        assertEquals("no ublk device with id 42 (ENODEV)", e.getMessage());
    }

    @Test
    void eexistSaysTheIdIsTaken() {
        JublkException e = Control.failure("ADD_DEV", -17, 3);
        assertEquals(Reason.BUSY, e.reason());
        assertTrue(e.getMessage().contains("already in use (EEXIST)"), e.getMessage());
    }

    @Test
    void epermNeedsRoot() {
        JublkException e = Control.failure("ADD_DEV", -1, -1);
        assertEquals(Reason.PERMISSION, e.reason());
        assertTrue(e.getMessage().contains("EPERM") && e.getMessage().contains("root"), e.getMessage());
    }

    @Test
    void otherErrorsAreNamed() {
        JublkException e = Control.failure("SET_PARAMS", -22, 1);
        assertEquals(Reason.FAILED, e.reason());
        assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
    }
}
