package io.jublk.ctrl;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A server killed between ADD_DEV and announcing its device's id: the device is found by the
 * pid the server stamped into it — only never-started devices of that very server.
 */
class DevInfoOrphansTest {
    static DevInfo dev(int id, int state, int pid) {
        return new DevInfo(1, 128, state, 1 << 20, id, pid, 0, 0, 0, 0);
    }

    @Test
    void onlyNewDeadDevicesStampedWithThatPidOrWithAHiddenOne() {
        List<DevInfo> devices = List.of(dev(0, Uapi.S_DEV_DEAD, 4242), dev(1, Uapi.S_DEV_LIVE, 4242),
                dev(2, Uapi.S_DEV_DEAD, 99), dev(3, Uapi.S_DEV_QUIESCED, 4242), dev(4, Uapi.S_DEV_DEAD, 4242),
                dev(5, Uapi.S_DEV_DEAD, -1), dev(6, Uapi.S_DEV_DEAD, 0), dev(7, Uapi.S_DEV_DEAD, 4242));
        // 7 existed before the server started; 5: a 7.x kernel hides a dead process's pid (-1);
        // 2: another, live server's; 6: unstamped (pid 0, another tool on 6.12).
        assertEquals(List.of(0, 4, 5), DevInfo.orphansOf(4242, Set.of(7), devices));
        assertEquals(List.of(), DevInfo.orphansOf(0, Set.of(), List.of(dev(5, Uapi.S_DEV_DEAD, 0))), "no child pid, no orphan");
    }

    @Test
    void theRequestCarriesThisProcessAsServer() {
        DevInfo r = DevInfo.request(DevInfo.ANY_ID, 1, 128, 1 << 20, 0);
        assertEquals(ProcessHandle.current().pid(), r.serverPid());
    }
}
