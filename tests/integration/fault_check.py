#!/usr/bin/env python3
"""fault_check.py - test tool of t_fault_sweep: no certificate and no CRL
outside the store.

  fault_check.py CERTS.json CAS.json CRLS-SEEN ROOT...
  fault_check.py --serve     the same for each line of arguments on stdin
                             (blank-separated), one answer line each:
                             "ok LEAVES TLS-CLIENT" (the store's leaf
                             certificates, and those of profile tls-client)
                             or the problems joined by " | " (one start of
                             Python for a whole sweep)

CERTS.json is `plantca --json certs` (the certificates the store issued),
CAS.json `plantca --json ca list` (the CAs', by SHA-256 fingerprint).  Every file under each ROOT is read whole, complete or not
(a temporary file a kill left behind, a tar member, a PEM file of many
certificates): each PEM certificate in it, and each file that is one DER
certificate, must be in the store (its serial, or a CA's fingerprint); each CRL (PEM, or a file
that is one DER CRL) is noted in CRLS-SEEN as "ISSUER NUMBER SHA256", and
a CRL number of an issuer seen before with other bytes is an error (a CRL
signed but not recorded, whose number the store then gave again).  A
ROOT that does not exist is skipped.  Prints one line per problem and
exits 1 if there was any.
"""
import hashlib
import json
import os
import re
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

PEM = re.compile(rb"-----BEGIN (CERTIFICATE|X509 CRL)-----\r?\n[A-Za-z0-9+/=\r\n]*?-----END \1-----")
# the store itself: LMDB, the token, and HOME/crl/current (the CRLs the
# store pins by SHA-256; a file there that no record pins yet never left
# the store, and the next CRL of that number replaces it)
SKIP_DIRS = {"db", "tokens", "current"}


# (path, size, mtime) -> what the file holds: the worlds of a sweep are
# copies (cp -a) of one, so most files are read once per sweep
CACHE = {}


def items_of(p):
    st = os.stat(p)
    key = (p, st.st_size, st.st_mtime_ns)
    if key in CACHE:
        return CACHE[key]
    data = open(p, "rb").read()
    items = []

    def crl(c, raw):
        try:
            num = str(c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        except x509.ExtensionNotFound:
            items.append(("crl-nonum",))
            return
        items.append(("crl", c.issuer.rfc4514_string(), num, hashlib.sha256(raw).hexdigest()))

    def cert(c):
        items.append(("cert", format(c.serial_number, "x"), c.fingerprint(hashes.SHA256()).hex()))

    for m in PEM.finditer(data):
        try:
            if m.group(1) == b"CERTIFICATE":
                cert(x509.load_pem_x509_certificate(m.group(0)))
            else:
                c = x509.load_pem_x509_crl(m.group(0))
                crl(c, c.public_bytes(Encoding.DER))
        except ValueError:
            pass   # a block cut short by a kill: no certificate
    if data[:1] == b"\x30":
        try:
            cert(x509.load_der_x509_certificate(data))
        except ValueError:
            try:
                crl(x509.load_der_x509_crl(data), data)
            except ValueError:
                pass
    CACHE[key] = items
    return items


def check(argv, counts=None):
    certs = json.load(open(argv[0]))
    known = {c["serial"].lower().lstrip("0") for c in certs}
    if counts is not None:
        counts.append(sum(c["kind"] == "leaf" for c in certs))
        counts.append(sum(c["profile"] == "tls-client" for c in certs))
    cas = {c["sha256"].replace(":", "").lower() for c in json.load(open(argv[1]))}
    seen_path = argv[2]
    seen = {}
    if os.path.exists(seen_path):
        for line in open(seen_path):
            iss, num, h = line.rstrip("\n").rsplit(" ", 2)
            seen[(iss, num)] = h
    problems = []
    new = []
    if len(known) != len(certs):
        problems.append("a serial appears twice in the store")

    for root in argv[3:]:
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            for f in files:
                p = os.path.join(d, f)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                for it in items_of(p):
                    if it[0] == "cert":
                        if it[1] not in known and it[2] not in cas:
                            problems.append("%s: certificate serial %s is not in the store" % (p, it[1]))
                    elif it[0] == "crl-nonum":
                        problems.append("%s: CRL without a number" % p)
                    else:
                        iss, num, h = it[1:]
                        old = seen.get((iss, num))
                        if old is not None and old != h:
                            problems.append("%s: CRL number %s of %s seen before with other bytes" % (p, num, iss))
                        elif old is None:
                            seen[(iss, num)] = h
                            new.append("%s %s %s\n" % (iss, num, h))
    with open(seen_path, "a") as f:
        f.writelines(new)
    return problems


def main():
    if sys.argv[1:] == ["--serve"]:
        for line in sys.stdin:
            counts = []
            try:
                problems = check(line.split(), counts)
            except Exception as x:      # a file that vanished, bad JSON
                problems = ["fault_check: %r" % x]
            print(" | ".join(problems) if problems else "ok %d %d" % tuple(counts), flush=True)
        return
    problems = check(sys.argv[1:])
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
