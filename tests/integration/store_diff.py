#!/usr/bin/env python3
"""What changed between two `mdb_dump -a` dumps of the CA store: one line
per added (+), changed (~) or removed (-) record, "DB SIGN KEY", KEY as text
when it is printable ASCII, else as hex; sorted.  Tests compare the lines
with the changes a command may make and no other."""
import sys


def load(path):
    dbs, lines, i = {}, open(path).read().split("\n"), 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("database="):
            continue
        name = line[len("database="):]
        while lines[i] != "HEADER=END":
            i += 1
        i += 1
        recs = {}
        while lines[i] != "DATA=END":
            recs[lines[i].strip()] = lines[i + 1].strip()
            i += 2
        dbs[name] = recs
    return dbs


def key_text(hexkey):
    b = bytes.fromhex(hexkey)
    if b and all(0x20 < c < 0x7f for c in b):
        return b.decode()
    return hexkey


old, new = load(sys.argv[1]), load(sys.argv[2])
out = []
for db in sorted(set(old) | set(new)):
    a, b = old.get(db, {}), new.get(db, {})
    for k in set(a) | set(b):
        if k not in a:
            out.append("%s + %s" % (db, key_text(k)))
        elif k not in b:
            out.append("%s - %s" % (db, key_text(k)))
        elif a[k] != b[k]:
            out.append("%s ~ %s" % (db, key_text(k)))
print("\n".join(sorted(out)))
