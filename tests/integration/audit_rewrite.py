#!/usr/bin/env python3
"""The insider's edit of the audit trail, for the checkpoint tests: read an
`mdb_dump -a` text dump (stdin), change the detail of event K, recompute
the hash of every event from K on and the head (META audit.head), so that
the chain is consistent again, and write the dump (stdout) for mdb_load.
With --drop-checkpoints the stored checkpoints (META audit.checkpoint.*)
go too.  The hash is common/auditev.h's: BLAKE2b-256(prev || fields 1..6
in the record encoding), computed here with Python's hashlib.

usage: audit_rewrite.py K [--drop-checkpoints] <dump >dump.edited"""
import hashlib
import struct
import sys

k = int(sys.argv[1])
drop = "--drop-checkpoints" in sys.argv[2:]
lines = sys.stdin.read().split("\n")


def fields(rec):
    """type, version, [(tag, bytes)] of one record"""
    out, i = [], 2
    while i < len(rec):
        tag, n = rec[i], struct.unpack(">I", rec[i + 1:i + 5])[0]
        out.append((tag, rec[i + 5:i + 5 + n]))
        i += 5 + n
    return rec[0], rec[1], out


def encode(fs):
    return b"".join(bytes([t]) + struct.pack(">I", len(v)) + v for t, v in fs)


def sections():
    """[(name, header lines, [[key, val]...])] and the lines around them"""
    i, out = 0, []
    pre = []
    while i < len(lines):
        if lines[i].startswith("database="):
            name = lines[i][len("database="):]
            hdr = []
            while lines[i] != "HEADER=END":
                hdr.append(lines[i]); i += 1
            hdr.append(lines[i]); i += 1
            pairs = []
            while lines[i] != "DATA=END":
                pairs.append([lines[i], lines[i + 1]]); i += 2
            i += 1
            out.append((name, hdr, pairs))
        else:
            pre.append(lines[i]); i += 1
    return out, pre


secs, pre = sections()
audit = [s for s in secs if s[0] == "audit"][0][2]
meta = [s for s in secs if s[0] == "meta"][0][2]
audit.sort(key=lambda p: p[0])
prev, last = None, None
for p in audit:
    seq = int(p[0].strip(), 16)
    t, v, fs = fields(bytes.fromhex(p[1].strip()))
    if seq < k:
        prev = dict(fs)[8]
        continue
    d = dict(fs)
    if seq == k:
        d[6] = d[6] + b" (edited)"
    d[7] = prev if prev is not None else bytes(32)
    h = hashlib.blake2b(d[7] + encode([(i, d[i]) for i in range(1, 7)]), digest_size=32).digest()
    d[8] = h
    p[1] = " " + (bytes([t, v]) + encode([(i, d[i]) for i in range(1, 9)])).hex()
    prev, last = h, seq
assert last is not None, "no event %d" % k
headkey = " " + b"audit.head".hex()
for p in meta:
    if p[0] == headkey:
        p[1] = " " + (struct.pack(">Q", last) + prev).hex()
if drop:
    cp = " " + b"audit.checkpoint.".hex()
    meta[:] = [p for p in meta if not p[0].startswith(cp)]
out = []
for name, hdr, pairs in secs:
    out += hdr
    for a, b in pairs:
        out += [a, b]
    out.append("DATA=END")
sys.stdout.write("\n".join(out) + "\n")
