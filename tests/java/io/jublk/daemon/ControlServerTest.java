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
}
