#!/usr/bin/env python3
"""Writes files into DIR, fsyncing each file and DIR, and appends 'NAME SHA256' to LOG only
after both fsyncs returned: LOG lists exactly what the filesystem promised to keep. Runs
until killed or until a write fails (the disk lost power)."""
import hashlib, os, random, sys

d, log = sys.argv[1], sys.argv[2]
os.makedirs(d, exist_ok=True)
dfd = os.open(d, os.O_RDONLY)
rnd = random.Random()
with open(log, "a") as out:
    i = 0
    while True:
        name = "f%05d" % i
        data = os.urandom(rnd.randint(1, 32) * 4096 - rnd.randint(0, 4095))
        try:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.fsync(dfd)
        except OSError:
            sys.exit(0)
        out.write("%s %s\n" % (name, hashlib.sha256(data).hexdigest()))
        out.flush()
        i += 1
