package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "powercut", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
            "Simulate a power failure on a disk added with --cache writeback.",
            "Every write that is not durable yet is undone: a write is durable once a",
            "FLUSH issued after it completed, or at once if it had FUA. Then the disk",
            "fails every I/O (EIO, \"powered off\") until 'ublk poweron', after which it",
            "serves exactly what survived. With '--lose random:SEED' each logical block",
            "of a non-durable write is undone or kept by a reproducible draw; with --tear",
            "each 512-byte sector is drawn on its own, so a block can be torn.",
            "",
            "Example (what does ext4 keep of a copy that was not synced?):",
            "  ublk add -t ram --size 1G -n 0 --cache writeback",
            "  mkfs.ext4 -q /dev/ublkb0 && mount /dev/ublkb0 /mnt && cp -r /etc /mnt/",
            "  ublk powercut -n 0 --lose random:7; umount /mnt; ublk poweron -n 0",
            "  mount /dev/ublkb0 /mnt    # journal replay; what is left is what a crash leaves",
            ""})
final class PowercutCommand implements Callable<Integer> {
    @Option(names = {"-n", "--number"}, paramLabel = "ID", required = true, description = "Device id.")
    int id;

    @Option(names = "--lose", paramLabel = "all|random[:SEED]", defaultValue = "all",
            description = "What the cut loses: every non-durable write ('all', the default), or a random subset of "
                    + "their blocks ('random', with SEED to reproduce a run; without, a seed is drawn and printed).")
    String lose;

    @Option(names = "--tear", description = "Draw each 512-byte sector separately (with random): a block may keep only some of its new sectors.")
    boolean tear;

    @Override
    public Integer call() {
        String request = "powercut " + lossRequest(lose) + (tear ? " tear" : "");
        if (tear && lose.equals("all")) {
            throw new JublkException(Reason.USAGE, "--tear draws sectors at random: use it with --lose random[:SEED]");
        }
        String[] reply = ControlClient.request(id, request).trim().split(" ");
        // "cut UNDONE UNIT"
        String seed = request.startsWith("powercut random ") ? " (seed " + request.split(" ")[2] + ")" : "";
        System.out.println("/dev/ublkb" + id + ": power cut: " + reply[1] + " blocks of " + reply[2]
                + " bytes undone" + seed + "; I/O fails until 'ublk poweron -n " + id + "'");
        return 0;
    }

    /** "all", or "random SEED" (a drawn seed when none is given). */
    static String lossRequest(String lose) {
        if (lose.equals("all")) return "all";
        if (lose.equals("random")) return "random " + Math.abs(new java.util.Random().nextInt());
        if (lose.startsWith("random:")) {
            String s = lose.substring("random:".length());
            try {
                return "random " + Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new JublkException(Reason.USAGE, "--lose random:SEED needs a whole number, got '" + s + "'");
            }
        }
        throw new JublkException(Reason.USAGE, "unknown --lose '" + lose + "' (use all, random or random:SEED)");
    }
}
