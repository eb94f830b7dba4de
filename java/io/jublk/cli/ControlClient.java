package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.daemon.RunDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Talks to a device server over its control socket: one request line, one reply line. */
final class ControlClient {
    /**
     * How long a reply may take. The slowest requests pause every queue (flush, resize, power cut:
     * 5 s at most each) or hand the disk over; under an emulator a loaded server has taken tens
     * of seconds. A server that does not answer in this time is stuck: the command says so
     * instead of waiting for ever.
     */
    static final long REPLY_TIMEOUT_MS = 120_000;

    private ControlClient() {}

    /** Sends {@code request} to device {@code id}'s server; returns the text after "ok". */
    static String request(int id, String request) {
        return request(id, request, REPLY_TIMEOUT_MS);
    }

    /** As {@link #request(int, String)}, waiting at most {@code timeoutMs} for the reply. */
    static String request(int id, String request, long timeoutMs) {
        Path path = RunDir.socketFile(id);
        if (!Files.exists(path)) {
            if (!Files.exists(Path.of(io.jublk.ctrl.Uapi.CONTROL_DEVICE))) {
                throw new JublkException(Reason.NO_UBLK, io.jublk.ctrl.Uapi.CONTROL_DEVICE
                        + " does not exist: the ublk driver is not loaded; run 'modprobe ublk_drv'");
            }
            throw new JublkException(Reason.NO_DEVICE, "device " + id + " has no running jublk server ("
                    + path + " is missing); 'ublk list' shows its state");
        }
        return request(path, id, request, timeoutMs);
    }

    static String request(Path path, int id, String request, long timeoutMs) {
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
            // Not blocking: a server that stopped accepting has a full backlog after ~50 timed-out
            // clients, and a blocking connect would then wait for ever (EAGAIN instead: "cannot reach").
            ch.configureBlocking(false);
            if (!ch.connect(UnixDomainSocketAddress.of(path))) {
                throw new IOException("the connection is pending (the server is not accepting)");
            }
            ch.configureBlocking(true);  // the one short request line fits the socket's buffer
            ch.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            // Until the server closes (the reply is complete) or the time is up.
            while (in.hasRemaining()) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0) {
                    throw new JublkException(Reason.TIMEOUT, "the server of device " + id + " did not answer '"
                            + request + "' within " + (timeoutMs + 999) / 1000 + " s: it may be stuck (its log: "
                            + RunDir.logFile(id) + "); 'ublk del -n " + id
                            + " --force' stops the disk");
                }
                selector.select(leftMs);
                selector.selectedKeys().clear();
                if (ch.read(in) < 0) break;
            }
            reply = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new JublkException(Reason.FAILED, "cannot reach the server of device " + id + " at " + path + ": "
                    + e.getMessage());
        }
        if (reply.equals("ok")) return "";
        if (reply.startsWith("ok ")) return reply.substring(3);
        throw new JublkException(Reason.FAILED, "the server of device " + id + " refused '" + request + "': "
                + (reply.startsWith("error ") ? reply.substring(6) : reply));
    }
}
