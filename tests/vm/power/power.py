#!/usr/bin/env python3
"""Power a jublk disk off and on from a test loop without a JVM start per call.

  power.py ID cut all|random SEED [tear]   what 'ublk powercut' asks the server
  power.py ID on                           what 'ublk poweron' does: BLKFLSBUF, then power on

The scenarios call 'ublk powercut'/'ublk poweron' themselves where the command is what is
tested; loops of 20 cuts use this (each CLI call costs 7-13 s under emulation).
"""
import fcntl, os, socket, sys

BLKFLSBUF = 0x1261


def request(dev_id, line):
    s = socket.socket(socket.AF_UNIX)
    s.connect("/run/jublk/ublk%s.sock" % dev_id)
    s.sendall(line.encode() + b"\n")
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    reply = reply.decode().strip()
    if not reply.startswith("ok"):
        sys.exit("power.py: %s: %s" % (line, reply))
    return reply[3:]


def main():
    dev_id, what = sys.argv[1], sys.argv[2]
    if what == "cut":
        print(request(dev_id, "powercut " + " ".join(sys.argv[3:])))
    elif what == "on":
        fd = os.open("/dev/ublkb%s" % dev_id, os.O_RDONLY)
        try:
            fcntl.ioctl(fd, BLKFLSBUF, 0)
        except OSError:
            pass  # its write-back part fails on a powered-off disk: those blocks are lost, as they should be
        os.close(fd)
        request(dev_id, "poweron")
    else:
        sys.exit("usage: power.py ID cut all|random SEED [tear] | power.py ID on")


main()
