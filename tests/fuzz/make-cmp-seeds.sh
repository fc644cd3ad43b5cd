#!/bin/sh
# make-cmp-seeds.sh - regenerate the seed corpus of tests/fuzz/fuzz_cmp.c:
# real CMP messages, as Debian's `openssl cmp` (OpenSSL 3.0) writes them,
# exchanged with its own in-process mock server (-use_mock_srv).
#
#   tests/fuzz/make-cmp-seeds.sh      (from anywhere; needs the openssl CLI)
#
# Writes tests/fuzz/corpus/fuzz_cmp/:
#   req-KIND-N   the client's requests of one exchange, in order (ir,
#                pollReq, certConf, ...): ir signed with an IDevID (P-384,
#                subject serialNumber, HardwareModuleName), with implicit
#                confirmation, with an RSA key; cr and kur signed with an
#                LDevID; p10cr; rr with and without a reason; genm; a
#                MAC-protected ir; an unprotected ir; a certConf that
#                rejects the certificate
#   rsp-KIND-N   the mock server's replies (ip, pollRep, pkiConf, cp, kup,
#                rp, genp, error)
# The table-* seeds are written by the bad-input table test:
#   CMP_SEEDS=tests/fuzz/corpus/fuzz_cmp build/tests/unit/pkix/test_cmp \
#       tests/unit/pkix/bad-cmp.txt
#
# Keys: the throw-away TEST keys of tests/fuzz/keys/.  Signatures and dates
# change on every run.  The directory is emptied first, except for table-*,
# crash-* and regress-* files.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
keys=$here/keys
out=$here/corpus/fuzz_cmp
for k in p256 p384 rsa2048 ed25519; do
	[ -f "$keys/$k.pem" ] || { echo "$keys/$k.pem missing: run make-seeds.sh first" >&2; exit 2; }
done
mkdir -p "$out"
find "$out" -maxdepth 1 -type f ! -name 'table-*' ! -name 'crash-*' ! -name 'regress-*' \
    -exec rm -f {} +
work=$(mktemp -d "${TMPDIR:-/tmp}/plantca-cmp-seeds-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export OPENSSL_CONF=/dev/null
cd "$work"

# a CA (P-256), an IDevID (P-384) and an LDevID (P-256) under it, and the
# certificates the mock server hands out for the new keys
openssl req -x509 -new -key "$keys/p256.pem" -subj "/O=Seed/CN=Seed CA" -days 36500 \
    -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out ca.pem 2>/dev/null
cat >ext.cnf <<'EOF'
[idevid]
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = critical,otherName:1.3.6.1.5.5.7.8.4;SEQUENCE:hw
[hw]
t = OID:1.3.6.1.4.1.99999.1.1
s = FORMAT:ASCII,OCT:SN-0001
[leaf]
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:pump-1.line3.plant.local
EOF
leaf() {   # KEY SUBJECT EXT OUT
	openssl req -new -key "$1" -subj "$2" -out "$4.csr" 2>/dev/null
	openssl x509 -req -in "$4.csr" -CA ca.pem -CAkey "$keys/p256.pem" -days 36500 \
	    -extfile ext.cnf -extensions "$3" -out "$4" 2>/dev/null
}
leaf "$keys/p384.pem" "/O=Acme Devices/CN=pump/serialNumber=SN-0001" idevid idevid.pem
leaf "$keys/p256.pem" "/O=Acme Plant/CN=pump-1" leaf ldevid.pem
leaf "$keys/ed25519.pem" "/O=Acme Plant/CN=pump-1" leaf new-ed.pem
leaf "$keys/rsa2048.pem" "/O=Acme Plant/CN=pump-2" leaf new-rsa.pem
openssl req -new -key "$keys/ed25519.pem" -subj "/O=Acme Plant/CN=pump-1" \
    -addext "subjectAltName=DNS:pump-1.line3.plant.local" -out p10.csr 2>/dev/null

# run NAME RSP-CERT ARGS...: one exchange; its messages as req-NAME-N, rsp-NAME-N
run() {
	name=$1 rsp=$2
	shift 2
	reqs= rsps=
	for i in 1 2 3 4 5; do
		reqs="$reqs${reqs:+,}req-$name-$i"
		rsps="$rsps${rsps:+,}rsp-$name-$i"
	done
	openssl cmp -use_mock_srv -srv_cert ca.pem -srv_key "$keys/p256.pem" -srv_trusted ca.pem \
	    -rsp_cert "$rsp" -trusted ca.pem -certout "$name.crt" -reqout "$reqs" -rspout "$rsps" "$@" \
	    >"$name.log" 2>&1 || true
	for f in req-"$name"-* rsp-"$name"-*; do
		[ -s "$f" ] && cp "$f" "$out/$f"
	done
	ls "$out"/req-"$name"-1 >/dev/null 2>&1 || { echo "$name: no request: $(cat "$name.log")" >&2; exit 1; }
}
idev="-cert idevid.pem -key $keys/p384.pem"
ldev="-cert ldevid.pem -key $keys/p256.pem"
run ir new-ed.pem -cmd ir $idev -newkey "$keys/ed25519.pem" -subject "/O=Acme Plant/CN=pump-1" \
    -poll_count 1 -check_after 0
run ir-implicit new-ed.pem -cmd ir $idev -newkey "$keys/ed25519.pem" -subject "/CN=pump-1" \
    -implicit_confirm -grant_implicitconf -san_nodefault -sans "DNS:pump-1.line3.plant.local"
run ir-rsa new-rsa.pem -cmd ir $idev -newkey "$keys/rsa2048.pem" -subject "/O=Acme Plant/CN=pump-2"
run ir-reject new-rsa.pem -cmd ir $idev -newkey "$keys/ed25519.pem" -subject "/CN=pump-1"
run cr new-ed.pem -cmd cr $ldev -newkey "$keys/ed25519.pem" -subject "/O=Acme Plant/CN=pump-1"
run p10cr new-ed.pem -cmd p10cr $idev -csr p10.csr
run kur new-ed.pem -cmd kur $ldev -newkey "$keys/ed25519.pem" -poll_count 2 -check_after 0
run rr new-ed.pem -cmd rr $ldev -oldcert ldevid.pem
run rr-reason new-ed.pem -cmd rr $ldev -oldcert ldevid.pem -revreason 1
run genm new-ed.pem -cmd genm $ldev
run ir-mac new-ed.pem -cmd ir -secret pass:seed -ref device -srv_secret pass:seed \
    -newkey "$keys/ed25519.pem" -subject "/CN=pump-1"
run ir-unprotected new-ed.pem -cmd ir -unprotected_requests -accept_unprotected \
    -newkey "$keys/ed25519.pem" -subject "/CN=pump-1"
ls "$out" | wc -l | sed 's/$/ seeds/'
