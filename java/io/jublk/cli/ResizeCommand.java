package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Feature;
import io.jublk.ctrl.KernelSupport;
import io.jublk.daemon.RunDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "resize", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
            "Grow or shrink a live RAM disk.",
            "The kernel announces the new capacity (udev sees a change event); a filesystem on",
            "it is not resized — grow it afterwards (resize2fs, xfs_growfs), shrink it before.",
            "Shrinking releases the memory beyond the new end: growing again shows zeros there.",
            "A disk can grow up to the --max-size it was added with (default 4x its size).",
            "Needs a kernel whose ublk driver has UBLK_F_UPDATE_SIZE (Linux 6.16+).",
            "",
            "Example:",
            "  ublk resize -n 0 --size 8G",
            ""})
final class ResizeCommand implements Callable<Integer> {
    @Option(names = {"-n", "--number"}, paramLabel = "ID", required = true, description = "Device id.")
    int id;

    @Option(names = {"-s", "--size"}, paramLabel = "SIZE", required = true,
            description = "The new size: bytes, or with a binary suffix (512M, 4G, 1T).")
    String size;

    @Override
    public Integer call() {
        long newSize = Sizes.parse(size);
        if (newSize <= 0) throw new JublkException(Reason.USAGE, "--size must be greater than 0");
        try (Control control = Control.open()) {
            KernelSupport.require(control.getFeatures(), Feature.UPDATE_SIZE, "'ublk resize'");
            DevInfo info = control.getDevInfo(id);
            long maxSize = Long.parseLong(RunDir.readState(id).getOrDefault("max_size", "0"));
            if (maxSize > 0 && newSize > maxSize) {
                throw new JublkException(Reason.USAGE, "device " + id + " can grow to at most " + Sizes.human(maxSize)
                        + ", the --max-size it was added with; got " + Sizes.human(newSize));
            }
            String reply = ControlClient.request(id, "resize " + newSize);
            String[] f = reply.trim().split(" ");
            if (f.length < 4 || !f[0].equals("resized")) {
                throw new JublkException(Reason.FAILED, "unexpected reply from the server of device " + id + ": " + reply);
            }
            long old = Long.parseLong(f[1]);
            long released = Long.parseLong(f[3]);
            System.out.println(info.blockDevice() + ": " + Sizes.human(old) + " -> " + Sizes.human(newSize)
                    + (released > 0 ? " (" + Sizes.human(released) + " of data released)" : ""));
        }
        return 0;
    }
}
