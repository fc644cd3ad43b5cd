#!/usr/bin/env python3
"""mkcaps.py - test tool: request bundles at and just over the reader's
caps (transfer/transfer.h TR_*_MAX, pkix/csr.h PKIX_CSR_MAX), for
t_caps_load.sh and scripts/bench-caps.

  mkcaps.py csrs N FILE
      N PEM CSRs into FILE, one after the other: subject O=Acme Plant,
      CN=dI.line3.plant.local, SAN DNS of the same name, I = 0 .. N-1.
      All are signed by ONE P-256 key (made here and thrown away): a
      caps test needs many valid CSRs, not many keys, and one key makes
      200,000 of them in seconds instead of minutes.

  mkcaps.py bundle --key SEC --pub PUB --segment S --sequence N -o DIR
      --name NAME [--csrs FILE --count K] [--profile P]
      [--meta-size BYTES] [--meta-junk BYTES] [--junk MEMBER=SIZE]...
      [--cut] [--pad-to BYTES]
      A request bundle (ustar: BUNDLE, SHA256SUMS, payload; minisign -S)
      of the first K CSRs of FILE, members a.csr, b.csr, ... (base 36),
      each with a csr line naming profile P (default tls-client).
      --meta-size: member names are lengthened (with '_', so they stay
      distinct) until BUNDLE is exactly BYTES long.
      --meta-junk: BUNDLE is BYTES of 'x' instead (no line in it parses).
      --junk: one more .csr member of SIZE bytes of 'x', with a csr line.
      --cut: the file ends right after the last member's header (its data,
      the padding and the end-of-archive blocks are not there); signed
      as it is.
      --pad-to: zero bytes after the end of the archive (a hole: the file
      is sparse) until the file is BYTES long, as GNU tar pads records.
      Prints the path of the tar.

Headers are tarfile's own (USTAR_FORMAT), as mkbundle.py writes them.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import time

END = b"-----END CERTIFICATE REQUEST-----\n"


def make_csrs(n, path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    with open(path, "wb") as f:
        for i in range(n):
            cn = "d%d.line3.plant.local" % i
            csr = (x509.CertificateSigningRequestBuilder()
                   .subject_name(x509.Name([
                       x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Plant"),
                       x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
            f.write(csr.public_bytes(serialization.Encoding.PEM))


def read_csrs(path, count):
    with open(path, "rb") as f:
        data = f.read()
    out, start = [], 0
    while len(out) < count:
        end = data.find(END, start)
        if end < 0:
            sys.exit("mkcaps: %s holds only %d CSRs, %d wanted" % (path, len(out), count))
        out.append(data[start:end + len(END)])
        start = end + len(END)
    return out


def b36(i):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        s = digits[i % 36] + s
        i //= 36
        if i == 0:
            return s


def keyid_text(pub_path):
    import base64
    with open(pub_path) as f:
        lines = [l.strip() for l in f if l.strip()]
    raw = base64.b64decode(lines[-1])
    return "%016X" % int.from_bytes(raw[2:10], "little")


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def header(name, size, mtime):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mode = 0o644
    ti.mtime = mtime
    ti.uname = ti.gname = ""
    return ti.tobuf(format=tarfile.USTAR_FORMAT)


def bundle(a):
    created = int(time.time())
    kid = keyid_text(a.pub)
    head = ("format: 1\nkind: request\nsegment: %s\nsender: %s\nsequence: %d\n"
            "created: %s\nexpires: %s\n" % (a.segment, kid, a.sequence, rfc3339(created),
                                             rfc3339(created + 30 * 86400)))
    csrs = read_csrs(a.csrs, a.count) if a.count else []
    stems = [b36(i) for i in range(len(csrs))]
    names = [s + ".csr" for s in stems]
    line = "csr: %s " + a.profile + "\n"
    if a.meta_size:
        meta_len = len(head) + sum(len(line % n) for n in names)
        short = a.meta_size - meta_len
        if short < 0:
            sys.exit("mkcaps: BUNDLE is already %d bytes, more than %d" % (meta_len, a.meta_size))
        for i in range(len(names)):
            if short == 0:
                break
            k = min(short, 100 - len(names[i]))
            names[i] = stems[i] + "_" * k + ".csr"
            short -= k
        if short:
            sys.exit("mkcaps: cannot reach a BUNDLE of %d bytes" % a.meta_size)
    members = list(zip(names, csrs))
    for spec in a.junk:
        name, _, size = spec.partition("=")
        members.append((name, b"x" * int(size)))
    if a.meta_junk:
        meta = b"x" * a.meta_junk
    else:
        meta = (head + "".join(line % n for n, _ in members)).encode()
        if a.meta_size and len(meta) != a.meta_size:
            sys.exit("mkcaps: BUNDLE is %d bytes, not %d" % (len(meta), a.meta_size))
    sums = "".join("%s  %s\n" % (hashlib.sha256(d).hexdigest(), n) for n, d in members)

    path = os.path.join(a.out, a.name + ".tar")
    with open(path, "wb") as f:
        everything = [("BUNDLE", meta), ("SHA256SUMS", sums.encode())] + members
        for i, (n, d) in enumerate(everything):
            f.write(header(n, len(d), created))
            if a.cut and i == len(everything) - 1:
                break
            f.write(d)
            if len(d) % 512:
                f.write(b"\0" * (512 - len(d) % 512))
        else:
            f.write(b"\0" * 1024)
        if a.pad_to:
            if f.tell() > a.pad_to:
                sys.exit("mkcaps: the archive is %d bytes, more than %d" % (f.tell(), a.pad_to))
            f.truncate(a.pad_to)
    sign(a, path)
    print(path)


def sign(a, path):
    comment = ("plantca-bundle kind=request segment=%s sender=%s sequence=%d file=%s"
               % (a.segment, keyid_text(a.pub), a.sequence, os.path.basename(path)))
    subprocess.run(["minisign", "-S", "-s", a.key, "-m", path, "-x", path + ".minisig",
                    "-t", comment], check=True, stdout=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "csrs":
        make_csrs(int(sys.argv[2]), sys.argv[3])
        return 0
    if len(sys.argv) < 2 or sys.argv[1] != "bundle":
        sys.exit(__doc__)
    ap = argparse.ArgumentParser(prog="mkcaps.py bundle")
    ap.add_argument("--key", required=True)
    ap.add_argument("--pub", required=True)
    ap.add_argument("--segment", required=True)
    ap.add_argument("--sequence", required=True, type=int)
    ap.add_argument("-o", dest="out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--csrs")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--profile", default="tls-client")
    ap.add_argument("--meta-size", type=int, default=0)
    ap.add_argument("--meta-junk", type=int, default=0)
    ap.add_argument("--junk", action="append", default=[])
    ap.add_argument("--cut", action="store_true")
    ap.add_argument("--pad-to", type=int, default=0)
    bundle(ap.parse_args(sys.argv[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
