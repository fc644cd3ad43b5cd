#!/usr/bin/env python3
"""The chain of a device certificate, in order, for certtool --verify-chain
(t_decade): certtool wants the leaf, each issuer in turn and a self-signed
root last, but a station's chain.pem and trust.pem hold every CA key
generation still in use, both roots and both cross-certificates during a
root overlap, all under the same names.

  decade_chain.py TIME ANCHOR POOL.pem LEAF.pem OUT.pem [LEAF.pem OUT.pem ...]

TIME is the moment the chain is checked at (YYYY-MM-DD HH:MM:SS, UTC);
ANCHOR the station's current root (DIR/root.pem).  Each issuer is found by
key identifier (its subjectKeyIdentifier is the authorityKeyIdentifier of
the certificate below it) and name, and must be valid at TIME; of the paths
up to a self-signed certificate valid at TIME, the one ending at ANCHOR is
taken, the shortest one otherwise.  Prints one line per leaf: its path as
"subject keyid" hops.  Exits 1 when a leaf has no path (that is a finding:
the station's files do not carry the device up to a valid root)."""
import datetime
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


def main(argv):
    when = datetime.datetime.strptime(argv[1], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    anchor = load_all(argv[2])[0]
    pool = []
    for c in load_all(argv[3]):
        if c not in pool:
            pool.append(c)
    rc = 0
    pairs = argv[4:]
    for leaf_path, out in zip(pairs[0::2], pairs[1::2]):
        leaf = load_all(leaf_path)[0]
        found = list(paths(leaf, pool, when, frozenset()))
        if not found:
            print("%s: no path to a valid root at %s" % (leaf_path, argv[1]))
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


if __name__ == "__main__":
    sys.exit(main(sys.argv))
