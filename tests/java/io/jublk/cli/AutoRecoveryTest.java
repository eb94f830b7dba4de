package io.jublk.cli;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The bound on automatic recovery ('ublk add --or-recover', what jublk@.service runs) stops
 * restart loops without deleting the disk: the refusal says where the data is and what the
 * admin can do.
 */
class AutoRecoveryTest {
    static Map<String, String> state(String recoveries) {
        Map<String, String> s = new HashMap<>();
        s.put("recoveries", recoveries);
        s.put("store_file", "/run/jublk/mem/ublk3");
        return s;
    }

    @Test
    void threeRecentRecoveriesRefuseAndSayWhereTheDataIsAndWhatToDo() {
        long now = 1_000_000;
        String why = AutoRecovery.refusal(3, state((now - 500) + "," + (now - 300) + "," + (now - 10)), now);
        assertNotNull(why);
        assertTrue(why.contains("died 4 times within 10 minutes"), why);
        assertTrue(why.contains("/run/jublk/mem/ublk3"), why);
        assertTrue(why.contains("'ublk recover -n 3'") && why.contains("'ublk del -n 3'"), why);
        assertFalse(why.contains("removed"), why);
    }

    @Test
    void twoRecentOrOldOnesDoNotRefuse() {
        long now = 1_000_000;
        assertNull(AutoRecovery.refusal(3, state((now - 300) + "," + (now - 10)), now));
        assertNull(AutoRecovery.refusal(3, state((now - 9000) + "," + (now - 700) + "," + (now - 10)), now),
                "recoveries older than the window do not count");
        assertNull(AutoRecovery.refusal(3, new HashMap<>(), now));
    }
}
