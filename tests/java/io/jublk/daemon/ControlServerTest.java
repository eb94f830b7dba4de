package io.jublk.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.*;

/** The control socket answers garbage with an error and keeps serving. */
class ControlServerTest {
    @TempDir
    Path dir;

    private static String ask(Path sock, byte[] request, boolean closeOutput) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            ch.write(ByteBuffer.wrap(request));
            if (closeOutput) ch.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (ch.read(in) > 0) {
                // until the server closes
            }
            return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).trim();
        }
    }

    private ControlServer server(Path sock) throws IOException {
        return new ControlServer(sock, req -> req.equals("ping") ? "ok pong" : "error unknown request '" + req + "'");
    }

    @Test
    void socketIsRootOnlyAndAnswersRequests() throws IOException {
        Path sock = dir.resolve("t.sock");
        try (ControlServer s = server(sock)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertEquals("ok pong", ask(sock, "ping\n".getBytes(), false));
            assertEquals("ok pong", ask(sock, "ping".getBytes(), true), "no newline but end of input");
        }
        assertFalse(Files.exists(sock), "socket removed on close");
    }

    @Test
    void garbageOversizedAndVanishingClientsGetErrorsAndServingGoesOn() throws Exception {
        Path sock = dir.resolve("g.sock");
        try (ControlServer s = server(sock)) {
            assertTrue(ask(sock, "frobnicate\n".getBytes(), false).startsWith("error unknown request"));
            byte[] big = new byte[10_000];
            java.util.Arrays.fill(big, (byte) 'x');
            assertTrue(ask(sock, big, true).startsWith("error request too long"));
            assertTrue(ask(sock, new byte[] {0, 1, 2, (byte) 0xff, '\n'}, false).startsWith("error"));
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(sock));
                ch.write(ByteBuffer.wrap("pi".getBytes()));
            } // disconnects mid-request
            long t0 = System.nanoTime();
            try (SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                silent.connect(UnixDomainSocketAddress.of(sock));
                assertEquals("ok pong", ask(sock, "ping\n".getBytes(), false), "served after the silent client times out");
            }
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 10_000);
        }
    }

    @Test
    void callersOtherThanRootOrTheOwnerAreRefused() throws Exception {
        Path sock = dir.resolve("p.sock");
        java.util.List<String> asked = new java.util.ArrayList<>();
        try (ControlServer s = new ControlServer(sock, req -> "ok " + req, who -> {
            asked.add(who);
            return false;
        })) {
            String reply = ask(sock, "flush\n".getBytes(), false);
            assertTrue(reply.startsWith("error permission denied"), reply);
            assertEquals(java.util.List.of(System.getProperty("user.name")), asked, "decided by the caller's real user");
        }
        assertTrue(ControlServer.rootOrUid(4242).test("root"));
        assertTrue(ControlServer.rootOrUid(4242).test("4242"));
        assertFalse(ControlServer.rootOrUid(4242).test("nobody"));
    }

    @Test
    void aFailingAcceptBacksOffInsteadOfSpinning() throws Exception {
        java.util.concurrent.atomic.AtomicInteger accepts = new java.util.concurrent.atomic.AtomicInteger();
        java.nio.channels.ServerSocketChannel failing = new FailingServerChannel(accepts);
        java.util.List<Long> pauses = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.CountDownLatch tenPauses = new java.util.concurrent.CountDownLatch(10);
        ControlServer s = new ControlServer(dir.resolve("f.sock"), req -> "ok", who -> true, failing, ms -> {
            if (tenPauses.getCount() > 0) {
                pauses.add(ms);
                tenPauses.countDown();
            } else {
                try {
                    Thread.sleep(ms);   // the test has what it needs: let the loop idle until close
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertTrue(tenPauses.await(10, java.util.concurrent.TimeUnit.SECONDS), "ten failed accepts");
        s.close();
        assertTrue(s.ended(), "the control thread ends on close");
        // Each failed accept is followed by a pause, doubling from 10 ms up to 1 s.
        assertEquals(java.util.List.of(10L, 20L, 40L, 80L, 160L, 320L, 640L, 1000L, 1000L, 1000L), pauses.subList(0, 10));
        // An accept that failed as close() ran is not counted as a failure (the loop had ended).
        assertTrue(s.failedAccepts() == accepts.get() || s.failedAccepts() == accepts.get() - 1,
                s.failedAccepts() + " failures counted of " + accepts.get() + " accepts");
    }

    /** A server channel whose accept always fails, as with EMFILE. */
    private static final class FailingServerChannel extends java.nio.channels.ServerSocketChannel {
        private final java.util.concurrent.atomic.AtomicInteger accepts;

        FailingServerChannel(java.util.concurrent.atomic.AtomicInteger accepts) {
            super(java.nio.channels.spi.SelectorProvider.provider());
            this.accepts = accepts;
        }

        @Override
        public SocketChannel accept() throws IOException {
            accepts.incrementAndGet();
            throw new IOException("Too many open files");
        }

        @Override
        public java.nio.channels.ServerSocketChannel bind(java.net.SocketAddress local, int backlog) {
            return this;
        }

        @Override
        public <T> java.nio.channels.ServerSocketChannel setOption(java.net.SocketOption<T> name, T value) {
            return this;
        }

        @Override
        public <T> T getOption(java.net.SocketOption<T> name) {
            return null;
        }

        @Override
        public java.util.Set<java.net.SocketOption<?>> supportedOptions() {
            return java.util.Set.of();
        }

        @Override
        public java.net.ServerSocket socket() {
            return null;
        }

        @Override
        public java.net.SocketAddress getLocalAddress() {
            return null;
        }

        @Override
        protected void implCloseSelectableChannel() {
        }

        @Override
        protected void implConfigureBlocking(boolean block) {
        }
    }
}
