package io.jublk.cli;

import io.jublk.Json;
import io.jublk.ctrl.Control;
import io.jublk.ctrl.Feature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "features", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
    "Show the kernel's ublk feature bits.",
    "Names and hex values of what this kernel's driver supports (GET_FEATURES),",
    "marking the ones jublk uses."})
final class FeaturesCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        long mask;
        try (Control control = Control.open()) {
            mask = control.getFeatures();
        }
        System.out.print(json ? toJson(mask) : toTable(mask));
        System.out.flush();
        return 0;
    }

    static String toTable(long mask) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("ublk driver features: 0x%x%n", mask));
        sb.append(String.format("  %-9s %-24s %s%n", "BIT", "NAME", "JUBLK"));
        for (Feature f : Feature.decode(mask)) {
            sb.append(String.format("  0x%05x   %-24s %s%n", f.bit, f.name(), f.usedByJublk ? "uses" : ""));
        }
        long unknown = Feature.unknownBits(mask);
        if (unknown != 0) sb.append(String.format("  0x%x      (bits unknown to this jublk version)%n", unknown));
        return sb.toString();
    }

    static String toJson(long mask) {
        List<Feature> features = Feature.decode(mask);
        Json.Writer w = new Json.Writer();
        w.beginObject().field("mask", mask).field("mask_hex", String.format("0x%x", mask));
        w.name("features").beginArray();
        for (Feature f : features) {
            w.beginObject().field("name", f.name()).field("bit", f.bit).field("used_by_jublk", f.usedByJublk).endObject();
        }
        w.endArray().field("unknown_bits", Feature.unknownBits(mask)).endObject();
        return w.toString() + "\n";
    }
}
