#!/bin/sh
# make-p7b-seeds.sh BUILD_DIR - regenerate tests/fuzz/corpus/fuzz_p7b.
# Needs the openssl CLI and BUILD_DIR/tests/unit/pkix/test_p7b.
#
# valid-*: what `openssl crl2pkcs7 -nocrl` makes of one, two and three real
# certificates (the form plantca export writes); bad-*: what openssl makes
# that a trust.p7b must not be (PEM, with CRLs, signed CMS, damaged copies);
# table-*: the inputs of tests/unit/pkix/bad-p7b.txt.  crash-* and
# regress-* files (fuzzing reproducers) are kept.
set -eu
B=$(cd "${1:?usage: make-p7b-seeds.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus/fuzz_p7b
mkdir -p "$out"
find "$out" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'regress-*' -exec rm -f {} +
work=$(mktemp -d "${TMPDIR:-/tmp}/plantca-p7b-seeds-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export OPENSSL_CONF=/dev/null
cd "$work"

printf '[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n' >ext.cnf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout root.key \
	-subj "/O=Seed/CN=Seed Root" -days 3650 -out root.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-subj "/O=Seed/CN=Seed Issuing CA" -out ca.csr 2>/dev/null
openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -set_serial 2 -days 1825 \
	-extfile ext.cnf -extensions ca -out ca.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -subj "/CN=Seed RSA" -days 30 \
	-out rsa.pem 2>/dev/null
p7() { o=$1; shift; cat "$@" >all.pem; openssl crl2pkcs7 -nocrl -certfile all.pem -outform DER -out "$out/$o"; }
p7 valid-one root.pem
p7 valid-two root.pem ca.pem
p7 valid-three root.pem ca.pem rsa.pem
p7 bad-twice root.pem ca.pem root.pem
cat root.pem ca.pem >all.pem
openssl crl2pkcs7 -nocrl -certfile all.pem -outform PEM -out "$out/bad-pem"
: >index.txt; echo 1000 >crlnumber
printf '[ca]\ndefault_ca = c\n[c]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n' >crl.cnf
openssl ca -batch -config crl.cnf -gencrl -cert root.pem -keyfile root.key -out root.crl 2>/dev/null
openssl crl2pkcs7 -in root.crl -certfile all.pem -outform DER -out "$out/bad-with-crl"
openssl crl2pkcs7 -in root.crl -outform DER -out "$out/bad-crl-only"
openssl cms -sign -binary -in ext.cnf -signer ca.pem -inkey ca.key -certfile root.pem -outform DER \
	-out "$out/bad-signed" 2>/dev/null
openssl cms -sign -binary -nodetach -in ext.cnf -signer ca.pem -inkey ca.key -outform DER \
	-out "$out/bad-signed-attached" 2>/dev/null
head -c 200 "$out/valid-two" >"$out/bad-truncated"
{ cat "$out/valid-two"; printf '\000'; } >"$out/bad-trailing"
: >"$out/bad-empty"
P7B_SEEDS=$out "$B/tests/unit/pkix/test_p7b" "$here/../unit/pkix/bad-p7b.txt"
ls "$out" | wc -l
