package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.DevInfo;
import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "flush", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
            "Flush a RAM disk: drop its page cache and release its memory.",
            "The RAM disk meaning of BLKFLSBUF (freeramdisk): writes back and drops the kernel's",
            "page cache for /dev/ublkbN, then has the server release its whole store, so every",
            "block reads as zeros and the memory in use is near zero. Refused (EBUSY) while the",
            "disk is mounted or otherwise held open exclusively.",
            "With --cache-only only the kernel half is done and the data is kept (what a plain",
            "'blockdev --flushbufs' does on a ublk device)."})
final class FlushCommand implements Callable<Integer> {
    @Option(names = {"-n", "--number"}, paramLabel = "ID", required = true, description = "Device id.")
    int id;

    @Option(names = "--cache-only", description = "Only write back and drop the page cache; keep the data.")
    boolean cacheOnly;

    @Override
    public Integer call() {
        DevInfo info;
        try (Control control = Control.open()) {
            info = control.getDevInfo(id);
        }
        String dev = info.blockDevice();
        // O_EXCL on a block device claims it: a mounted or otherwise claimed disk says EBUSY,
        // and nobody can mount it while we hold it.
        int fd = Native.jublk_open(dev, Native.O_RDONLY | Native.O_EXCL);
        if (fd == Errno.EBUSY.negative()) {
            throw new JublkException(Reason.BUSY, dev + " is mounted or held open exclusively (EBUSY); "
                    + "unmount it before flushing");
        }
        if (fd == Errno.ENOENT.negative() || fd == Errno.ENXIO.negative() || fd == Errno.ENODEV.negative()) {
            throw new JublkException(Reason.NO_DEVICE, "device " + id + " is not serving (" + dev + " does not exist; "
                    + "state " + info.stateName() + ")");
        }
        if (fd < 0) throw new JublkException(Reason.FAILED, "cannot open " + dev + ": " + Errno.describe(fd));
        try {
            int res = Native.jublk_ioctl_int(fd, Uapi.BLKFLSBUF, 0);
            if (res < 0) throw new JublkException(Reason.FAILED, "BLKFLSBUF on " + dev + " failed: " + Errno.describe(res));
            if (cacheOnly) {
                System.out.println(dev + ": page cache written back and dropped; data kept");
            } else {
                String reply = ControlClient.request(id, "flush");
                long released = reply.startsWith("released ") ? Long.parseLong(reply.substring(9).trim()) : -1;
                System.out.println(dev + ": page cache dropped and store released ("
                        + (released >= 0 ? Sizes.human(released) : "?") + " freed); the disk now reads as zeros");
            }
        } finally {
            Native.jublk_close(fd);
        }
        return 0;
    }
}
