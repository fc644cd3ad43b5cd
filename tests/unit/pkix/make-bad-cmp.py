#!/usr/bin/env python3
"""make-bad-cmp.py - write bad-cmp.txt, the table of CMP messages for
test_cmp.c: each goes through pkix_cmp_parse and, when it parses, through
pkix_cmp_verify (pkix/cmp.h), as plantca-station reads a request.

Each case is a PKIMessage built here from a well-formed, signed request
with one thing changed.  The protection is real: Ed25519 signatures by the
TEST key tests/fuzz/keys/ed25519.pem over ProtectedPart (RFC 4210 §5.1.3),
made with the openssl CLI; the protection certificates are made with it
too (self-signed, subject CN=device).  Certificates carry the date of the
run, so the table changes whenever it is written again:

    python3 make-bad-cmp.py > bad-cmp.txt

Needs the openssl CLI (OpenSSL 3.0).
"""
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from der import read_tlv, tlv  # noqa: E402  (tests/tools/der.py)

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = os.path.join(HERE, '..', '..', 'fuzz', 'keys', 'ed25519.pem')
TMP = tempfile.mkdtemp(prefix='plantca-bad-cmp-', dir=os.environ.get('TMPDIR'))


def run(*args, data=None):
    env = dict(os.environ, OPENSSL_CONF='/dev/null')
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, check=True).stdout


def seq(*xs): return tlv(0x30, b''.join(xs))
def set_(*xs): return tlv(0x31, b''.join(xs))
def ctx(n, *xs): return tlv(0xa0 | n, b''.join(xs))      # [n] constructed (EXPLICIT)
def prim(n, body): return tlv(0x80 | n, body)            # [n] primitive (IMPLICIT)
def octets(b): return tlv(0x04, b)
def bits(b, unused=0): return tlv(0x03, bytes([unused]) + b)
def null(): return b'\x05\x00'
def utf8(s): return tlv(0x0c, s.encode())


def integer(v):
    if v == 0:
        return b'\x02\x01\x00'
    n = (v.bit_length() + 8) // 8 if v > 0 else ((-v - 1).bit_length() + 8) // 8
    return tlv(0x02, v.to_bytes(n, 'big', signed=True))


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


def name(cn): return seq(set_(seq(oid('2.5.4.3'), utf8(cn))))
def dn(n): return ctx(4, n)                               # GeneralName directoryName


ED25519, ECDSA_SHA256 = '1.3.101.112', '1.2.840.10045.4.3.2'
SHA1_RSA = '1.2.840.113549.1.1.5'
PBM, PBMAC1 = '1.2.840.113533.7.66.13', '1.2.840.113549.1.5.14'
IMPLICIT_CONFIRM = '1.3.6.1.5.5.7.4.13'
SAN, CRL_REASON, HWNAME = '2.5.29.17', '2.5.29.21', '1.3.6.1.5.5.7.8.4'
OLD_CERT_ID, REG_TOKEN = '1.3.6.1.5.5.7.5.1.5', '1.3.6.1.5.5.7.5.1.1'


def algid(o): return seq(oid(o))


def sign(data):
    path = os.path.join(TMP, 'tbs')
    with open(path, 'wb') as f:
        f.write(data)
    return run('openssl', 'pkeyutl', '-sign', '-inkey', KEY, '-rawin', '-in', path)


def cert(ku):
    """A self-signed Ed25519 certificate, CN=device, with keyUsage ku;
    its DER, subject Name TLV, subjectKeyIdentifier."""
    pem = run('openssl', 'req', '-x509', '-new', '-key', KEY, '-subj', '/CN=device',
              '-days', '36500', '-addext', 'keyUsage=critical,' + ku,
              '-addext', 'subjectKeyIdentifier=hash')
    der = run('openssl', 'x509', '-outform', 'DER', data=pem)
    _, c, _ = read_tlv(der, 0)            # Certificate
    _, t, _ = read_tlv(der, c)            # TBSCertificate
    i = t
    fields = []
    while len(fields) < 6:
        tag, s, e = read_tlv(der, i)
        fields.append(der[i:e])
        i = e
    subject = fields[5]                   # [0] version, serial, sig, issuer, validity, subject
    k = der.find(bytes.fromhex('0603551d0e'))
    _, s, e = read_tlv(der, k + 5)        # OCTET STRING { OCTET STRING keyid }
    _, s2, e2 = read_tlv(der, s)
    return der, subject, der[s2:e2]


CERT, SUBJECT, SKI = cert('digitalSignature')
CERT_NO_DS, _, SKI_NO_DS = cert('keyCertSign')
SPKI = run('openssl', 'pkey', '-in', KEY, '-pubout', '-outform', 'DER')
RA = name('CMP RA')


def tmpl(subject=name('pump-1'), spki=SPKI, extra=b'', pre=b''):
    """CertTemplate: subject [5] (EXPLICIT: Name is a CHOICE), publicKey [6]
    IMPLICIT (the SPKI's content)."""
    _, s, e = read_tlv(spki, 0)
    return seq(pre, ctx(5, subject), ctx(6, spki[s:e]), extra)


def cert_req(req_id=0, template=None, controls=b''):
    return seq(integer(req_id), tmpl() if template is None else template, controls)


def pop_sig(cr):
    return ctx(1, algid(ED25519), bits(sign(cr)))


def crm(cr=None, pop=None, extra=b''):
    cr = cert_req() if cr is None else cr
    return seq(cr, pop_sig(cr) if pop is None else pop, extra)


def reqs(*msgs): return seq(*msgs)


def p10():
    pem = run('openssl', 'req', '-new', '-key', KEY, '-subj', '/CN=pump-1')
    return run('openssl', 'req', '-outform', 'DER', data=pem)


def header(pvno=2, sender=None, recipient=None, fields=None, time=True, alg=ED25519,
           kid=True, txid=b'\x11' * 16, nonce=b'\x22' * 16, rnonce=None, free=None,
           info=None, raw=None):
    if raw is not None:
        return raw
    f = [integer(pvno), dn(SUBJECT) if sender is None else sender,
         dn(RA) if recipient is None else recipient]
    if fields is not None:
        return seq(*f, *fields)
    if time:
        f.append(ctx(0, tlv(0x18, b'20261201120000Z')))
    if alg is not None:
        f.append(ctx(1, algid(alg) if isinstance(alg, str) else alg))
    if kid is not None and kid is not False:
        f.append(ctx(2, octets(SKI if kid is True else kid)))
    if txid is not None:
        f.append(ctx(4, octets(txid)))
    if nonce is not None:
        f.append(ctx(5, octets(nonce)))
    if rnonce is not None:
        f.append(ctx(6, octets(rnonce)))
    if free is not None:
        f.append(ctx(7, free))
    if info is not None:
        f.append(ctx(8, info))
    return seq(*f)


IR = ctx(0, reqs(crm()))


def msg(body=IR, hdr=None, protect=True, extra=None, tail=b'', sig=None, **h):
    """A PKIMessage: header, body, protection [0] (a signature over
    SEQUENCE { header, body }), extraCerts [1]."""
    hd = header(**h) if hdr is None else hdr
    out = hd + body
    if protect is True:
        s = sign(seq(hd, body)) if sig is None else sig(sign(seq(hd, body)))
        out += ctx(0, bits(s))
    elif protect:
        out += protect
    if extra is None:
        out += ctx(1, seq(CERT))
    else:
        out += extra
    return seq(out + tail)


def flip(s): return s[:10] + bytes([s[10] ^ 1]) + s[11:]


GOOD = msg()
BI = 'badDataFormat'
cases = []


def case(n, rc, fail, der, text=''):
    cases.append((n, rc, fail, der, text))


R = 'request: '
H = R + 'PKIHeader: '
P = R + 'PKIMessage: '
REL = tmpl()
_, s0, e0 = read_tlv(REL, 0)



def ir_with(template=None, controls=b'', req_id=0, pop=None, extra=b'', body=0, cr=None):
    """An ir (or body [n]) whose one CertReqMsg has the parts given."""
    if cr is None:
        cr = cert_req(req_id, template, controls)
    return msg(ctx(body, reqs(crm(cr, pop, extra))))


def ext(o, value, critical=False):
    return seq(oid(o), b'\x01\x01\xff' if critical else b'', octets(value))




def conf(*status):
    """certConf with CertStatus parts; more CertStatus with conf_more."""
    return msg(ctx(24, seq(seq(*status))))


def rr(*details):
    """rr with one RevDetails of the parts given."""
    return msg(ctx(11, seq(seq(*details))))



OTHER_NAME = seq(ctx(0, oid('1.2.3.4'), ctx(0, utf8('x'))))
OLD = seq(oid(OLD_CERT_ID), seq(dn(name('CA')), integer(1)))
HASH = octets(b'\x33' * 32)
REV = seq(prim(1, b'\x12\x34'), ctx(3, name('CA')))


# --- well formed: each body the station takes
case('ok-ir', 'ok', 'none', GOOD)
case('ok-pvno-3', 'ok', 'none', msg(pvno=3))
case('ok-implicit-confirm', 'ok', 'none', msg(info=seq(seq(oid(IMPLICIT_CONFIRM), null()))))
case('ok-cr', 'ok', 'none', ir_with(body=2))
case('ok-kur', 'ok', 'none', ir_with(body=7, controls=seq(OLD)))
case('ok-ir-san-hwname', 'ok', 'none', ir_with(template=tmpl(extra=ctx(9, ext(SAN, seq(
    prim(2, b'pump-1.example'), ctx(0, oid(HWNAME), ctx(0, seq(oid('1.3.6.1.4.1.99999.1'),
    octets(b'SN-1'))))))))))
case('ok-p10cr', 'ok', 'none', msg(ctx(4, p10())))
case('ok-certconf', 'ok', 'none', conf(HASH, integer(0)))
case('ok-certconf-rejected', 'ok', 'none', conf(HASH, integer(0),
     seq(integer(2), seq(utf8('wrong key')), bits(b'\x00\x40', 6))))
case('ok-certconf-minus-1', 'ok', 'none', conf(HASH, integer(-1)))
case('ok-pollreq', 'ok', 'none', msg(ctx(25, seq(seq(integer(0))))))
case('ok-rr', 'ok', 'none', rr(REV))
case('ok-rr-reason', 'ok', 'none', rr(REV, seq(ext(CRL_REASON, tlv(0x0a, b'\x01')))))
case('ok-error', 'ok', 'none', msg(ctx(23, seq(seq(integer(2), seq(utf8('giving up')))))))
case('ok-error-no-txid', 'ok', 'none', msg(ctx(23, seq(seq(integer(2)))), txid=None, nonce=None))
case('ok-pkiconf', 'ok', 'none', msg(ctx(19, null())))
case('ok-genm', 'ok', 'none', msg(ctx(21, seq())))

# --- the frame
case('empty', 'input', BI, b'', R + 'not a DER PKIMessage')
case('garbage', 'input', BI, b'\x01\x02\x03\x04', R + 'not a DER PKIMessage')
case('not-sequence', 'input', BI, octets(GOOD[2:]), R + 'not a DER PKIMessage')
case('indefinite', 'input', BI, b'\x30\x80' + GOOD[4:] + b'\x00\x00', R + 'not a DER PKIMessage')
case('trailing-byte', 'input', BI, GOOD + b'\x00', R + 'not a DER PKIMessage')
case('truncated', 'input', BI, GOOD[:len(GOOD) // 2], R + 'not a DER PKIMessage')
case('oversize', 'limit', 'badRequest', seq(b'\x00' * (256 * 1024)),
     R + '%d bytes, more than a PKIMessage may have (262144)' % (256 * 1024 + 5))
case('header-not-sequence', 'input', BI, seq(octets(b'x') + IR), P + 'malformed header')
case('no-body', 'input', BI, seq(header()), P + 'malformed body')
case('body-universal', 'input', BI, msg(seq(IR[2:])), P + 'malformed body')
case('body-27', 'input', BI, msg(ctx(27, seq())), P + 'malformed body')
case('protection-not-bits', 'input', BI, msg(protect=ctx(0, octets(b'\x01\x02'))),
     P + 'malformed protection')
case('protection-unused-bits', 'input', BI, msg(protect=ctx(0, bits(b'\x01\x02', 3))),
     P + 'malformed protection')
case('protection-empty', 'input', BI, msg(protect=ctx(0, bits(b''))), P + 'malformed protection')
case('extracerts-empty', 'input', BI, msg(extra=ctx(1, seq())), P + 'malformed extraCerts')
case('extracerts-not-cert', 'input', BI, msg(extra=ctx(1, seq(octets(b'x')))),
     P + 'malformed extraCerts')
case('extracerts-9', 'limit', 'badRequest', msg(extra=ctx(1, seq(*[CERT] * 9))),
     R + 'more than 8 extraCerts')
case('after-extracerts', 'input', BI, msg(tail=null()), P + 'trailing bytes')

# --- the header
case('pvno-negative', 'input', BI, msg(pvno=-1), H + 'malformed pvno')
case('pvno-1', 'input', 'unsupportedVersion', msg(pvno=1),
     R + 'pvno 1 is not supported (2 or 3, RFC 9480 §2.20)')
case('pvno-4', 'input', 'unsupportedVersion', msg(pvno=4),
     R + 'pvno 4 is not supported (2 or 3, RFC 9480 §2.20)')
case('sender-universal', 'input', BI, msg(sender=SUBJECT), H + 'malformed sender')
case('sender-bad-name', 'input', BI, msg(sender=ctx(4, seq(octets(b'x')))),
     H + 'malformed sender name')
case('recipient-missing', 'input', BI, msg(hdr=seq(integer(2), dn(SUBJECT))),
     H + 'malformed recipient')
case('recipient-bad-name', 'input', BI, msg(recipient=ctx(4, octets(b'x'))),
     H + 'malformed recipient name')
case('field-misordered', 'input', BI, msg(fields=[ctx(4, octets(b'\x11' * 16)),
     ctx(2, octets(SKI)), ctx(5, octets(b'\x22' * 16))]), H + 'unexpected or misordered field')
case('field-twice', 'input', BI, msg(fields=[ctx(4, octets(b'\x11' * 16)),
     ctx(4, octets(b'\x11' * 16)), ctx(5, octets(b'\x22' * 16))]), H + 'unexpected or misordered field')
case('field-9', 'input', BI, msg(fields=[ctx(4, octets(b'\x11' * 16)),
     ctx(5, octets(b'\x22' * 16)), ctx(9, null())]), H + 'unexpected or misordered field')
case('message-time-utc', 'input', BI, msg(fields=[ctx(0, tlv(0x17, b'261201120000Z')),
     ctx(4, octets(b'\x11' * 16)), ctx(5, octets(b'\x22' * 16))]), H + 'malformed messageTime')
case('protection-alg-not-seq', 'input', BI, msg(alg=oid(ED25519)), H + 'malformed protectionAlg')
case('sender-kid-empty', 'input', BI, msg(kid=b''), H + 'malformed senderKID')
case('txid-empty', 'input', BI, msg(txid=b''), H + 'malformed transactionID')
case('txid-65', 'input', BI, msg(txid=b'\x11' * 65), H + 'malformed transactionID')
case('nonce-empty', 'input', 'badSenderNonce', msg(nonce=b''), H + 'malformed senderNonce')
case('recip-nonce-65', 'input', 'badRecipientNonce', msg(rnonce=b'\x33' * 65),
     H + 'malformed recipNonce')
case('free-text-not-utf8string', 'input', BI, msg(free=seq(octets(b'x'))), H + 'malformed freeText')
case('general-info-not-itav', 'input', BI, msg(info=seq(integer(1))), H + 'malformed generalInfo')
case('no-txid', 'input', 'badRequest', msg(txid=None),
     R + 'PKIHeader has no transactionID (RFC 9483 §3.1)')
case('no-nonce', 'input', 'badSenderNonce', msg(nonce=None),
     R + 'PKIHeader has no senderNonce (RFC 9483 §3.1)')

# --- ir, cr, kur: CRMF (pkix/crmf.c)

case('ir-not-sequence', 'input', BI, msg(ctx(0, octets(b'x'))), R + 'malformed CertReqMessages')
case('ir-none', 'input', BI, msg(ctx(0, reqs())), R + 'no CertReqMsg')
case('ir-two', 'input', BI, msg(ctx(0, reqs(crm(), crm()))),
     R + 'more than one CertReqMsg (RFC 9483 §4.1.1 allows one)')
case('ir-req-id-negative', 'input', BI, ir_with(req_id=-1), R + 'malformed certReqId')
case('ir-template-missing', 'input', BI, ir_with(cr=seq(integer(0))), R + 'malformed certTemplate')
case('ir-template-version-1', 'input', BI, ir_with(template=tmpl(pre=prim(0, b'\x00'))),
     R + 'certificate template: version is not v2')
case('ir-template-issuer-uid', 'input', BI, ir_with(template=tmpl(extra=prim(7, b'\x00\x01'))),
     R + 'certificate template: field [7] is not supported')
case('ir-template-misordered', 'input', BI,
     ir_with(template=seq(REL[s0:e0], ctx(5, name('x')))),
     R + 'certificate template: unexpected field (tag 0xa5)')
case('ir-template-bad-subject', 'input', BI, ir_with(template=tmpl(subject=octets(b'x'))),
     R + 'certificate template: malformed subject')
case('ir-template-key-too-large', 'limit', 'badCertTemplate',
     ir_with(template=tmpl(spki=seq(octets(b'\x00' * 1300)))),
     R + 'certificate template: public key larger than 1200 bytes')
case('ir-template-othername', 'csr', 'badCertTemplate',
     ir_with(template=tmpl(extra=ctx(9, ext(SAN, OTHER_NAME)))),
     R + 'certificate template: an otherName SAN other than HardwareModuleName is not accepted')
case('ir-template-critical-ext', 'csr', 'badCertTemplate',
     ir_with(template=tmpl(extra=ctx(9, ext('1.2.3.4', null(), critical=True)))),
     R + 'certificate template: critical extension 1.2.3.4 is not supported')
case('ir-template-san-twice', 'input', BI, ir_with(template=tmpl(extra=ctx(9,
     ext(SAN, seq(prim(2, b'a.example'))), ext(SAN, seq(prim(2, b'b.example')))))),
     R + 'certificate template: subjectAltName twice')
case('ir-control-regtoken', 'input', BI, ir_with(controls=seq(seq(oid(REG_TOKEN), utf8('x')))),
     R + 'control other than oldCertID is not supported')
case('kur-old-cert-id-twice', 'input', BI, ir_with(body=7, controls=seq(OLD, OLD)),
     R + 'oldCertID twice')
case('ir-pop-ra-verified', 'input', 'badPOP', ir_with(pop=prim(0, b'')),
     R + 'proof of possession of kind [0] is not supported (only a signature by the requested key)')
case('ir-pop-key-encipherment', 'input', 'badPOP', ir_with(pop=ctx(2, prim(1, b'\x00'))),
     R + 'proof of possession of kind [2] is not supported (only a signature by the requested key)')
case('ir-pop-posk-input', 'input', 'badPOP',
     ir_with(pop=ctx(1, ctx(0, seq()), algid(ED25519), bits(b'\x00' * 64))),
     R + 'POPOSigningKey with poposkInput is not supported (RFC 4211 §4.1: the template carries '
     'subject and key)')
case('ir-pop-malformed', 'input', 'badPOP', ir_with(pop=ctx(1, algid(ED25519))),
     R + 'malformed POPOSigningKey')
case('ir-reg-info', 'input', BI, ir_with(extra=seq(seq(oid(REG_TOKEN), utf8('x')))),
     R + 'regInfo is not supported')
# --- the other bodies

case('p10cr-not-sequence', 'input', BI, msg(ctx(4, octets(b'x'))), R + 'malformed p10cr')
case('certconf-two', 'input', BI, msg(ctx(24, seq(seq(HASH, integer(0)), seq(HASH, integer(0))))),
     R + 'malformed certConf (one CertStatus expected)')
case('certconf-hash-empty', 'input', BI, conf(octets(b''), integer(0)),
     R + 'malformed certConf (one CertStatus expected)')
case('certconf-req-id-big', 'input', BI, conf(HASH, integer(1 << 40)),
     R + 'certConf: malformed certReqId')
case('certconf-req-id-minus-2', 'input', BI, conf(HASH, integer(-2)),
     R + 'certConf: malformed certReqId')
case('certconf-status-7', 'input', BI, conf(HASH, integer(0), seq(integer(7))),
     R + 'certConf: malformed statusInfo')
case('certconf-trailing', 'input', BI, conf(HASH, integer(0), null()),
     R + 'certConf: malformed CertStatus')
case('pollreq-two', 'input', BI, msg(ctx(25, seq(seq(integer(0)), seq(integer(1))))),
     R + 'malformed pollReq (one certReqId expected)')
case('pollreq-req-id-big', 'input', BI, msg(ctx(25, seq(seq(integer(1 << 40))))),
     R + 'malformed pollReq (one certReqId expected)')
case('rr-two', 'input', BI, msg(ctx(11, seq(seq(seq()), seq(seq())))),
     R + 'malformed rr (one RevDetails expected)')
case('rr-no-issuer', 'input', 'badCertTemplate', rr(seq(prim(1, b'\x12\x34'))),
     R + 'rr: certDetails must name issuer and serialNumber (RFC 9483 §4.2)')
case('rr-no-serial', 'input', 'badCertTemplate', rr(seq(ctx(3, name('CA')))),
     R + 'rr: certDetails must name issuer and serialNumber (RFC 9483 §4.2)')
case('rr-other-entry-ext', 'input', 'badRequest',
     rr(REV, seq(ext('2.5.29.24', tlv(0x18, b'20261201120000Z')))),
     R + 'rr: only the reasonCode entry extension is supported')
case('rr-reason-11', 'input', BI, rr(REV, seq(ext(CRL_REASON, tlv(0x0a, b'\x0b')))),
     R + 'rr: malformed reasonCode')
case('error-malformed', 'input', BI, msg(ctx(23, seq(integer(2)))), R + 'malformed error message')
case('pkiconf-not-null', 'input', BI, msg(ctx(19, seq())), R + 'malformed pkiConf')
case('body-ip', 'input', 'badRequest', msg(ctx(1, seq())), R + 'ip messages are not supported')
case('body-pollrep', 'input', 'badRequest', msg(ctx(26, seq())),
     R + 'pollRep messages are not supported')
case('body-nested', 'input', 'badRequest', msg(ctx(20, seq())),
     R + 'nested messages are not supported')

# --- the protection (pkix_cmp_verify)
case('unprotected', 'signature', 'badMessageCheck', msg(protect=False),
     R + 'the message is not protected (signature-based protection with the device certificate '
     'is required, RFC 9483 §3.2)')
case('no-protection-alg', 'signature', 'badMessageCheck', msg(alg=None),
     R + 'the message is not protected (signature-based protection with the device certificate '
     'is required, RFC 9483 §3.2)')
case('mac-pbm', 'signature', 'wrongIntegrity', msg(alg=seq(oid(PBM), seq(octets(b's' * 16)))),
     R + 'MAC-based protection is not accepted (sign the request with the device certificate, '
     'RFC 9483 §3.2)')
case('mac-pbmac1', 'signature', 'wrongIntegrity', msg(alg=PBMAC1),
     R + 'MAC-based protection is not accepted (sign the request with the device certificate, '
     'RFC 9483 §3.2)')
case('alg-sha1-rsa', 'signature', 'badAlg', msg(alg=SHA1_RSA),
     R + 'protection algorithm is not one plantca accepts')
case('alg-unknown', 'signature', 'badAlg', msg(alg='1.2.3.4'),
     R + 'protection algorithm is not one plantca accepts')
case('alg-not-the-key', 'signature', 'badAlg', msg(alg=ECDSA_SHA256),
     R + 'protection algorithm ecdsa-with-SHA256 does not fit the certificate\'s key')
case('sender-not-dn', 'signature', 'badMessageCheck', msg(sender=prim(1, b'dev@example.com')),
     R + 'sender is not a directoryName (RFC 9483 §3.1)')
case('no-extracerts', 'signature', 'signerNotTrusted', msg(extra=b''),
     R + 'no protection certificate in extraCerts (RFC 9483 §3.3)')
case('extracert-broken', 'signature', 'badMessageCheck', msg(extra=ctx(1, seq(seq(integer(1))))),
     R + 'protection certificate does not parse: request: not a DER X.509 certificate')
case('sender-not-subject', 'signature', 'badMessageCheck', msg(sender=dn(name('somebody'))),
     R + 'sender is not the subject of the protection certificate')
case('sender-kid-other', 'signature', 'badMessageCheck', msg(kid=b'\x44' * 20),
     R + 'senderKID is not the protection certificate\'s key identifier')
case('ku-no-digital-signature', 'signature', 'notAuthorized',
     msg(kid=SKI_NO_DS, extra=ctx(1, seq(CERT_NO_DS))),
     R + 'protection certificate\'s keyUsage lacks digitalSignature')
case('signature-flipped', 'signature', 'badMessageCheck', msg(sig=flip),
     R + 'message protection does not verify')
case('signature-short', 'signature', 'badMessageCheck', msg(sig=lambda s: s[:32]),
     R + 'message protection does not verify')
HD = header()
SIG = ctx(0, bits(sign(seq(HD, IR))))
case('signature-of-other-body', 'signature', 'badMessageCheck',
     seq(HD + ctx(2, reqs(crm())) + SIG + ctx(1, seq(CERT))),
     R + 'message protection does not verify')
case('signature-of-other-header', 'signature', 'badMessageCheck',
     seq(header(txid=b'\x12' * 16) + IR + SIG + ctx(1, seq(CERT))),
     R + 'message protection does not verify')

print('# The table of CMP messages: CASE<TAB>RC<TAB>FAILINFO<TAB>INPUT(hex)<TAB>MESSAGE.')
print('# Written by make-bad-cmp.py; test_cmp.c reads INPUT with pkix_cmp_parse and, when')
print('# it parses, pkix_cmp_verify, and wants exactly RC, FAILINFO and MESSAGE (ok: both')
print('# pass).')
for n, rc, fail, der, text in cases:
    print('%s\t%s\t%s\t%s\t%s' % (n, rc, fail, der.hex(), text))
