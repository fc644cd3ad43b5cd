#!/bin/sh
# make-station-seeds.sh - regenerate the seed corpora of plantca-station's
# fuzz targets (tests/fuzz/fuzz_station_*.c).
#
#   tests/fuzz/make-station-seeds.sh      (from anywhere; needs the openssl CLI)
#
# Writes:
#   tests/fuzz/corpus/fuzz_station_conf/  station.conf files: valid-* parse,
#                                         bad-* are refused with the line and
#                                         message that
#                                         tests/unit/station/bad-station-conf.txt
#                                         gives for each
#   tests/fuzz/station_root.h             the station root the two targets
#                                         below check against (self-signed,
#                                         key keys/p256.pem, 100 years)
#   tests/fuzz/corpus/fuzz_station_cert/  certificates as bundle members
#                                         carry them: leaves signed by that
#                                         root (SANs of every kind, odd CNs,
#                                         64 SANs), a CA, the root, a foreign
#                                         root of the same name, chain.pem;
#                                         bad-* are refused by the parser, or
#                                         bad-sig-* by the signature check
#   tests/fuzz/corpus/fuzz_station_crl/   CRLs: signed by the root (empty,
#                                         with entries, v1, PEM), expired,
#                                         dated ahead, by a foreign root of
#                                         the same name; broken ones (bad-*)
#
# Keys: the throw-away TEST keys of tests/fuzz/keys/ (make-seeds.sh makes
# them).  ECDSA signatures use a random nonce and certificates carry the
# current date, so the root, its header and the signed seeds change on
# every run; they are always regenerated together.
#
# The corpus directories are emptied first, except for crash-* and regress-*
# files (reproducers kept from fuzzing runs), which are left alone.  A new
# bad-* file of fuzz_station_conf needs its line in bad-station-conf.txt: the
# table test fails on unlisted files, so that every seed has an expected
# outcome; so do the bad-* certificates and CRLs (bad-station-cert.txt,
# bad-station-crl.txt there), most of them written by
# tests/unit/station/make-bad-station-pki.py, which this runs last.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
keys=$here/keys
conf=$here/corpus/fuzz_station_conf
cert=$here/corpus/fuzz_station_cert
crl=$here/corpus/fuzz_station_crl
for k in p256 p384 rsa2048 ed25519; do
	[ -f "$keys/$k.pem" ] || { echo "$keys/$k.pem missing: run make-seeds.sh first" >&2; exit 2; }
done
mkdir -p "$conf" "$cert" "$crl"
find "$conf" "$cert" "$crl" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'regress-*' \
    -exec rm -f {} +

work=$(mktemp -d "${TMPDIR:-/tmp}/plantca-station-seeds-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export OPENSSL_CONF=/dev/null    # no site defaults sneaking into certificates

# ---------------------------------------------------------------- station.conf

c() {    # c NAME PRINTF-FORMAT [ARGS]: one station.conf seed
	name=$1; shift
	# shellcheck disable=SC2059
	printf "$@" >"$conf/$name"
}
head='# plantca-station state; rewritten atomically by plantca-station\n'
seg63=abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abc
seg64=${seg63}d

c valid-fresh.conf "${head}segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n"
c valid-accepted.conf "${head}segment: line3\nnext-request-sequence: 17\nlast-response-sequence: 9\nlast-response-bundle: line3-response-000009\n"
c valid-order-comments.conf '# hand-edited\n\nlast-response-sequence: 0\n\n\n# the segment\nnext-request-sequence: 2\nsegment: line-3\n#\n'
c valid-no-final-lf.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0'
c valid-bounds.conf "segment: $seg63\nnext-request-sequence: 18446744073709551614\nlast-response-sequence: 18446744073709551615\nlast-response-bundle: A.b_c-1\n"

c bad-empty.conf ''
c bad-only-comments.conf '# nothing here\n\n'
c bad-no-segment.conf 'next-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-no-next.conf 'segment: line3\nlast-response-sequence: 0\n'
c bad-no-last.conf 'segment: line3\nnext-request-sequence: 1'
c bad-no-colon.conf 'segment line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-no-space.conf 'segment:line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-crlf.conf 'segment: line3\r\nnext-request-sequence: 1\r\nlast-response-sequence: 0\r\n'
c bad-indented-comment.conf 'segment: line3\n  # indented\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-upper.conf 'segment: Line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-long.conf "segment: $seg64\nnext-request-sequence: 1\nlast-response-sequence: 0\n"
c bad-segment-empty.conf 'segment: \nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-comment.conf 'segment: line3 # ours\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-control.conf 'segment: li\033[2Jne3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-next-zero.conf 'segment: line3\nnext-request-sequence: 0\nlast-response-sequence: 0\n'
c bad-next-max.conf 'segment: line3\nnext-request-sequence: 18446744073709551615\nlast-response-sequence: 0\n'
c bad-next-plus.conf 'segment: line3\nnext-request-sequence: +1\nlast-response-sequence: 0\n'
c bad-next-space.conf 'segment: line3\nnext-request-sequence:  1\nlast-response-sequence: 0\n'
c bad-next-trailing.conf 'segment: line3\nnext-request-sequence: 1 \nlast-response-sequence: 0\n'
c bad-next-hex.conf 'segment: line3\nnext-request-sequence: 0x10\nlast-response-sequence: 0\n'
c bad-next-empty.conf 'segment: line3\nnext-request-sequence: \nlast-response-sequence: 0\n'
c bad-last-overflow.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 18446744073709551616\n'
c bad-last-negative.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: -1\n'
c bad-last-21-digits.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 000000000000000000001\n'
c bad-dup-segment.conf 'segment: line3\nnext-request-sequence: 1\nsegment: line4\nlast-response-sequence: 0\n'
c bad-dup-last.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 7\nlast-response-sequence: 0\n'
c bad-dup-bundle.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: a\nlast-response-bundle: b\n'
c bad-unknown-key.conf 'segment: line3\ncolour: blue\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-key-case.conf 'Segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-key-leading-space.conf ' segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-bundle-path.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: ../x\n'
c bad-bundle-dotdot.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: a..b\n'
c bad-bundle-empty.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: \n'
# key rotation (keys.c): the announced and the replaced transfer key, the station's next key
c valid-keys.conf "${head}segment: line3\nnext-request-sequence: 3\nlast-response-sequence: 2\ntransfer-key-next: RWQBAgMEBQYHCCAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/\ntransfer-key-replaced: RWQJCgsMDQ4PEEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f\nstation-key-next: 0123456789ABCDEF\n"
c bad-transfer-next-b64.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\ntransfer-key-next: RWQ=\n'
c bad-transfer-replaced-file.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\ntransfer-key-replaced: untrusted comment: x\n'
c bad-dup-transfer-next.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\ntransfer-key-next: RWQBAgMEBQYHCCAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/\ntransfer-key-next: RWQBAgMEBQYHCCAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/\n'
c bad-station-next-lower.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nstation-key-next: 0123456789abcdef\n'
c bad-station-next-short.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nstation-key-next: 0123\n'
c bad-nul.conf 'segment: line3\nnext-request-sequence: 1\000\nlast-response-sequence: 0\n'
# one byte over the cap of 4096 (ST_CONF_MAX)
{ printf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
  head -c 4031 /dev/zero | tr '\000' '#'; } >"$conf/bad-too-big.conf"

# ---------------------------------------------------------------- the root

openssl req -x509 -new -key "$keys/p256.pem" -subj '/O=Plantca Fuzz/CN=Fuzz Station Root' \
    -days 36500 -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$work/root.pem"
openssl x509 -in "$work/root.pem" -outform DER -out "$work/root.der"
{
	echo '/* station_root.h - written by make-station-seeds.sh: the station root'
	echo ' * (DER) the station fuzz targets check their inputs against.  TEST ONLY. */'
	echo 'static const uint8_t fuzz_station_root_der[] = {'
	od -An -v -tx1 "$work/root.der" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1, /g; s/^/\t/; s/, $/,/'
	echo '};'
} >"$here/station_root.h"
openssl req -x509 -new -key "$keys/p384.pem" -subj '/O=Plantca Fuzz/CN=Fuzz Station Root' \
    -days 36500 -addext 'basicConstraints=critical,CA:TRUE' -out "$work/other-root.pem"

# ---------------------------------------------------------------- certificates

serial=1
leaf() {    # leaf NAME KEY SUBJECT EXTENSIONS... : NAME.der signed by the root
	name=$1 key=$2 subj=$3; shift 3
	serial=$((serial + 1))
	: >"$work/ext.cnf"
	for x in "$@"; do echo "$x" >>"$work/ext.cnf"; done
	openssl req -new -utf8 -key "$keys/$key.pem" -subj "$subj" -out "$work/$name.csr"
	openssl x509 -req -in "$work/$name.csr" -CA "$work/root.pem" -CAkey "$keys/p256.pem" \
	    -set_serial "$serial" -days 3650 -extfile "$work/ext.cnf" -outform DER \
	    -out "$work/$name.der" 2>/dev/null
}
ku='keyUsage=critical,digitalSignature'
leaf opcua p256 '/O=Plantca Fuzz/CN=Line 3 OPC UA Server' "$ku" \
    'subjectAltName=URI:urn:acme:line3:srv,DNS:srv.line3.plant.local,IP:10.3.0.5'
leaf every-san rsa2048 '/O=Plantca Fuzz/CN=every san' "$ku" \
    'subjectAltName=email:ops@plant.local,DNS:a.plant.local,URI:urn:x,IP:10.0.0.1,IP:fd00::7,dirName:dir_sect,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:u@x' \
    '[dir_sect]' 'CN=Directory Name'
leaf nosan ed25519 '/O=Plantca Fuzz/CN=no san' "$ku"
leaf nocn p256 '/O=Plantca Fuzz/OU=no common name' "$ku" 'subjectAltName=DNS:x.plant.local'
leaf odd-cn p256 '/O=Plantca Fuzz/CN=..\/..\/etc\/pass wd..x' "$ku" 'subjectAltName=URI:urn:acme:odd'
leaf cn-64 p256 "/CN=$(printf '%064d' 7)" "$ku"
leaf utf8-cn p256 "/CN=Pumpe Stra$(printf '\303\237')e 3" "$ku"
# terminal controls and a right-to-left override in the CN (messages and names)
leaf control-cn p256 "/CN=evil$(printf '\033[2J\342\200\256')gpj.exe" "$ku" 'subjectAltName=DNS:evil.plant.local'
leaf ca p384 '/O=Plantca Fuzz/OU=Line 3/CN=Fuzz Line 3 CA' \
    'basicConstraints=critical,CA:TRUE,pathlen:0' 'keyUsage=critical,keyCertSign,cRLSign'
sans=$(i=0; while [ $i -lt 64 ]; do printf 'DNS:d%d.plant.local,' $i; i=$((i + 1)); done)
leaf sans-64 p256 '/CN=sixty-four' "$ku" "subjectAltName=${sans%,}"
leaf sans-65 p256 '/CN=sixty-five' "$ku" "subjectAltName=${sans}DNS:d64.plant.local"
# a 20-octet serial with the top bit set: 21 content octets
serial=$((serial + 1))
openssl x509 -req -in "$work/opcua.csr" -CA "$work/root.pem" -CAkey "$keys/p256.pem" \
    -set_serial 0x9f00112233445566778899aabbccddeeff001122 -days 3650 -outform DER \
    -out "$work/serial-20.der" 2>/dev/null
openssl x509 -req -in "$work/opcua.csr" -CA "$work/root.pem" -CAkey "$keys/p256.pem" \
    -set_serial 0x9f00112233445566778899aabbccddeeff0011223344 -days 3650 -outform DER \
    -out "$work/serial-22.der" 2>/dev/null
# a leaf of the line 3 CA (not in the input: its issuer is unknown)
openssl x509 -in "$work/ca.der" -inform DER -out "$work/ca.pem"
openssl x509 -req -in "$work/nosan.csr" -CA "$work/ca.pem" -CAkey "$keys/p384.pem" \
    -set_serial 99 -days 3650 -outform DER -out "$work/under-ca.der" 2>/dev/null
# placeholders a byte edit turns into a second subjectAltName (same OID
# length, 2.5.29.17 for 1.2.3.4) holding GeneralNames, or not
leaf twin-san p256 '/CN=twin' "$ku" 'subjectAltName=DNS:a.plant.local' \
    '1.2.3.4=DER:300b82096c696e65332e6c6f63'
leaf san-int p256 '/CN=int' "$ku" '1.2.3.4=DER:3003020101'
leaf san-empty p256 '/CN=empty' "$ku" '1.2.3.4=DER:3000'

for f in opcua every-san nosan nocn odd-cn cn-64 utf8-cn control-cn ca sans-64 serial-20 under-ca; do
	cp "$work/$f.der" "$cert/valid-$f.der"
done
openssl x509 -inform DER -in "$work/opcua.der" -out "$cert/valid-opcua.pem"
openssl x509 -inform DER -in "$work/every-san.der" -out "$cert/valid-every-san.pem"
cp "$work/root.der" "$cert/valid-root.der"
cp "$work/other-root.pem" "$cert/valid-foreign-same-name.pem"
# own/certs/CN.pem as accept writes it: the device certificate, then its CA
cat "$cert/valid-opcua.pem" "$work/ca.pem" >"$cert/valid-own-with-chain.pem"
cat "$work/ca.pem" "$work/root.pem" >"$cert/valid-chain.pem"

cp "$work/sans-65.der" "$cert/bad-sans-65.der"
cp "$work/serial-22.der" "$cert/bad-serial-22.der"
python3 - "$work" "$cert" <<'PY'
import sys
work, out = sys.argv[1], sys.argv[2]
def rd(n): return open(f"{work}/{n}.der", "rb").read()
def wr(n, b): open(f"{out}/{n}", "wb").write(b)
oid, san = bytes.fromhex("06032a0304"), bytes.fromhex("0603551d11")
for n in ("twin-san", "san-int", "san-empty"):
    d = rd(n)
    assert d.count(oid) == 1
    wr(f"bad-{n}.der", d.replace(oid, san))
d = rd("opcua")
wr("bad-truncated.der", d[:-7])
wr("bad-trailing.der", d + b"\0")
wr("bad-inner-length.der", d[:4] + bytes([d[4] ^ 0x01]) + d[5:])
wr("bad-sig-version-3.der", d.replace(bytes.fromhex("a003020102"), bytes.fromhex("a003020103"), 1))
wr("bad-empty", b"")
wr("bad-garbage", bytes((i * 37 + 11) % 256 for i in range(512)))
PY
pem=$(cat "$cert/valid-opcua.pem")
printf '%s\n%s\n' "$pem" "$pem" >"$cert/bad-pem-two.pem"
sed 's/CERTIFICATE/X509 CRL/' "$cert/valid-opcua.pem" >"$cert/bad-pem-label.pem"
sed '3s/./*/' "$cert/valid-opcua.pem" >"$cert/bad-pem-base64.pem"
head -n 4 "$cert/valid-opcua.pem" >"$cert/bad-pem-no-end.pem"

# ---------------------------------------------------------------- CRLs

mkcrl() {    # mkcrl CERT KEY OUT [openssl ca options]: a CRL with openssl ca
	cert_=$1 key_=$2 out_=$3; shift 3
	d=$(mktemp -d "$work/ca.XXXXXX")
	: >"$d/index.txt"
	printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s/index.txt\ndefault_md = sha256\n' "$d" >"$d/ca.cnf"
	if [ "${NUMBER:-}" ]; then
		echo 1000 >"$d/crlnumber"; echo "crlnumber = $d/crlnumber" >>"$d/ca.cnf"
	fi
	for r in ${REVOKE:-}; do
		openssl ca -config "$d/ca.cnf" -cert "$cert_" -keyfile "$key_" -revoke "$r" \
		    -crl_reason keyCompromise 2>/dev/null
	done
	openssl ca -batch -config "$d/ca.cnf" -gencrl -cert "$cert_" -keyfile "$key_" "$@" \
	    -out "$out_" 2>/dev/null
}
openssl x509 -inform DER -in "$work/nosan.der" -out "$work/nosan.pem"
openssl x509 -inform DER -in "$work/opcua.der" -out "$work/opcua.pem"
NUMBER=1 mkcrl "$work/root.pem" "$keys/p256.pem" "$work/empty.pem" -crldays 36500
NUMBER=1 REVOKE="$work/nosan.pem $work/opcua.pem" \
    mkcrl "$work/root.pem" "$keys/p256.pem" "$work/revoked.pem" -crldays 36500
mkcrl "$work/root.pem" "$keys/p256.pem" "$work/v1.pem" -crldays 36500
NUMBER=1 mkcrl "$work/root.pem" "$keys/p256.pem" "$work/expired.pem" \
    -crl_lastupdate 200101000000Z -crl_nextupdate 200201000000Z
NUMBER=1 mkcrl "$work/root.pem" "$keys/p256.pem" "$work/future.pem" \
    -crl_lastupdate 21000101000000Z -crl_nextupdate 21010101000000Z
NUMBER=1 mkcrl "$work/other-root.pem" "$keys/p384.pem" "$work/other.pem" -crldays 36500
for f in empty revoked v1 expired future; do
	openssl crl -in "$work/$f.pem" -outform DER -out "$work/$f.der"
	cp "$work/$f.der" "$crl/valid-$f.crl"
done
# by a foreign root with the station root's name: only the signature tells
openssl crl -in "$work/other.pem" -outform DER -out "$crl/valid-foreign-same-name.crl"
cp "$work/empty.pem" "$crl/valid-empty-pem.crl"
cp "$work/revoked.pem" "$crl/valid-revoked-pem.crl"
python3 - "$work" "$crl" <<'PY'
import sys
work, out = sys.argv[1], sys.argv[2]
def wr(n, b): open(f"{out}/{n}", "wb").write(b)
def tlv(b, i):          # (tag, header length, content length) at b[i]
    n = b[i + 1]
    if n < 0x80: return b[i], 2, n
    k = n & 0x7f
    return b[i], 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")
def enc(tag, c):
    n = len(c)
    if n < 0x80: return bytes([tag, n]) + c
    l = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(l)]) + l + c
d = open(f"{work}/empty.der", "rb").read()
# CertificateList -> tbsCertList, its items; variants rebuilt from them
_, h, n = tlv(d, 0); body = d[h:h + n]
_, th, tn = tlv(body, 0); tbs, rest = body[th:th + tn], body[th + tn:]
items, i = [], 0
while i < len(tbs):
    t, hh, nn = tlv(tbs, i); items.append(tbs[i:i + hh + nn]); i += hh + nn
def crl(tbs_items): return enc(0x30, enc(0x30, b"".join(tbs_items)) + rest)
times = [k for k, x in enumerate(items) if x[0] in (0x17, 0x18)]
assert len(times) == 2
issuer = times[0] - 1
assert items[issuer][0] == 0x30 and crl(items) == d
# the shape without nextUpdate (its signature no longer matches)
wr("bad-sig-no-next-update.crl", crl(items[:times[1]] + items[times[1] + 1:]))
wr("bad-issuer-set.crl", crl(items[:issuer] + [b"\x31" + items[issuer][1:]] + items[issuer + 1:]))
wr("bad-this-update-octets.crl", crl(items[:times[0]] + [b"\x04" + items[times[0]][1:]] + items[times[0] + 1:]))
wr("bad-truncated.crl", d[:-5])
wr("bad-trailing.crl", d + b"\0\0")
wr("bad-sig-flipped.crl", d[:-1] + bytes([d[-1] ^ 0x01]))
wr("bad-empty", b"")
wr("bad-garbage", bytes((i * 53 + 7) % 256 for i in range(300)))
PY
sed 's/X509 CRL/CERTIFICATE/' "$work/empty.pem" >"$crl/bad-pem-label.crl"
cat "$work/empty.pem" "$work/revoked.pem" >"$crl/bad-pem-two.crl"
cp "$work/root.pem" "$crl/bad-certificate.crl"

# the broken copies of tests/unit/station/bad-station-cert.txt and
# bad-station-crl.txt, edited from the seeds above
python3 "$here/../unit/station/make-bad-station-pki.py" "$here/corpus"

echo "$(ls "$conf" | wc -l) station.conf seeds in $conf"
echo "$(ls "$cert" | wc -l) certificate seeds in $cert"
echo "$(ls "$crl" | wc -l) CRL seeds in $crl"
