#!/usr/bin/env python3
"""mkbundle.py - test tool: a bundle built the way docs/bundle-format.md
section 8 builds one by hand (a ustar archive: BUNDLE, SHA256SUMS, payload;
signed with `minisign -S`), but with any BUNDLE values, so that the readers'
own limits are what refuses it.  The library's writer (mkresponse) checks
what it writes with the reader's rules and so cannot make these.

  mkbundle.py --key SEC --pub PUB --segment S --sequence N -o DIR
      [--kind request|response] [--name NAME] [--lifetime SECS]
      [--created-offset SECS] [--many N] [--reverse]
      [--orphan-line MEMBER] [--unlisted MEMBER=FILE]...
      [MEMBER=FILE[:PROFILE]]...

A NAME.scan member (a scan report) gets a `scan: NAME.scan` line.
SEC is an unencrypted minisign secret key (minisign -G -W), so signing needs
no passphrase.  MEMBER=FILE adds a payload member; a .csr member of a
request gets a `csr: MEMBER PROFILE` line (PROFILE defaults to tls-client).
--many N adds N small members m000000.csr ... whose bytes are not CSRs,
each with a csr line naming profile pK for member K mod 7; --reverse writes
the csr lines in the reverse of the tar order.  --orphan-line adds a csr
line naming a member that is not in the bundle, --unlisted a .csr member
without a csr line (both refused by every reader).  Prints the path of the
tar.
"""
import argparse
import base64
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import time


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def keyid_text(pub_path):
    with open(pub_path) as f:
        lines = [l.strip() for l in f if l.strip()]
    raw = base64.b64decode(lines[-1])
    # "Ed" || key id (8, little-endian) || public key (32)
    return "%016X" % int.from_bytes(raw[2:10], "little")


def add(tar, name, data, mtime):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    ti.mtime = mtime
    ti.uname = ti.gname = ""
    tar.addfile(ti, io.BytesIO(data))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--pub", required=True)
    ap.add_argument("--segment", required=True)
    ap.add_argument("--sequence", required=True, type=int)
    ap.add_argument("-o", dest="out", required=True)
    ap.add_argument("--kind", default="request")
    ap.add_argument("--name")
    ap.add_argument("--lifetime", type=int, default=30 * 86400)
    ap.add_argument("--created-offset", type=int, default=0)
    ap.add_argument("--many", type=int, default=0)
    ap.add_argument("--reverse", action="store_true")
    ap.add_argument("--orphan-line", action="append", default=[])
    ap.add_argument("--unlisted", action="append", default=[])
    ap.add_argument("members", nargs="*")
    a = ap.parse_args()

    created = int(time.time()) + a.created_offset
    members, csr_lines = [], []
    for spec in a.members:
        name, _, rest = spec.partition("=")
        path, _, profile = rest.partition(":")
        with open(path, "rb") as f:
            members.append((name, f.read()))
        if a.kind == "request" and name.endswith(".csr"):
            csr_lines.append("csr: %s %s\n" % (name, profile or "tls-client"))
        if name.endswith(".scan"):
            csr_lines.insert(0, "scan: %s\n" % name)
    for k in range(a.many):
        name = "m%06d.csr" % k
        members.append((name, b"not a CSR: member %d\n" % k))
        csr_lines.append("csr: %s p%d\n" % (name, k % 7))
    for spec in a.unlisted:
        name, _, path = spec.partition("=")
        with open(path, "rb") as f:
            members.append((name, f.read()))
    csr_lines += ["csr: %s tls-client\n" % name for name in a.orphan_line]
    if a.reverse:
        csr_lines.reverse()

    kid = keyid_text(a.pub)
    bundle = ("format: 1\nkind: %s\nsegment: %s\nsender: %s\nsequence: %d\n"
              "created: %s\nexpires: %s\n" % (a.kind, a.segment, kid, a.sequence,
                                               rfc3339(created),
                                               rfc3339(created + a.lifetime)))
    bundle += "".join(csr_lines)
    sums = "".join("%s  %s\n" % (hashlib.sha256(d).hexdigest(), n) for n, d in members)

    name = a.name or "%s-%s-%06d" % (a.segment, a.kind, a.sequence)
    path = os.path.join(a.out, name + ".tar")
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        add(tar, "BUNDLE", bundle.encode(), created)
        add(tar, "SHA256SUMS", sums.encode(), created)
        for n, d in members:
            add(tar, n, d, created)
    comment = ("plantca-bundle kind=%s segment=%s sender=%s sequence=%d file=%s.tar"
               % (a.kind, a.segment, kid, a.sequence, name))
    subprocess.run(["minisign", "-S", "-s", a.key, "-m", path, "-x", path + ".minisig",
                    "-t", comment], check=True, stdout=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL)
    print(path)


if __name__ == "__main__":
    sys.exit(main())
