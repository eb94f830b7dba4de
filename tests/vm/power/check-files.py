#!/usr/bin/env python3
"""Checks that every file LOG lists exists in DIR with its SHA256. Prints what is missing or
different and exits 1 if anything is; else prints how many files were checked."""
import hashlib, os, sys

d, log = sys.argv[1], sys.argv[2]
bad = []
n = 0
for line in open(log):
    name, want = line.split()
    n += 1
    try:
        got = hashlib.sha256(open(os.path.join(d, name), "rb").read()).hexdigest()
    except OSError as e:
        bad.append("%s: %s" % (name, e.strerror))
        continue
    if got != want:
        bad.append("%s: content differs" % name)
if bad:
    print("%d of %d fsynced files lost or damaged: %s" % (len(bad), n, "; ".join(bad[:5])))
    sys.exit(1)
print("%d fsynced files intact" % n)
