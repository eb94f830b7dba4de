package io.jublk.ctrl;

import io.jublk.JublkException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class KernelSupportTest {
    private static final long MASK_6_12 = 0x1fe;
    private static final long MASK_7_3 = 0x1fffff;

    @Test
    void theTestedKernelsAreUsable() {
        assertEquals(MASK_6_12, KernelSupport.requireUsable(MASK_6_12));
        assertEquals(MASK_7_3, KernelSupport.requireUsable(MASK_7_3));
    }

    @Test
    void aDriverWithoutIoctlEncodingIsRefusedWithTheFeatureAndTheKernelNamed() {
        long mask = MASK_6_12 & ~Feature.CMD_IOCTL_ENCODE.bit;
        JublkException e = assertThrows(JublkException.class, () -> KernelSupport.requireUsable(mask));
        assertEquals(JublkException.Reason.UNSUPPORTED, e.reason());
        assertEquals(9, e.reason().exitCode);
        assertTrue(e.getMessage().contains("UBLK_F_CMD_IOCTL_ENCODE"), e.getMessage());
        assertTrue(e.getMessage().contains("Linux 6.4 and newer"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void anOptionalFeatureIsRequiredOnlyByWhatNeedsIt() {
        KernelSupport.require(MASK_7_3, Feature.UPDATE_SIZE, "'ublk resize'");
        JublkException e = assertThrows(JublkException.class,
                () -> KernelSupport.require(MASK_6_12, Feature.UPDATE_SIZE, "'ublk resize'"));
        assertTrue(e.getMessage().contains("lacks UBLK_F_UPDATE_SIZE"), e.getMessage());
        assertTrue(e.getMessage().contains("'ublk resize' needs"), e.getMessage());
        assertTrue(e.getMessage().contains("6.16"), e.getMessage());
    }

    @Test
    void everyFeatureUpToBit20HasANameAndAKernel() {
        assertEquals(0, Feature.unknownBits(MASK_7_3), "7.3's mask has bits without a name");
        for (Feature f : Feature.values()) assertFalse(f.since.isEmpty(), f.name());
    }
}
