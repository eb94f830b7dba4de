package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;

import java.util.Locale;

/** Sizes with binary suffixes: "512M", "4G", "1T", "4096" (bytes), "64KiB". */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        if (text == null || text.isBlank()) throw bad(text);
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) s = s.substring(0, s.length() - 2);
        else if (s.endsWith("B")) s = s.substring(0, s.length() - 1);
        int shift = 0;
        char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        switch (last) {
            case 'K': shift = 10; break;
            case 'M': shift = 20; break;
            case 'G': shift = 30; break;
            case 'T': shift = 40; break;
            case 'P': shift = 50; break;
            default: break;
        }
        if (shift > 0) s = s.substring(0, s.length() - 1);
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit)) throw bad(text);
        long value;
        try {
            value = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw bad(text);
        }
        if (shift > 0 && value > (Long.MAX_VALUE >> shift)) throw bad(text);
        return value << shift;
    }

    private static JublkException bad(String text) {
        return new JublkException(Reason.USAGE, "invalid size '" + text
                + "': use a number of bytes or a binary suffix, e.g. 512M, 4G, 1T");
    }

    /** "4.0 GiB", "512 KiB", "0 B": short, for tables. */
    public static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.floor(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v))
                + " " + units[u];
    }
}
