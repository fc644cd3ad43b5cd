#!/usr/bin/env python3
"""mkcsr_rsa_e.py - test tool: a correctly self-signed PKCS#10 request whose
RSA key has any public exponent, even ones OpenSSL will not make (a
4088-bit exponent of a 4096-bit key: slow to verify, the attack of issue 9
item 8).

  mkcsr_rsa_e.py KEY.pem (--e N | --e-bits B) --subject CN [--org O]
      [--country C] -o OUT.der

KEY.pem is an ordinary RSA private key (openssl genpkey); its primes are
kept and d recomputed for the new exponent (d = e^-1 mod lcm(p-1, q-1));
with --e-bits the exponent is the first odd B-bit number coprime to
lcm(p-1, q-1) from a fixed start, so reruns give the same request.  An even
--e or one not coprime has no d: the request is then signed with the key's
own d, so its self-signature does not verify (for refusal tests only).
The signature is sha256WithRSAEncryption (RFC 8017 section 8.2, EMSA-PKCS1-v1_5).
Only the standard library and the openssl CLI are needed.
"""
import argparse
import hashlib
import math
import subprocess
import sys


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")   # room for the sign bit
    return tlv(0x02, b)


def der_oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def seq(*xs):
    return tlv(0x30, b"".join(xs))


def rdn(oid, tag, text):
    return tlv(0x31, seq(der_oid(oid), tlv(tag, text.encode())))


def read_der(buf, off):
    tag = buf[off]
    n = buf[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[off:off + k], "big")
        off += k
    return tag, buf[off:off + n], off + n


def rsa_numbers(path):
    der = subprocess.run(["openssl", "rsa", "-in", path, "-outform", "DER", "-traditional"],
                         check=True, capture_output=True).stdout
    _, body, _ = read_der(der, 0)
    vals, off = [], 0
    while off < len(body):
        _, v, off = read_der(body, off)
        vals.append(int.from_bytes(v, "big"))
    # RSAPrivateKey (RFC 8017 A.1.2): version, n, e, d, p, q, ...
    return vals[1], vals[3], vals[4], vals[5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("key")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--e", type=int)
    g.add_argument("--e-bits", type=int)
    ap.add_argument("--subject", required=True)
    ap.add_argument("--org", default="Acme Plant")
    ap.add_argument("--country")
    ap.add_argument("-o", dest="out", required=True)
    a = ap.parse_args()

    n, d, p, q = rsa_numbers(a.key)
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    if a.e_bits:
        e = (1 << (a.e_bits - 1)) | 0x10001
        while math.gcd(e, lam) != 1:
            e += 2
    else:
        e = a.e
    if e % 2 == 1 and math.gcd(e, lam) == 1:
        d = pow(e, -1, lam)

    name = b""
    if a.country:
        name += rdn("2.5.4.6", 0x13, a.country)
    name += rdn("2.5.4.10", 0x0C, a.org) + rdn("2.5.4.3", 0x0C, a.subject)
    rsa_pub = seq(der_int(n), der_int(e))
    spki = seq(seq(der_oid("1.2.840.113549.1.1.1"), tlv(0x05, b"")),
               tlv(0x03, b"\x00" + rsa_pub))
    cri = seq(der_int(0), tlv(0x30, name), spki, tlv(0xA0, b""))
    alg = seq(der_oid("1.2.840.113549.1.1.11"), tlv(0x05, b""))
    # EMSA-PKCS1-v1_5 (RFC 8017 section 9.2): 00 01 FF.. 00 DigestInfo
    digest_info = seq(seq(der_oid("2.16.840.1.101.3.4.2.1"), tlv(0x05, b"")),
                      tlv(0x04, hashlib.sha256(cri).digest()))
    k = (n.bit_length() + 7) // 8
    em = b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info
    sig = pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")
    with open(a.out, "wb") as f:
        f.write(seq(cri, alg, tlv(0x03, b"\x00" + sig)))


if __name__ == "__main__":
    sys.exit(main())
