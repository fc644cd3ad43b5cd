#!/usr/bin/env python3
"""mkcertconf.py - test tool: a device's certConf (RFC 4210 §5.3.18) made
from a genuine one that `openssl cmp` sent, with one thing changed, for the
certConf table (certconf-cases.txt, t_certconf_cases.sh).

  mkcertconf.py --from CONF [--key KEY] [--signer CERT] [--txid HEX] [--hash HEX]
      [--hash-from CONF] [--hash-flip] [--accept] [--no-status] [--body pollreq|pkiconf]
      [--flip-sig] [--no-protection] [--append N] [--pad-to N]
      [--truncate N] -o OUT
  mkcertconf.py --garbage N -o OUT

CONF is a protected certConf as serve keeps it (ST/cmp/TXID.conf): a
PKIMessage whose header, body and extraCerts are kept as they are except
for what is asked.  --txid sets the transactionID, --signer
CERT makes CERT (PEM) the sender, its key identifier the senderKID and it
the first of extraCerts, --hash the certHash
(--hash-from CONF: CONF's certHash; --hash-flip flips its first byte), --accept makes the status accepted,
--no-status drops the statusInfo (an implicit acceptance), --body replaces
the certConf by another body.  With --key (the device's EC key, PEM) the
message is signed again (ecdsa-with-SHA256 over ProtectedPart ::=
SEQUENCE { header, body }, with the openssl CLI, as the genuine one is);
without it the old protection stays, so a change without --key breaks the
signature.  --flip-sig flips a byte of the protection, --no-protection
drops it, --append N adds N zero bytes after the message (--pad-to N: up to N
bytes in all), --truncate N
cuts N bytes off its end.  --garbage N writes N random bytes instead.
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
from der import read_tlv, tlv  # noqa: E402  (tests/tools/der.py)


def children(d):
    """The TLVs of a constructed value's content d, as (tag, whole TLV)."""
    out, i = [], 0
    while i < len(d):
        tag, s, e = read_tlv(d, i)
        out.append((tag, d[i:e], d[s:e]))
        i = e
    return out


def message_parts(d):
    """header TLV, body TLV, {tag: TLV} of protection and extraCerts"""
    _, s, e = read_tlv(d, 0)
    parts = children(d[s:e])
    return parts[0][1], parts[1][1], {tag: whole for tag, whole, _ in parts[2:]}


def cert_status(body):
    """the fields of the one CertStatus of a certConf body TLV"""
    seqof = children(body[read_tlv(body, 0)[1]:])[0][2]
    return children(children(seqof)[0][2])


def pem_der(path):
    return subprocess.run(['openssl', 'x509', '-in', path, '-outform', 'DER'],
                          stdout=subprocess.PIPE, check=True).stdout


def cert_subject_ski(der):
    """a certificate's subject Name TLV and subjectKeyIdentifier"""
    tbs = children(children(der[read_tlv(der, 0)[1]:])[0][2])
    subject = tbs[5][1]                        # [0] version, serial, alg, issuer, validity
    exts = children(children([x for x in tbs if x[0] == 0xa3][0][2])[0][2])
    for _, _, e in exts:
        f = children(e)
        if f[0][1] == bytes.fromhex('0603551d0e'):      # 2.5.29.14
            return subject, children(f[-1][2])[0][2]
    raise SystemExit('no subjectKeyIdentifier')


def sign(key, data):
    with tempfile.NamedTemporaryFile(dir=os.environ.get('TMPDIR')) as f:
        f.write(data)
        f.flush()
        return subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key, f.name],
                              stdout=subprocess.PIPE, check=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--from', dest='src')
    ap.add_argument('--key')
    ap.add_argument('--txid')
    ap.add_argument('--signer')
    ap.add_argument('--hash')
    ap.add_argument('--hash-from')
    ap.add_argument('--hash-flip', action='store_true')
    ap.add_argument('--accept', action='store_true')
    ap.add_argument('--no-status', action='store_true')
    ap.add_argument('--body', choices=['pollreq', 'pkiconf'])
    ap.add_argument('--flip-sig', action='store_true')
    ap.add_argument('--no-protection', action='store_true')
    ap.add_argument('--append', type=int, default=0)
    ap.add_argument('--pad-to', type=int, default=0)
    ap.add_argument('--truncate', type=int, default=0)
    ap.add_argument('--garbage', type=int)
    ap.add_argument('-o', required=True)
    a = ap.parse_args()
    if a.garbage is not None:
        with open(a.o, 'wb') as f:
            f.write(os.urandom(a.garbage))
        return
    parts = message_parts(open(a.src, 'rb').read())
    header, body, rest = parts[0], parts[1], parts[2]
    # header: the transactionID is [4] EXPLICIT OCTET STRING
    if a.txid is not None:
        h = children(header[read_tlv(header, 0)[1]:])
        h = [w if t != 0xa4 or i < 3 else tlv(0xa4, tlv(0x04, bytes.fromhex(a.txid)))
             for i, (t, w, _) in enumerate(h)]
        header = tlv(0x30, b''.join(h))
    # the signer: sender [4] directoryName, senderKID [2], extraCerts[0]
    if a.signer is not None:
        der = pem_der(a.signer)
        subject, ski = cert_subject_ski(der)
        h = children(header[read_tlv(header, 0)[1]:])
        h = [tlv(0xa4, subject) if i == 1 else tlv(0xa2, tlv(0x04, ski)) if t == 0xa2 else w
             for i, (t, w, _) in enumerate(h)]
        header = tlv(0x30, b''.join(h))
        others = children(children(rest[0xa1][read_tlv(rest[0xa1], 0)[1]:])[0][2])[1:]
        rest[0xa1] = tlv(0xa1, tlv(0x30, der + b''.join(w for _, w, _ in others)))
    # body: [24] CertConfirmContent ::= SEQUENCE OF CertStatus
    if a.body == 'pollreq':
        body = tlv(0xb9, tlv(0x30, tlv(0x30, b'\x02\x01\x00')))
    elif a.body == 'pkiconf':
        body = tlv(0xb3, b'\x05\x00')
    elif a.hash or a.hash_from or a.hash_flip or a.accept or a.no_status:
        cs = cert_status(body)
        cert_hash = bytes.fromhex(a.hash) if a.hash else cs[0][2]
        if a.hash_from:
            cert_hash = cert_status(message_parts(open(a.hash_from, 'rb').read())[1])[0][2]
        if a.hash_flip:
            cert_hash = bytes([cert_hash[0] ^ 1]) + cert_hash[1:]
        fields = [tlv(0x04, cert_hash), cs[1][1]]
        for t, w, _ in cs[2:]:
            if t == 0x30 and (a.accept or a.no_status):     # statusInfo
                if a.accept:
                    fields.append(tlv(0x30, b'\x02\x01\x00'))
                continue
            fields.append(w)
        body = tlv(0xb8, tlv(0x30, tlv(0x30, b''.join(fields))))
    prot = rest.get(0xa0)
    if a.key:
        prot = tlv(0xa0, tlv(0x03, b'\x00' + sign(a.key, tlv(0x30, header + body))))
    if a.flip_sig:
        prot = prot[:-5] + bytes([prot[-5] ^ 1]) + prot[-4:]
    if a.no_protection:
        prot = None
    out = tlv(0x30, header + body + (prot or b'') + rest.get(0xa1, b''))
    if a.truncate:
        out = out[:-a.truncate]
    out += b'\0' * a.append
    out += b'\0' * max(0, a.pad_to - len(out))
    with open(a.o, 'wb') as f:
        f.write(out)


if __name__ == '__main__':
    main()
