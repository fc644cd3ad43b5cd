#!/usr/bin/env python3
"""Edit the 'audit' database inside an `mdb_dump -a` text dump (stdin ->
stdout), for the audit tamper test.  Edits: none, modify (change one byte of
event 3's action), delete (drop event 3), swap (exchange events 3 and 4),
drop-last (drop the newest event)."""
import sys

what = sys.argv[1]
lines = sys.stdin.read().split("\n")
out, i = [], 0
while i < len(lines):
    line = lines[i]
    out.append(line)
    i += 1
    if line != "database=audit":
        continue
    while lines[i] != "HEADER=END":        # rest of the header
        out.append(lines[i]); i += 1
    out.append(lines[i]); i += 1
    pairs = []
    while lines[i] != "DATA=END":
        pairs.append([lines[i], lines[i + 1]]); i += 2
    key = lambda n: " %016x" % n
    idx = {p[0]: k for k, p in enumerate(pairs)}
    if what == "modify":
        p = pairs[idx[key(3)]]
        assert "6973737565" in p[1], "event 3 is not an issue event"
        p[1] = p[1].replace("6973737565", "6973737566", 1)    # issue -> issuf
    elif what == "delete":
        del pairs[idx[key(3)]]
    elif what == "swap":
        a, b = idx[key(3)], idx[key(4)]
        pairs[a][1], pairs[b][1] = pairs[b][1], pairs[a][1]
    elif what == "drop-last":
        pairs.pop()
    elif what != "none":
        sys.exit("unknown edit " + what)
    for k, v in pairs:
        out += [k, v]
sys.stdout.write("\n".join(out))
