package io.jublk.cli;

import io.jublk.JublkException;
import io.jublk.JublkException.Reason;
import io.jublk.daemon.RunDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Talks to a device server over its control socket: one request line, one reply line. */
final class ControlClient {
    private ControlClient() {}

    /** Sends {@code request} to device {@code id}'s server; returns the text after "ok". */
    static String request(int id, String request) {
        Path path = RunDir.socketFile(id);
        if (!Files.exists(path)) {
            if (!Files.exists(Path.of(io.jublk.ctrl.Uapi.CONTROL_DEVICE))) {
                throw new JublkException(Reason.NO_UBLK, io.jublk.ctrl.Uapi.CONTROL_DEVICE
                        + " does not exist: the ublk driver is not loaded; run 'modprobe ublk_drv'");
            }
            throw new JublkException(Reason.NO_DEVICE, "device " + id + " has no running jublk server ("
                    + path + " is missing); 'ublk list' shows its state");
        }
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            ch.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (ch.read(in) > 0 && in.hasRemaining()) {
                // keep reading until the server closes
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
