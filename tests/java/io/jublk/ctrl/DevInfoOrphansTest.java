package io.jublk.ctrl;

import org.junit.jupiter.api.Test;

import java.util.List;

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
    void onlyDeadDevicesStampedWithThatPid() {
        List<DevInfo> devices = List.of(dev(0, Uapi.S_DEV_DEAD, 4242), dev(1, Uapi.S_DEV_LIVE, 4242),
                dev(2, Uapi.S_DEV_DEAD, 99), dev(3, Uapi.S_DEV_QUIESCED, 4242), dev(4, Uapi.S_DEV_DEAD, 4242));
        assertEquals(List.of(0, 4), DevInfo.orphansOf(4242, devices));
        assertEquals(List.of(), DevInfo.orphansOf(0, List.of(dev(5, Uapi.S_DEV_DEAD, 0))), "pid 0 (unstamped) is nobody's");
    }

    @Test
    void theRequestCarriesThisProcessAsServer() {
        DevInfo r = DevInfo.request(DevInfo.ANY_ID, 1, 128, 1 << 20, 0);
        assertEquals(ProcessHandle.current().pid(), r.serverPid());
    }
}
