package io.jublk.cli;

import io.jublk.JublkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI's side of the control socket: a reply is read whole, a server that never answers is a timeout. */
class ControlClientTest {
    @TempDir
    Path dir;

    /** A server that reads the request, then answers {@code reply} (null: never) and holds the connection. */
    private Thread serve(Path socket, String reply, CountDownLatch release) throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try (server; SocketChannel c = server.accept()) {
                ByteBuffer in = ByteBuffer.allocate(256);
                while (c.read(in) >= 0 && in.hasRemaining()) { } // until the client's shutdownOutput
                if (reply != null) {
                    c.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8)));
                    return; // closing ends the reply
                }
                release.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the test fails on its own assertions
            }
        });
        t.start();
        return t;
    }

    @Test
    void aReplyIsReadUntilTheServerCloses() throws Exception {
        Path socket = dir.resolve("ublk7.sock");
        Thread t = serve(socket, "ok 42 released\n", new CountDownLatch(0));
        assertEquals("42 released", ControlClient.request(socket, 7, "flush", 10_000));
        t.join(10_000);
    }

    @Test
    void aServerThatStoppedAcceptingIsRefusedAtOnce() throws Exception {
        Path socket = dir.resolve("ublk8.sock");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        java.util.List<SocketChannel> queued = new java.util.ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(address, 1);
            // Clients the server never accepts, until its backlog is full (a blocking connect waits then).
            for (int i = 0; i < 64; i++) {
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                try {
                    c.connect(address);
                    queued.add(c);
                } catch (java.io.IOException full) {
                    c.close();
                    break;
                }
            }
            assertTrue(queued.size() < 64, "the backlog never filled");
            JublkException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                    () -> assertThrows(JublkException.class, () -> ControlClient.request(socket, 8, "stats", 60_000)));
            assertEquals(JublkException.Reason.FAILED, e.reason());
            assertTrue(e.getMessage().contains("cannot reach the server of device 8"), e.getMessage());
        } finally {
            for (SocketChannel c : queued) c.close();
        }
    }

    @Test
    void aServerThatNeverAnswersIsATimeoutNotAHang() throws Exception {
        Path socket = dir.resolve("ublk7.sock");
        CountDownLatch release = new CountDownLatch(1);
        Thread t = serve(socket, null, release);
        long t0 = System.nanoTime();
        JublkException e = assertThrows(JublkException.class, () -> ControlClient.request(socket, 7, "stats", 300));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        release.countDown();
        t.join(10_000);
        assertEquals(JublkException.Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("did not answer 'stats' within 1 s"), e.getMessage());
        assertTrue(e.getMessage().contains("ublk del -n 7 --force"), e.getMessage());
        assertTrue(ms >= 300 && ms < 5000, "waited " + ms + " ms");
    }
}
