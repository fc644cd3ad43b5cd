#!/usr/bin/env python3
"""make-bad-station-pki.py - the broken certificates and CRLs of the tables
bad-station-cert.txt and bad-station-crl.txt (test_station_pki.c), made by
editing the DER of valid seeds of the fuzz corpora:

    tests/unit/station/make-bad-station-pki.py [CORPUS_ROOT]

CORPUS_ROOT defaults to tests/fuzz/corpus.  Reads
fuzz_station_cert/valid-opcua.der (a v3 leaf signed by the fuzz station
root) and fuzz_station_crl/valid-empty.crl, valid-revoked.crl and
valid-v1.crl; writes bad-*.der / bad-*.pem / bad-*.crl next to them, one
for each refusal of the station's certificate reader (st_cert_load,
transfer/station/certs.c over pkix_cert_parse) and CRL reader
(st_crl_parse over pkix_crl_parse).  The edits are deterministic: the same
seeds give the same files, except the bad-signed-* ones: those are signed
again with the station root's key (tests/fuzz/keys/p256.pem, by the openssl
CLI; ECDSA nonces are random), so that what refuses them is the check of
the rule they break, not of the signature.  make-station-seeds.sh runs this
after it regenerates the seeds (it empties the corpora first).

Every file written here needs its row in the table; the table test fails on
a bad-* file without one.
"""
import base64
import os
import subprocess
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz", "corpus")
root_key = os.path.join(root, "..", "keys", "p256.pem")
cert_dir = os.path.join(root, "fuzz_station_cert")
crl_dir = os.path.join(root, "fuzz_station_crl")


def tlv(b, i):
    """(tag, header length, content length) of the TLV at b[i]."""
    n = b[i + 1]
    if n < 0x80:
        return b[i], 2, n
    k = n & 0x7F
    return b[i], 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")


def enc(tag, c):
    n = len(c)
    if n < 0x80:
        return bytes([tag, n]) + c
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + c


def items(b):
    """The TLVs of a content, whole."""
    out, i = [], 0
    while i < len(b):
        _, h, n = tlv(b, i)
        out.append(b[i:i + h + n])
        i += h + n
    return out


def content(x):
    _, h, n = tlv(x, 0)
    return x[h:h + n]


def pem(label, der):
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)).encode()


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def ext(oid, value, critical=False):
    return enc(0x30, oid + (b"\x01\x01\xff" if critical else b"") + enc(0x04, value))


def sign(tbs):
    """An ECDSA-with-SHA256 signature by the station root's key, as a BIT STRING."""
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", root_key], input=tbs,
                         stdout=subprocess.PIPE, check=True).stdout
    return enc(0x03, b"\0" + sig)


OID_UNKNOWN = bytes.fromhex("06032a0304")            # 1.2.3.4
OID_SAN = bytes.fromhex("0603551d11")
OID_BC = bytes.fromhex("0603551d13")                 # basicConstraints
OID_CRL_NUMBER = bytes.fromhex("0603551d14")
OID_DELTA = bytes.fromhex("0603551d1b")              # deltaCRLIndicator
OID_CERT_ISSUER = bytes.fromhex("0603551d1d")        # certificateIssuer (entry)

# ------------------------------------------------------------ certificates

leaf = open(os.path.join(cert_dir, "valid-opcua.der"), "rb").read()
cert_items = items(content(leaf))             # tbsCertificate, signatureAlgorithm, signature
tbs = items(content(cert_items[0]))           # version, serial, sigalg, issuer, validity,
assert [x[0] for x in tbs] == [0xA0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30, 0xA3]
VER, SERIAL, SIGALG, ISSUER, VALIDITY, SUBJECT, SPKI, EXTS = range(8)


def cert(t, alg=None, sig=None):
    """A certificate of the TBS items t (the signature no longer matches)."""
    return enc(0x30, enc(0x30, b"".join(t)) + (alg or cert_items[1]) + (sig or cert_items[2]))


def tbs_with(k, v):
    t = list(tbs)
    t[k] = v
    return t


assert cert(tbs) == leaf
c = {}
# the outer framing: not a SEQUENCE; a BIT STRING with unused bits
c["bad-outer-set.der"] = b"\x31" + leaf[1:]
c["bad-sig-unused-bits.der"] = cert(tbs, sig=enc(0x03, b"\x01" + content(cert_items[2])[1:]))
# the TBS fields, one at a time
c["bad-version-int.der"] = cert(tbs_with(VER, enc(0xA0, b"\x04\x01\x02")))
c["bad-version-long-form.der"] = cert(tbs_with(VER, b"\xa0\x81\x03\x02\x01\x02"))
c["bad-serial-empty.der"] = cert(tbs_with(SERIAL, b"\x02\x00"))
alg = bytearray(tbs[SIGALG])
alg[-1] ^= 0x01                                # ecdsa-with-SHA256 -> another OID
c["bad-sigalg-differ.der"] = cert(tbs_with(SIGALG, bytes(alg)))
c["bad-issuer-set.der"] = cert(tbs_with(ISSUER, b"\x31" + tbs[ISSUER][1:]))
nb = items(content(tbs[VALIDITY]))
c["bad-validity-octets.der"] = cert(tbs_with(VALIDITY, enc(0x30, b"\x04" + nb[0][1:] + nb[1])))
c["bad-subject-int.der"] = cert(tbs_with(SUBJECT, b"\x02" + tbs[SUBJECT][1:]))
c["bad-spki-octets.der"] = cert(tbs_with(SPKI, b"\x04" + tbs[SPKI][1:]))
c["bad-unique-id.der"] = cert(tbs[:EXTS] + [b"\x81\x02\x00\x01"] + tbs[EXTS:])
c["bad-tbs-trailing.der"] = cert(tbs + [b"\x05\x00"])
c["bad-v1-extensions.der"] = cert(tbs[SERIAL:])
c["bad-extensions-null.der"] = cert(tbs_with(EXTS, b"\xa3\x02\x05\x00"))
c["bad-extensions-empty.der"] = cert(tbs_with(EXTS, b"\xa3\x02\x30\x00"))
c["bad-extension-no-oid.der"] = cert(tbs_with(EXTS, enc(0xA3, enc(0x30, enc(0x30, b"\x05\x00")))))
many = b"".join(ext(OID_UNKNOWN, bytes([0x04, 0x01, i])) for i in range(33))
c["bad-extensions-33.der"] = cert(tbs_with(EXTS, enc(0xA3, enc(0x30, many))))
c["bad-bc-int.der"] = cert(tbs_with(EXTS, enc(0xA3, enc(0x30, ext(OID_BC, b"\x02\x01\x01", True)))))
# signed again by the root: two subjectAltName extensions (RFC 5280 §4.2);
# a critical extension nobody knows
ext_items = items(content(content(tbs[EXTS])))
twin = ext_items + [ext(OID_SAN, enc(0x30, enc(0x82, b"b.plant.local")))]
t = tbs_with(EXTS, enc(0xA3, enc(0x30, b"".join(twin))))
c["bad-signed-twin-san.der"] = enc(0x30, enc(0x30, b"".join(t)) + cert_items[1] +
                                   sign(enc(0x30, b"".join(t))))
crit = ext_items + [ext(OID_UNKNOWN, b"\x05\x00", True)]
t = tbs_with(EXTS, enc(0xA3, enc(0x30, b"".join(crit))))
c["bad-signed-unknown-critical.der"] = enc(0x30, enc(0x30, b"".join(t)) + cert_items[1] +
                                           sign(enc(0x30, b"".join(t))))
# the station's own size cap: 64 KiB + 1 byte, whatever the bytes
c["bad-too-big.der"] = leaf + b"\0" * (64 * 1024 + 1 - len(leaf))
# PEM text around one certificate
p = pem("CERTIFICATE", leaf)
c["bad-pem-text-after.pem"] = p + b"more text\n"
c["bad-pem-begin.pem"] = p.replace(b"-----BEGIN CERTIFICATE-----", b"-----BEGIN CERTIFICATE\n", 1)
c["bad-pem-empty-body.pem"] = b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"
c["bad-pem-inner-garbage.pem"] = pem("CERTIFICATE", b"\x30\x03\x02\x01\x01")
for name, data in c.items():
    write(cert_dir, name, data)

# -------------------------------------------------------------------- CRLs

crl_empty = open(os.path.join(crl_dir, "valid-empty.crl"), "rb").read()
crl_rev = open(os.path.join(crl_dir, "valid-revoked.crl"), "rb").read()
crl_v1 = open(os.path.join(crl_dir, "valid-v1.crl"), "rb").read()


def split_crl(d):
    top = items(content(d))
    return items(content(top[0])), top[1], top[2]


def crl(t, alg, sig):
    return enc(0x30, enc(0x30, b"".join(t)) + alg + sig)


et, ealg, esig = split_crl(crl_empty)         # version, sigalg, issuer, this, next, [0] exts
assert [x[0] for x in et] == [0x02, 0x30, 0x30, 0x17, 0x18, 0xA0] and crl(et, ealg, esig) == crl_empty
rt, ralg, rsig = split_crl(crl_rev)           # ... revokedCertificates before [0]
assert rt[5][0] == 0x30
vt, valg, vsig = split_crl(crl_v1)            # issuer? v1: sigalg, issuer, this, next
assert vt[0][0] == 0x30
r = {}
r["bad-outer-set.crl"] = b"\x31" + crl_empty[1:]
r["bad-version-3.crl"] = crl([b"\x02\x01\x02"] + et[1:], ealg, esig)
alg = bytearray(et[1])
alg[-1] ^= 0x01
r["bad-sigalg-differ.crl"] = crl([et[0], bytes(alg)] + et[2:], ealg, esig)
r["bad-next-update-text.crl"] = crl(et[:4] + [b"\x17\x0dnot-a-time!!Z"] + et[5:], ealg, esig)
# revokedCertificates: an entry without its date; one with a critical
# certificateIssuer (an indirect CRL)
entry = items(content(rt[5]))[0]
serial = items(content(entry))[0]
r["bad-entry-no-date.crl"] = crl(rt[:5] + [enc(0x30, enc(0x30, serial))] + rt[6:], ralg, rsig)
indirect = enc(0x30, serial + items(content(entry))[1] +
               enc(0x30, ext(OID_CERT_ISSUER, enc(0x30, b"\x82\x01x"), True)))
r["bad-entry-indirect.crl"] = crl(rt[:5] + [enc(0x30, indirect)] + rt[6:], ralg, rsig)
# crlExtensions: in a v1 CRL; an empty list; cRLNumber twice; a critical delta
num = ext(OID_CRL_NUMBER, b"\x02\x01\x07")
r["bad-v1-extensions.crl"] = crl(vt + [enc(0xA0, enc(0x30, num))], valg, vsig)
r["bad-extensions-empty.crl"] = crl(et[:5] + [b"\xa0\x02\x30\x00"], ealg, esig)
r["bad-extension-no-oid.crl"] = crl(et[:5] + [enc(0xA0, enc(0x30, enc(0x30, b"\x05\x00")))], ealg, esig)
r["bad-crl-number-twice.crl"] = crl(et[:5] + [enc(0xA0, enc(0x30, num + num))], ealg, esig)
r["bad-delta-critical.crl"] = crl(et[:5] + [enc(0xA0, enc(0x30, num + ext(OID_DELTA, b"\x02\x01\x06", True)))],
                                  ealg, esig)
# a CRL whose issuer is not the station root: the CN's last letter changed
# (the parse accepts it; the check against the root refuses it)
iss = bytearray(et[2])
k = bytes(iss).rindex(b"Root")
iss[k + 3] = ord("X")
r["bad-sig-other-issuer.crl"] = crl(et[:2] + [bytes(iss)] + et[3:], ealg, esig)
# signed again by the root, without nextUpdate (RFC 5280 §5.1.2.5: MUST be there)
t = et[:4] + et[5:]
r["bad-signed-no-next-update.crl"] = enc(0x30, enc(0x30, b"".join(t)) + ealg + sign(enc(0x30, b"".join(t))))
r["bad-pem-base64.crl"] = pem("X509 CRL", crl_empty).replace(b"\n", b"\n*", 1)
for name, data in r.items():
    write(crl_dir, name, data)
print("%d certificates in %s, %d CRLs in %s" % (len(c), cert_dir, len(r), crl_dir))
