#!/usr/bin/env python3
"""Build a PKCS#10 request (RFC 2986) whose subject holds exactly the bytes
and ASN.1 string types given, which `openssl req` cannot always make
(invalid UTF-8, a PrintableString with '@', an IA5String with 0xe9, control
bytes).  A tiny DER encoder builds CertificationRequestInfo; openssl signs
it with the key, so the self-signature is real.

  mkcsr_raw.py KEY.pem OUT.csr [--der] [--san dns:x,ip:1.2.3.4,uri:u,email:m]
               ATTR...

ATTR is NAME=TAG:VALUE, one attribute per RDN in the order given (most
significant first, as in OpenSSL's -subj).  NAME: C ST L O OU CN
serialNumber DC UID emailAddress or a dotted OID.  TAG: utf8 printable ia5
t61 bmp.  VALUE takes Python bytes escapes (\\x1b, \\xe2\\x80\\xae, \\\\).
KEY: an EC P-256 key (ecdsa-with-SHA256) or an Ed25519 key."""
import base64
import codecs
import ipaddress
import os
import subprocess
import sys
import tempfile

NAMES = {
    "C": "2.5.4.6", "ST": "2.5.4.8", "L": "2.5.4.7", "O": "2.5.4.10",
    "OU": "2.5.4.11", "CN": "2.5.4.3", "serialNumber": "2.5.4.5",
    "DC": "0.9.2342.19200300.100.1.25", "UID": "0.9.2342.19200300.100.1.1",
    "emailAddress": "1.2.840.113549.1.9.1",
}
TAGS = {"utf8": 0x0c, "printable": 0x13, "ia5": 0x16, "t61": 0x14, "bmp": 0x1e}


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7f]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7f))
            p >>= 7
        out += bytes(reversed(enc))
    return tlv(0x06, bytes(out))


def seq(*items):
    return tlv(0x30, b"".join(items))


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    key, out, rest = argv[1], argv[2], argv[3:]
    der_out, san, attrs = False, None, []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "--der":
            der_out = True
        elif a == "--san":
            i += 1
            san = rest[i]
        else:
            attrs.append(a)
        i += 1

    rdns = b""
    for a in attrs:
        name, spec = a.split("=", 1)
        tag, value = spec.split(":", 1)
        val = codecs.escape_decode(value.encode("utf-8"))[0]
        if tag == "bmp":                      # UCS-2 of the decoded text
            val = val.decode("utf-8").encode("utf-16-be")
        atv = seq(oid(NAMES.get(name, name)), tlv(TAGS[tag], val))
        rdns += tlv(0x31, atv)
    subject = tlv(0x30, rdns)

    spki = openssl("pkey", "-in", key, "-pubout", "-outform", "DER")
    ed25519 = b"\x06\x03\x2b\x65\x70" in spki[:16]

    attributes = b""
    if san:
        gns = b""
        for g in san.split(","):
            t, v = g.split(":", 1)
            if t == "dns":
                gns += tlv(0x82, v.encode())
            elif t == "uri":
                gns += tlv(0x86, v.encode())
            elif t == "email":
                gns += tlv(0x81, v.encode())
            elif t == "ip":
                gns += tlv(0x87, ipaddress.ip_address(v).packed)
            else:
                sys.exit("unknown SAN type " + t)
        ext = seq(oid("2.5.29.17"), tlv(0x04, seq(gns)))
        attributes = seq(oid("1.2.840.113549.1.9.14"), tlv(0x31, seq(ext)))
    info = seq(tlv(0x02, b"\x00"), subject, spki, tlv(0xa0, attributes))

    with tempfile.TemporaryDirectory() as d:
        tbs = os.path.join(d, "tbs")
        with open(tbs, "wb") as f:
            f.write(info)
        if ed25519:
            sig = openssl("pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", tbs)
            alg = seq(oid("1.3.101.112"))
        else:
            sig = openssl("dgst", "-sha256", "-sign", key, tbs)
            alg = seq(oid("1.2.840.10045.4.3.2"))
    csr = seq(info, alg, tlv(0x03, b"\x00" + sig))
    with open(out, "wb") as f:
        if der_out:
            f.write(csr)
        else:
            b64 = base64.b64encode(csr).decode()
            f.write(b"-----BEGIN CERTIFICATE REQUEST-----\n")
            for k in range(0, len(b64), 64):
                f.write(b64[k:k + 64].encode() + b"\n")
            f.write(b"-----END CERTIFICATE REQUEST-----\n")


if __name__ == "__main__":
    main(sys.argv)
