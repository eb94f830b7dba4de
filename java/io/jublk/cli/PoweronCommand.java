package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.ctrl.Uapi;
import io.jublk.nat.Errno;
import io.jublk.nat.Native;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "poweron", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
            "Power a disk on again after 'ublk powercut': it serves what survived the cut.",
            "First the kernel's page cache of /dev/ublkbN is dropped (BLKFLSBUF while the",
            "disk still fails I/O, so cached blocks the cut lost cannot come back), then",
            "the disk serves again. Unmount filesystems on it before: a mounted filesystem",
            "keeps its own view of what it wrote.",
            ""})
final class PoweronCommand implements Callable<Integer> {
    @Option(names = {"-n", "--number"}, paramLabel = "ID", required = true, description = "Device id.")
    int id;

    @Override
    public Integer call() {
        String dev = "/dev/ublkb" + id;
        int fd = Native.jublk_open(dev, Native.O_RDONLY);
        if (fd < 0) throw new JublkException(Reason.NO_DEVICE, "cannot open " + dev + ": " + Errno.describe(fd));
        try {
            // Its write-back part fails with EIO on a powered-off disk: those blocks are lost, as they should be.
            Native.jublk_ioctl_int(fd, Uapi.BLKFLSBUF, 0);
        } finally {
            Native.jublk_close(fd);
        }
        ControlClient.request(id, "poweron");
        System.out.println(dev + ": powered on");
        return 0;
    }
}
