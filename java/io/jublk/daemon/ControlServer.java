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

/**
 * A device server's control channel: a root-only UNIX socket (/run/jublk/ublkN.sock,
 * mode 0600). One request line per connection ("stats", "flush", "delete"), one reply
 * line ("ok ..." or "error ..."). It runs on its own thread, so a slow, silent, oversized
 * or vanishing client can never disturb the queues; each client gets at most
 * {@link #CLIENT_TIMEOUT_MS} and {@link #MAX_REQUEST} bytes.
 */
public final class ControlServer implements AutoCloseable {
    static final int MAX_REQUEST = 256;
    static final long CLIENT_TIMEOUT_MS = 2000;

    private final Path path;
    private final ServerSocketChannel server;
    private final Function<String, String> handler;
    private final Thread thread;
    private volatile boolean closed;

    /** @param handler maps a request line to a reply line; runs on the control thread */
    public ControlServer(Path path, Function<String, String> handler) throws IOException {
        this.path = path;
        this.handler = handler;
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        thread = new Thread(this::acceptLoop, "ublk-control");
        thread.setDaemon(true);
        thread.start();
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) Log.info("control socket: " + e.getMessage());
                continue;
            }
            try (client) {
                serve(client);
            } catch (IOException e) {
                // the client went away mid-request: nothing to answer, nothing to log
            } catch (RuntimeException e) {
                Log.info("control socket: " + e);
            }
        }
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
        try {
            Thread.sleep(5);
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
    }
}
