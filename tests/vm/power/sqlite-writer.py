#!/usr/bin/env python3
"""SQLite with PRAGMA synchronous=SYNC and journal_mode=JOURNAL: one small transaction after
another; each committed id is appended to LOG after COMMIT returned. Runs until killed or an
error (power lost), or until COUNT transactions are committed (then it just exits).

  sqlite-writer.py DB LOG FULL|EXTRA|NORMAL|OFF [WAL|DELETE] [COUNT]   write (default WAL, no count)
  sqlite-writer.py DB LOG check        every id in LOG present, integrity_check ok
"""
import os, sqlite3, sys

db, log, mode = sys.argv[1], sys.argv[2], sys.argv[3]
journal = sys.argv[4] if len(sys.argv) > 4 else "WAL"
count = int(sys.argv[5]) if len(sys.argv) > 5 else 0
if mode == "check":
    try:
        c = sqlite3.connect(db)
        ok = c.execute("PRAGMA integrity_check").fetchone()[0]
        have = {r[0] for r in c.execute("SELECT id FROM t")}
    except sqlite3.Error as e:
        print("database unusable: %s" % e)
        sys.exit(1)
    want = [int(x) for x in open(log).read().split()]
    lost = [i for i in want if i not in have]
    if ok != "ok" or lost:
        print("integrity_check: %s; %d of %d committed transactions lost (first: %s)" % (ok, len(lost), len(want), lost[:5]))
        sys.exit(1)
    print("%d committed transactions present, integrity_check ok" % len(want))
    sys.exit(0)
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode=" + journal)
c.execute("PRAGMA synchronous=" + mode)
c.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB)")
start = c.execute("SELECT coalesce(max(id), 0) FROM t").fetchone()[0] + 1
with open(log, "a") as out:
    i = start
    while count == 0 or i < start + count:
        try:
            c.execute("BEGIN")
            c.execute("INSERT INTO t VALUES (?, ?)", (i, os.urandom(3000)))
            c.execute("COMMIT")
        except sqlite3.Error:
            sys.exit(0)
        out.write("%d\n" % i)
        out.flush()
        i += 1
