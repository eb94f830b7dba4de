package io.jublk.ctrl;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Finds the ids of existing ublk devices (the kernel has no "list" command). */
public final class DeviceIds {
    private static final Path CLASS_DIR = Path.of("/sys/class/ublk-char");

    private DeviceIds() {}

    /** Ids of every /dev/ublkcN the driver has registered, sorted. */
    public static List<Integer> list() {
        List<Integer> ids = new ArrayList<>();
        if (!Files.isDirectory(CLASS_DIR)) return ids;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(CLASS_DIR, "ublkc*")) {
            for (Path p : dir) {
                String name = p.getFileName().toString().substring("ublkc".length());
                try {
                    ids.add(Integer.parseInt(name));
                } catch (NumberFormatException ignored) {
                    // not a device entry
                }
            }
        } catch (IOException e) {
            return ids;
        }
        Collections.sort(ids);
        return ids;
    }
}
