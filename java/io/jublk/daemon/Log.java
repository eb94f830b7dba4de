package io.jublk.daemon;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/** The server's log: timestamped lines on stderr (a log file when serving in the background). */
public final class Log {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static volatile PrintStream out = System.err;

    private Log() {}

    public static void to(PrintStream stream) {
        out = stream;
    }

    public static void info(String message) {
        out.println(LocalDateTime.now().format(TIME) + " " + message);
        out.flush();
    }
}
