package io.jublk.cli;

import io.jublk.Json;
import io.jublk.ctrl.Control;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        aliases = "ls", description = {
    "List ublk devices.",
    "Shows id, state, queues, depth, size, server pid, memory in use and device",
    "paths; just the header when there are none. A device whose server failed is",
    "listed with the reason on a line of its own. A --recoverable disk whose server",
    "died is QUIESCED: its I/O waits and its data is kept until 'ublk recover' or",
    "'ublk del'; MEMORY is what its store file holds."})
final class ListCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        List<DeviceStatus> devices;
        try (Control control = Control.open()) {
            devices = DeviceStatus.all(control);
        }
        System.out.print(json ? toJson(devices) : toTable(devices));
        System.out.flush();
        return 0;
    }

    static String toTable(List<DeviceStatus> devices) {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-4s %-8s %6s %6s %10s %8s %10s %10s  %-14s %s%n";
        sb.append(String.format(fmt, "ID", "STATE", "QUEUES", "DEPTH", "SIZE", "PID", "MEMORY", "LIMIT", "BLOCK", "CHAR"));
        for (DeviceStatus d : devices) {
            sb.append(String.format(fmt, d.info().devId(), d.info().stateName(), d.info().nrHwQueues(),
                    d.info().queueDepth(), Sizes.human(d.sizeBytes()),
                    d.serverPid() > 0 ? Integer.toString(d.serverPid()) : "-",
                    d.memoryBytes() >= 0 ? Sizes.human(d.memoryBytes()) : "-",
                    d.maxMemory() > 0 ? Sizes.human(d.maxMemory()) : "-",
                    d.blockDeviceExists() ? d.info().blockDevice() : "-", d.info().charDevice()));
        }
        for (DeviceStatus d : devices) {
            if (d.recoverable()) {
                sb.append("device ").append(d.info().devId()).append(": its server is gone; the kernel holds its I/O and ")
                        .append(d.storeFile()).append(" its data (recover it with 'ublk recover -n ")
                        .append(d.info().devId()).append("', or free it with 'ublk del -n ").append(d.info().devId())
                        .append("')\n");
            } else if (d.failure() != null) {
                sb.append("device ").append(d.info().devId()).append(" failed: ").append(d.failure())
                        .append(" (remove it with 'ublk del -n ").append(d.info().devId()).append("')\n");
            }
        }
        return sb.toString();
    }

    static String toJson(List<DeviceStatus> devices) {
        Json.Writer w = new Json.Writer();
        w.beginArray();
        for (DeviceStatus d : devices) {
            w.beginObject()
                    .field("id", d.info().devId())
                    .field("state", d.info().stateName())
                    .field("type", d.type())
                    .field("queues", d.info().nrHwQueues())
                    .field("depth", d.info().queueDepth())
                    .field("size_bytes", d.sizeBytes())
                    .field("server_pid", d.serverPid())
                    .field("memory_bytes", d.memoryBytes())
                    .field("max_memory_bytes", d.maxMemory())
                    .field("copy_mode", d.copyMode())
                    .field("recoverable", d.storeFile() != null)
                    .field("store_file", d.storeFile())
                    .field("batch_io", io.jublk.ctrl.Feature.BATCH_IO.in(d.info().flags()))
                    .field("scheduler", d.blockDeviceExists() ? io.jublk.daemon.IoScheduler.current(d.info().blockDevice()) : null)
                    .field("block_device", d.blockDeviceExists() ? d.info().blockDevice() : null)
                    .field("char_device", d.info().charDevice())
                    .field("flags", d.info().flags())
                    .field("error", d.failure())
                    .endObject();
        }
        w.endArray();
        return w.toString() + "\n";
    }
}
