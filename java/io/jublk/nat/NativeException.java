package io.jublk.nat;

/** A failed system or kernel call: what was attempted and the errno it returned. */
public class NativeException extends RuntimeException {
    private final int errno;
    private final String operation;

    public NativeException(String operation, int result) {
        super(operation + " failed: " + Errno.describe(result));
        this.operation = operation;
        this.errno = Math.abs(result);
    }

    /** Positive errno value. */
    public int errno() {
        return errno;
    }

    public String operation() {
        return operation;
    }

    public boolean is(Errno e) {
        return errno == e.code;
    }

    /** Returns {@code result} if it is not negative, else throws for {@code operation}. */
    public static long check(String operation, long result) {
        if (result < 0) throw new NativeException(operation, (int) result);
        return result;
    }

    public static int check(String operation, int result) {
        if (result < 0) throw new NativeException(operation, result);
        return result;
    }
}
