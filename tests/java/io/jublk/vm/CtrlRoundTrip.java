package io.jublk.vm;

import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Uapi;

/**
 * VM test helper (run by tests/vm/suite.sh, not by JUnit): ADD_DEV → GET_DEV_INFO →
 * DEL_DEV with no serving, checking what the kernel reports at each step. Exits 0 only
 * if the device came and went as expected.
 */
public final class CtrlRoundTrip {
    public static void main(String[] args) {
        try (Control c = Control.open()) {
            DevInfo added = c.addDev(DevInfo.request(DevInfo.ANY_ID, 1, 64, 1 << 20, 0));
            int id = added.devId();
            check(id >= 0, "kernel assigned id " + id);
            check((added.flags() & 0x40) != 0, "ADD_DEV returns CMD_IOCTL_ENCODE in flags: 0x" + Long.toHexString(added.flags()));
            DevInfo info = c.getDevInfo(id);
            check(info.devId() == id, "GET_DEV_INFO id " + info.devId());
            check(info.queueDepth() == 64 && info.nrHwQueues() == 1, "depth " + info.queueDepth() + ", queues " + info.nrHwQueues());
            check(info.state() == Uapi.S_DEV_DEAD, "state before START_DEV is DEAD: " + info.stateName());
            check(info.maxIoBufBytes() == 1 << 20, "max_io_buf_bytes " + info.maxIoBufBytes());
            check(new java.io.File("/dev/ublkc" + id).exists(), "/dev/ublkc" + id + " exists");
            c.delDev(id);
            check(!c.exists(id), "device " + id + " is gone after DEL_DEV");
            System.out.println("ctrl round trip OK (device " + id + ")");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAILED: " + what);
            System.exit(1);
        }
        System.out.println("ok: " + what);
    }
}
