package io.jublk.ctrl;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A server killed between ADD_DEV and announcing its device's id: its starter finds the
 * device by the token the server put into the request — only never-started devices of that
 * very start.
 */
class DevInfoOrphansTest {
    static final long TOKEN = 0x9e3779b97f4a7c15L;

    static DevInfo dev(int id, int state, long token) {
        return new DevInfo(1, 128, state, 1 << 20, id, -1, 0, token, 0, 0);
    }

    @Test
    void onlyNeverStartedDevicesCarryingThisStartsToken() {
        List<DevInfo> devices = List.of(dev(0, Uapi.S_DEV_DEAD, TOKEN), dev(1, Uapi.S_DEV_LIVE, TOKEN),
                dev(2, Uapi.S_DEV_DEAD, 42), dev(3, Uapi.S_DEV_QUIESCED, TOKEN), dev(4, Uapi.S_DEV_DEAD, 0));
        // 1, 3: started (LIVE, QUIESCED: a recoverable disk's data); 2: another start's; 4: no token (another tool).
        assertEquals(List.of(0), DevInfo.orphansOf(TOKEN, devices));
        assertEquals(List.of(), DevInfo.orphansOf(0, List.of(dev(5, Uapi.S_DEV_DEAD, 0))), "no token, no orphan");
    }

    @Test
    void theTokenTravelsInUblksrvFlags() {
        DevInfo r = DevInfo.request(DevInfo.ANY_ID, 1, 128, 1 << 20, 0, TOKEN);
        ByteBuffer b = ByteBuffer.allocate(Uapi.DEV_INFO_SIZE).order(ByteOrder.nativeOrder());
        r.encode(b);
        assertEquals(TOKEN, b.getLong(Uapi.DI_SRV_FLAGS));
        assertEquals(TOKEN, DevInfo.decode(b).serverFlags());
    }
}
