package io.jublk.daemon;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A device server's control channel: a root-only UNIX socket (/run/jublk/ublkN.sock,
 * mode 0600). One request line per connection ("stats", "flush", "delete"), one reply
 * line ("ok ..." or "error ..."). It runs on its own thread, so a slow, silent, oversized
 * or vanishing client can never disturb the queues; each client gets at most
 * {@link #CLIENT_TIMEOUT_MS} and {@link #MAX_REQUEST} bytes. Beyond the file mode, each
 * caller is checked by its credentials (SO_PEERCRED): only root or the user the server runs
 * as may ask anything. A failing accept backs off instead of spinning. {@link #close} joins
 * the thread, so nothing it does (a flush touches the store) outlives the server's teardown.
 */
public final class ControlServer implements AutoCloseable {
    static final int MAX_REQUEST = 256;
    static final long CLIENT_TIMEOUT_MS = 2000;
    /** Pause after a failed accept (EMFILE, ENOMEM...), doubling up to {@link #MAX_BACKOFF_MS}. */
    static final long MIN_BACKOFF_MS = 10;
    static final long MAX_BACKOFF_MS = 1000;

    private final Path path;
    private final ServerSocketChannel server;
    private final Function<String, String> handler;
    private final Predicate<String> callerAllowed;
    /** Sleeps the pause after a failed accept (tests record it instead). */
    private final java.util.function.LongConsumer pauseAfterFailedAccept;
    private final Thread thread;
    private volatile boolean closed;
    private volatile long failedAccepts;

    /** A server that answers only root and the user it runs as. */
    public ControlServer(Path path, Function<String, String> handler) throws IOException {
        this(path, handler, rootOrUid(ownUid()));
    }

    /**
     * @param handler       maps a request line to a reply line; runs on the control thread
     * @param callerAllowed decides by the caller's user name (SO_PEERCRED) whether it may ask
     */
    public ControlServer(Path path, Function<String, String> handler, Predicate<String> callerAllowed)
            throws IOException {
        this(path, handler, callerAllowed, null, ControlServer::sleep);
    }

    /**
     * With {@code channel} given (tests), that channel is served instead of a new one bound to
     * {@code path}; {@code pauseAfterFailedAccept} takes each back-off pause in milliseconds.
     */
    ControlServer(Path path, Function<String, String> handler, Predicate<String> callerAllowed,
                  ServerSocketChannel channel, java.util.function.LongConsumer pauseAfterFailedAccept) throws IOException {
        this.path = path;
        this.handler = handler;
        this.callerAllowed = callerAllowed;
        this.pauseAfterFailedAccept = pauseAfterFailedAccept;
        this.server = channel != null ? channel : bindRootOnly(path);
        thread = new Thread(this::acceptLoop, "ublk-control");
        thread.setDaemon(true);
        thread.start();
    }

    /** A new socket at {@code path}, mode 0600. */
    private static ServerSocketChannel bindRootOnly(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        channel.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        return channel;
    }

    public Path path() {
        return path;
    }

    /** The uid this process runs as. */
    public static int ownUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Allows root and the user with {@code uid}, by the names SO_PEERCRED reports. */
    public static Predicate<String> rootOrUid(int uid) {
        String own = System.getProperty("user.name");
        return name -> name.equals("root") || name.equals("0") || name.equals(own) || name.equals(Integer.toString(uid));
    }

    /** Failed accepts so far (each followed by a pause). */
    long failedAccepts() {
        return failedAccepts;
    }

    private void acceptLoop() {
        long backoff = MIN_BACKOFF_MS;
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
                backoff = MIN_BACKOFF_MS;
            } catch (IOException | RuntimeException e) {
                if (closed) break;
                failedAccepts++;
                if (failedAccepts <= 3 || failedAccepts % 100 == 0) {
                    Log.info("control socket: accept failed (" + failedAccepts + " times): " + e.getMessage());
                }
                pauseAfterFailedAccept.accept(backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                continue;
            }
            try (client) {
                String who = callerName(client);
                if (who == null || !callerAllowed.test(who)) {
                    refuse(client, who);
                    continue;
                }
                serve(client);
            } catch (IOException e) {
                // the client went away mid-request: nothing to answer, nothing to log
            } catch (RuntimeException e) {
                Log.info("control socket: " + e);
            }
        }
    }

    /** The caller's user name by SO_PEERCRED, or null if it cannot be told. */
    private static String callerName(SocketChannel client) {
        try {
            return client.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void refuse(SocketChannel client, String who) throws IOException {
        Log.info("control socket: refused a request from user " + who);
        reply(client, "error permission denied: only root or the device's owner may control it");
    }

    private void serve(SocketChannel client) throws IOException {
        String request = readRequest(client);
        String reply;
        if (request == null) {
            reply = "error request too long, not a single line, or not sent within " + CLIENT_TIMEOUT_MS + " ms";
        } else {
            try {
                reply = handler.apply(request.trim());
            } catch (RuntimeException e) {
                reply = "error " + e.getMessage();
            }
        }
        reply(client, reply);
    }

    private static void reply(SocketChannel client, String reply) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((reply.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
        client.configureBlocking(false);
        long deadline = System.currentTimeMillis() + CLIENT_TIMEOUT_MS;
        while (out.hasRemaining() && System.currentTimeMillis() < deadline) {
            if (client.write(out) == 0) sleepBriefly();
        }
        // Swallow what an oversized request left unread (bounded): closing with unread data
        // would reset the connection and the client could lose the reply.
        client.shutdownOutput();
        ByteBuffer sink = ByteBuffer.allocate(4096);
        long drainUntil = System.currentTimeMillis() + 200;
        long drained = 0;
        while (System.currentTimeMillis() < drainUntil && drained < (1 << 20)) {
            sink.clear();
            int n = client.read(sink);
            if (n < 0) break;
            if (n == 0) sleepBriefly();
            drained += n;
        }
    }

    /** One line of at most MAX_REQUEST bytes within the timeout, or null. */
    private static String readRequest(SocketChannel client) throws IOException {
        client.configureBlocking(false);
        ByteBuffer in = ByteBuffer.allocate(MAX_REQUEST + 1);
        long deadline = System.currentTimeMillis() + CLIENT_TIMEOUT_MS;
        try (Selector selector = Selector.open()) {
            client.register(selector, SelectionKey.OP_READ);
            while (in.hasRemaining()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) return null;
                selector.select(left);
                selector.selectedKeys().clear();
                int n = client.read(in);
                if (n < 0) break; // client closed its side: take what came
                for (int i = in.position() - n; n > 0 && i < in.position(); i++) {
                    if (in.get(i) == '\n') return decode(in, i);
                }
            }
        }
        if (in.position() == 0 || in.position() > MAX_REQUEST) return null;
        return decode(in, in.position());
    }

    private static String decode(ByteBuffer in, int end) {
        for (int i = 0; i < end; i++) {
            byte b = in.get(i);
            if (b < 0x20 && b != '\t' && b != '\r') return "\u0000invalid";
        }
        return new String(in.array(), 0, end, StandardCharsets.UTF_8);
    }

    private static void sleepBriefly() {
        sleep(5);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a stale socket is replaced at the next start
        }
        if (Thread.currentThread() != thread) {
            try {
                // A request being served (bounded by CLIENT_TIMEOUT_MS per client) finishes first.
                thread.join(3 * CLIENT_TIMEOUT_MS + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) Log.info("control thread did not end in time");
        }
    }

    /** True once the control thread has ended (after {@link #close}). */
    public boolean ended() {
        return !thread.isAlive();
    }
}
