package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.DeviceIds;
import io.jublk.ctrl.Params;
import io.jublk.ctrl.Uapi;
import io.jublk.daemon.RunDir;
import io.jublk.daemon.StoreFiles;
import io.jublk.store.MappingRss;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One device as `ublk list` shows it: the kernel's view plus what its server reports. */
record DeviceStatus(DevInfo info, long sizeBytes, long memoryBytes, long maxMemory, boolean blockDeviceExists,
                    String copyMode, String failure, String type, String storeFile) {

    static List<DeviceStatus> all(Control control) {
        List<DeviceStatus> out = new ArrayList<>();
        for (int id : DeviceIds.list()) {
            try {
                out.add(of(control, id));
            } catch (JublkException e) {
                if (e.reason() != JublkException.Reason.NO_DEVICE) throw e;
                // deleted between the scan and the query
            }
        }
        return out;
    }

    static DeviceStatus of(Control control, int id) {
        DevInfo info = control.getDevInfo(id);
        Params params = control.getParams(id);
        Map<String, String> state = RunDir.readState(id);
        String limit = state.getOrDefault("max_memory", "0");
        long maxMemory;
        try {
            maxMemory = Long.parseLong(limit);
        } catch (NumberFormatException e) {
            maxMemory = 0;
        }
        String storeFile = state.get("store_file");
        return new DeviceStatus(info, params.sizeBytes(),
                storeFile != null ? StoreFiles.allocatedBytes(Path.of(storeFile)) : memoryOf(info, state), maxMemory,
                Files.exists(Path.of(info.blockDevice())), state.get("copy_mode"), state.get("failed"),
                state.get("type"), storeFile);
    }

    /** True if the device waits for a new server ('ublk recover'): its server died, its data is kept. */
    boolean recoverable() {
        return storeFile != null && info.state() == Uapi.S_DEV_QUIESCED;
    }

    /** Memory a server's private store holds, or -1 when there is no live server to measure. */
    private static long memoryOf(DevInfo info, Map<String, String> state) {
        String pid = state.get("pid");
        String store = state.get("store");
        if (pid == null || store == null || info.serverPid() <= 0 || !pid.equals(Integer.toString(info.serverPid()))) {
            return -1;
        }
        try {
            return MappingRss.of(pid, Long.parseUnsignedLong(store, 16));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The server pid, or -1 once the server is gone (6.12 keeps a dead server's pid while QUIESCED). */
    int serverPid() {
        return info.serverPid() > 0 && info.state() != Uapi.S_DEV_QUIESCED ? info.serverPid() : -1;
    }
}
