package io.jublk;

/**
 * A failure a user can act on: a one-line message naming the cause and, where there
 * is one, the fix. {@link Reason} decides the command's exit code.
 */
public class JublkException extends RuntimeException {

    /** Why an operation failed; each reason has its own documented exit code. */
    public enum Reason {
        FAILED(1),
        USAGE(2),
        NO_UBLK(3),
        PERMISSION(4),
        NO_DEVICE(5),
        BUSY(6),
        NO_IO_URING(7),
        TIMEOUT(8),
        /** The kernel lacks a ublk feature the operation needs. */
        UNSUPPORTED(9);

        public final int exitCode;

        Reason(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    private final Reason reason;

    public JublkException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public JublkException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
