#!/usr/bin/env python3
"""What t_decade reads from the store and the stations' files each year, in
one run of Python a year (the test's thirty years would otherwise start
hundreds of interpreters).

  decade.py facts CERTS.json CALIST.json TIME
      CERTS.json and CALIST.json are `plantca --json certs` and `plantca
      --json ca list`.  Prints bash assignments to the associative arrays
      the test declares: CUR[SEG/DEV]=SERIAL for every device's current
      certificate (valid, not superseded: exactly one per device, or it
      fails), REV[SEG/DEV]=SERIAL for a revoked certificate whose notAfter
      is after TIME (it would still be valid: the handshake must refuse
      it), GEN[NAME]="3(2c,1r)" for each CA and the root (current
      generation; replaced ones c: signs only its CRL, r: retired).

  decade.py chain TIME ANCHOR POOL.pem LEAF.pem OUT.pem [LEAF.pem OUT.pem ...]
            [-- ANCHOR POOL.pem LEAF.pem OUT.pem ...]
      The chain of a device certificate, in order, for certtool
      --verify-chain: certtool wants the leaf, each issuer in turn and a
      self-signed root last, but a station's chain.pem and trust.pem hold
      every CA key generation still in use, and during a root overlap both
      roots and both cross-certificates, all under the same names.  Each
      issuer is found by key identifier (its subjectKeyIdentifier is the
      authorityKeyIdentifier of the certificate below it) and name, and
      must be valid at TIME; of the paths up to a self-signed certificate
      valid at TIME, the one ending at ANCHOR (the station's DIR/root.pem)
      is taken, the shortest one otherwise.  Prints each leaf's path;
      exits 1 when a leaf has none (a finding: the station's files do not
      carry the device up to a valid root).

TIME is YYYY-MM-DD HH:MM:SS, UTC."""
import datetime
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID


def load_all(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificates(f.read())


def ext(c, oid):
    try:
        return c.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def ski(c):
    v = ext(c, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    return v.digest if v else None


def aki(c):
    v = ext(c, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    return v.key_identifier if v else None


def valid(c, when):
    return c.not_valid_before_utc <= when <= c.not_valid_after_utc


def self_signed(c):
    return c.subject == c.issuer and (aki(c) is None or aki(c) == ski(c))


def paths(c, pool, when, seen):
    """Every path from c's issuer up to a valid self-signed certificate."""
    for p in pool:
        if p in seen or p.subject != c.issuer or ski(p) != aki(c) or not valid(p, when):
            continue
        if self_signed(p):
            yield [p]
            continue
        for rest in paths(p, pool, when, seen | {p}):
            yield [p] + rest


def when_of(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)


def facts(certs_path, calist_path, when):
    with open(certs_path, encoding="utf-8") as f:
        certs = json.load(f)
    with open(calist_path, encoding="utf-8") as f:
        cas = json.load(f)
    cur = {}
    for c in certs:
        if c["kind"] != "leaf":
            continue
        dev = "%s/%s" % (c["segment"], c["subject"].split(",")[0].removeprefix("CN="))
        if c["status"] == "valid" and "superseded_by" not in c:
            if dev in cur:
                raise SystemExit("%s: two current certificates, %s and %s" % (dev, cur[dev], c["serial"]))
            cur[dev] = c["serial"]
            print("CUR[%s]=%s" % (dev, c["serial"]))
        na = datetime.datetime.strptime(c["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        if "revoked" in c and na > when:
            print("REV[%s]=%s" % (dev, c["serial"]))
    for c in cas:
        old = ",".join("%d%s" % (g["generation"], "r" if g["state"] == "retired" else "c")
                       for g in c["generations"])
        print("GEN[%s]='%d%s'" % (c["name"], c["generation"], "(" + old + ")" if old else ""))
    return 0


def chains(when, args):
    rc = 0
    groups = [[]]
    for a in args:
        if a == "--":
            groups.append([])
        else:
            groups[-1].append(a)
    for g in groups:
        anchor = load_all(g[0])[0]
        pool = []
        for c in load_all(g[1]):
            if c not in pool:
                pool.append(c)
        for leaf_path, out in zip(g[2::2], g[3::2]):
            leaf = load_all(leaf_path)[0]
            found = list(paths(leaf, pool, when, frozenset()))
            if not found:
                print("%s: no path to a valid root at %s" % (leaf_path, when))
                rc = 1
                continue
            found.sort(key=lambda p: (p[-1] != anchor, len(p)))
            chain = [leaf] + found[0]
            with open(out, "wb") as f:
                for c in chain:
                    f.write(c.public_bytes(Encoding.PEM))
            print(" <- ".join("%s %s" % (c.subject.rfc4514_string(), (ski(c) or b"").hex()[:8])
                              for c in chain))
    return rc


def main(argv):
    if len(argv) == 5 and argv[1] == "facts":
        return facts(argv[2], argv[3], when_of(argv[4]))
    if len(argv) >= 7 and argv[1] == "chain":
        return chains(when_of(argv[2]), argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
