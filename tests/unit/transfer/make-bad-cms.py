#!/usr/bin/env python3
"""make-bad-cms.py - write bad-cms.txt, the table of firmware signature
inputs for test_fw_cms.c (fw_cms_parse, transfer/fwverify.h, on
pkix_cms_parse, pkix/cms.h).

Each case is a DER structure built here from a well-formed firmware
signature with one thing changed; the certificates are tiny stand-ins
(30 03 02 01 0N), as the reader looks at the shape only.  Run it again
after changing a case: python3 make-bad-cms.py > bad-cms.txt
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from der import tlv  # noqa: E402  (tests/tools/der.py)


def seq(*xs): return tlv(0x30, b''.join(xs))
def set_(*xs): return tlv(0x31, b''.join(xs))
def ctx(n, *xs): return tlv(0xa0 | n, b''.join(xs))
def integer(v): return tlv(0x02, bytes([v]))
def octets(b): return tlv(0x04, b)
def null(): return b'\x05\x00'


def oid(dotted):
    arcs = [int(a) for a in dotted.split('.')]
    out = bytes([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7f]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7f))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, out)


SIGNED_DATA, DATA = '1.2.840.113549.1.7.2', '1.2.840.113549.1.7.1'
CT, MD, ST = '1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.5'
PKG, TGT = '1.2.840.113549.1.9.16.2.35', '1.2.840.113549.1.9.16.2.36'
SHA256, SHA384, SHA1 = '2.16.840.1.101.3.4.2.1', '2.16.840.1.101.3.4.2.2', '1.3.14.3.2.26'
ECDSA_SHA256 = '1.2.840.10045.4.3.2'


def algid(o, params=b''): return seq(oid(o), params)
def attr(o, *values): return seq(oid(o), set_(*values))
def cert(n): return seq(integer(n))


def utctime(s='261201120000Z'): return tlv(0x17, s.encode())
def pkg_id(text=b'pump:1.3.0', *more): return seq(octets(text), *more)


def std_attrs(md=b'\x11' * 32):
    return [attr(CT, oid(DATA)), attr(MD, octets(md)), attr(ST, utctime()),
            attr(PKG, pkg_id())]


def cms(attrs=None, digest_algs=None, si_digest=None, version=1, eci=None,
        certs=None, crls=None, signer_infos=None, si_version=1, sid=None,
        sigalg=None, sig=octets(b'\x30\x00'), si_extra=b'', signed_attrs=None,
        ci_type=SIGNED_DATA, sd_extra=b'', wrap=None):
    attrs = std_attrs() if attrs is None else attrs
    dh = algid(SHA256) if si_digest is None else si_digest
    digest_algs = set_(algid(SHA256)) if digest_algs is None else digest_algs
    eci = seq(oid(DATA)) if eci is None else eci
    certs = ctx(0, cert(1), cert(2)) if certs is None else certs
    sid = seq(seq(set_(seq(oid('2.5.4.3'), tlv(0x0c, b'CA')))), integer(1)) if sid is None else sid
    sigalg = algid(ECDSA_SHA256) if sigalg is None else sigalg
    sa = tlv(0xa0, b''.join(attrs)) if signed_attrs is None else signed_attrs
    if signer_infos is None:
        si = seq(integer(si_version), sid, dh, sa, sigalg, sig, si_extra)
        signer_infos = set_(si)
    sd = seq(integer(version), digest_algs, eci, certs, crls or b'', signer_infos, sd_extra)
    body = ctx(0, sd) if wrap is None else wrap(sd)
    return seq(oid(ci_type), body)


def without(attrs, o):
    enc = oid(o)
    return [a for a in attrs if enc not in a[:len(enc) + 4]]


A = std_attrs()
M = 'malformed signature: '
cases = [
    # the well-formed ones
    ('ok', 'ok', cms(), ''),
    ('ok-targets', 'ok', cms(attrs=A + [attr(TGT, seq(oid('1.3.6.1.4.1.99999.1.7')))]), ''),
    ('ok-null-digest-params', 'ok', cms(digest_algs=set_(algid(SHA256, null())),
                                         si_digest=algid(SHA256, null())), ''),
    ('ok-unsigned-attrs', 'ok', cms(si_extra=tlv(0xa1, attr(CT, oid(DATA)))), ''),
    # the frame (pkix/cms.c)
    ('empty', 'input', b'', M + 'empty'),
    ('not-sequence', 'input', octets(b'x'), M + 'ContentInfo is not a DER SEQUENCE'),
    ('indefinite', 'input', b'\x30\x80' + cms()[2:] + b'\x00\x00',
     M + 'ContentInfo is not a DER SEQUENCE'),
    ('trailing-byte', 'input', cms() + b'\x00', M + 'bytes after the ContentInfo'),
    ('not-signed-data', 'input', cms(ci_type=DATA), M + 'contentType is not id-signedData'),
    ('content-not-explicit', 'input', cms(wrap=lambda sd: ctx(1, sd)),
     M + 'content is not [0] EXPLICIT'),
    ('content-two', 'input', cms(wrap=lambda sd: ctx(0, sd, sd)),
     M + 'content is not one SignedData SEQUENCE'),
    ('version-3', 'input', cms(version=3), M + 'SignedData version is not 1'),
    ('digest-algs-not-set', 'input', cms(digest_algs=seq(algid(SHA256))),
     M + 'digestAlgorithms missing'),
    ('digest-sha1', 'input', cms(digest_algs=set_(algid(SHA1))),
     M + 'unsupported digest algorithm (sha256, sha384, sha512 only)'),
    ('digest-params', 'input', cms(digest_algs=set_(algid(SHA256, integer(0)))),
     M + 'unsupported digest algorithm (sha256, sha384, sha512 only)'),
    ('digest-two', 'input', cms(digest_algs=set_(algid(SHA256), algid(SHA384))),
     M + 'more than one digest algorithm'),
    ('digest-none', 'input', cms(digest_algs=set_()), M + 'no digest algorithm'),
    ('econtent-type', 'input', cms(eci=seq(oid(SIGNED_DATA))),
     M + 'encapsulated content type is not id-data'),
    ('econtent-embedded', 'input', cms(eci=seq(oid(DATA), ctx(0, octets(b'fw')))),
     M + 'content is embedded; the signature must be detached'),
    ('no-certs', 'input', cms(certs=b''), M + 'no certificates (the signer\'s chain must be included)'),
    ('cert-not-sequence', 'input', cms(certs=ctx(0, cert(1), integer(2))),
     M + 'a certificate is not a SEQUENCE'),
    ('certs-9', 'limit', cms(certs=ctx(0, *[cert(i) for i in range(1, 10)])),
     'signature carries more than 8 certificates'),
    ('crls', 'input', cms(crls=ctx(1, seq())),
     M + 'CRLs inside the signature are not supported; pass them with --crl'),
    ('signer-infos-missing', 'input', cms(signer_infos=b''),
     M + 'signerInfos missing or followed by other data'),
    ('after-signer-infos', 'input', cms(sd_extra=null()),
     M + 'signerInfos missing or followed by other data'),
    ('signer-none', 'input', cms(signer_infos=set_()), M + 'no SignerInfo'),
    ('signer-two', 'input', cms(signer_infos=set_(seq(), seq())), M + 'more than one SignerInfo'),
    ('signer-version-3', 'input', cms(si_version=3),
     M + 'SignerInfo version is not 1 (issuerAndSerialNumber)'),
    ('sid-ski', 'input', cms(sid=tlv(0x80, b'\x01' * 20)),
     M + 'signer identifier is not issuerAndSerialNumber'),
    ('sid-empty-serial', 'input', cms(sid=seq(seq(), tlv(0x02, b''))),
     M + 'signer identifier is not issuerAndSerialNumber'),
    ('si-digest-differs', 'input', cms(si_digest=algid(SHA384)),
     M + 'signer\'s digest algorithm differs from digestAlgorithms'),
    ('no-signed-attrs', 'input', cms(signed_attrs=b''), M + 'no signed attributes'),
    ('attr-not-sequence', 'input', cms(attrs=A + [octets(b'x')]),
     M + 'a signed attribute is not SEQUENCE { OID, SET }'),
    ('attr-two-values', 'input', cms(attrs=[attr(CT, oid(DATA), oid(DATA))] + A[1:]),
     M + 'a signed attribute does not have exactly one value'),
    ('attr-no-value', 'input', cms(attrs=[attr(CT)] + A[1:]),
     M + 'a signed attribute does not have exactly one value'),
    ('content-type-not-data', 'input', cms(attrs=[attr(CT, oid(SIGNED_DATA))] + A[1:]),
     M + 'content type is not id-data'),
    ('digest-not-octets', 'input', cms(attrs=[A[0], attr(MD, integer(1))] + A[2:]),
     M + 'message digest is not an OCTET STRING'),
    ('signing-time-bad', 'input', cms(attrs=A[:2] + [attr(ST, utctime('2612011200Z'))] + A[3:]),
     M + 'signing time is not a UTCTime/GeneralizedTime'),
    ('attr-unknown', 'input', cms(attrs=A + [attr('1.2.3.4', null())]),
     M + 'unknown signed attribute 1.2.3.4'),
    ('attr-twice', 'input', cms(attrs=A + [A[1]]), M + 'a signed attribute appears twice'),
    ('pkg-twice', 'input', cms(attrs=A + [A[3]]), M + 'a signed attribute appears twice'),
    ('no-content-type', 'input', cms(attrs=without(A, CT)),
     M + 'content type or message digest attribute missing'),
    ('no-digest', 'input', cms(attrs=without(A, MD)),
     M + 'content type or message digest attribute missing'),
    ('no-signing-time', 'input', cms(attrs=without(A, ST)), M + 'no signing time'),
    ('digest-length', 'input', cms(attrs=[A[0], attr(MD, octets(b'\x11' * 48))] + A[2:]),
     M + 'message digest length does not match the digest algorithm'),
    ('no-sigalg', 'input', cms(sigalg=b'', sig=b''), M + 'signature algorithm missing'),
    ('sig-empty', 'input', cms(sig=octets(b'')), M + 'signature value missing'),
    ('si-trailing', 'input', cms(si_extra=null()), M + 'SignerInfo has trailing data'),
    # the firmware attributes (transfer/fwverify.c)
    ('no-package', 'input', cms(attrs=without(A, PKG)),
     M + 'no firmware package identifier (RFC 4108 §2.2.3): not a firmware signature'),
    ('pkg-not-sequence', 'input', cms(attrs=A[:3] + [attr(PKG, octets(b'pump:1.3.0'))]),
     M + 'firmware package identifier is not a SEQUENCE'),
    ('pkg-preferred', 'input', cms(attrs=A[:3] + [attr(PKG, seq(seq(oid('1.2.3'), integer(1))))]),
     M + 'firmware package identifier in the preferred (OID) form: plantca signs and reads the '
     'legacy "PACKAGE:VERSION" form'),
    ('pkg-stale', 'input', cms(attrs=A[:3] + [attr(PKG, pkg_id(b'pump:1.3.0', integer(1)))]),
     M + 'firmware package identifier: \'stale\' is not supported'),
    ('pkg-not-octets', 'input', cms(attrs=A[:3] + [attr(PKG, seq(integer(1)))]),
     M + 'firmware package identifier: name is not an OCTET STRING'),
    ('pkg-unprintable', 'input', cms(attrs=A[:3] + [attr(PKG, pkg_id(b'pu\nmp:1.3'))]),
     M + 'firmware package identifier is empty or not printable ASCII'),
    ('pkg-no-colon', 'input', cms(attrs=A[:3] + [attr(PKG, pkg_id(b'pump-1.3'))]),
     M + 'firmware package identifier lacks \':\' between package and version'),
    ('pkg-name-long', 'input', cms(attrs=A[:3] + [attr(PKG, pkg_id(b'p' * 65 + b':1'))]),
     M + 'firmware package identifier: package or version too long or empty'),
    ('pkg-version-bad', 'input', cms(attrs=A[:3] + [attr(PKG, pkg_id(b'pump:1.03'))]),
     M + 'firmware package identifier: version \'1.03\': expected dotted numbers like '
     '1.3.0 (no leading zeros)'),
    ('targets-empty', 'input', cms(attrs=A + [attr(TGT, seq())]),
     M + 'empty target hardware identifiers'),
    ('target-not-oid', 'input', cms(attrs=A + [attr(TGT, seq(integer(1)))]),
     M + 'a target hardware identifier is not an OID'),
    ('targets-65', 'limit', cms(attrs=A + [attr(TGT, seq(*[oid('1.3.6.1.4.1.99999.%d' % i)
                                                         for i in range(65)]))]),
     'signature lists more than 64 targets'),
]

print('# The table of firmware signature inputs: CASE<TAB>RC<TAB>INPUT(hex)<TAB>MESSAGE.')
print('# Written by make-bad-cms.py; test_fw_cms.c parses INPUT with fw_cms_parse')
print('# and wants exactly RC and exactly MESSAGE (ok: it parses).')
for name, rc, der, msg in cases:
    print('%s\t%s\t%s\t%s' % (name, rc, der.hex(), msg))
