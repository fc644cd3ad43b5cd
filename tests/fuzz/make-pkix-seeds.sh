#!/usr/bin/env bash
# make-pkix-seeds.sh - regenerate tests/fuzz/corpus/fuzz_pkix: certificates
# and CRLs made by OpenSSL (a root, a name-constrained CA, leaves with
# every SAN type, a v1 certificate, CRLs with and without entries and
# reason codes) plus the certificate seeds of fuzz_der.
set -euo pipefail
cd "$(dirname "$0")"
out=corpus/fuzz_pkix
rm -rf "$out" && mkdir -p "$out"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp corpus/fuzz_der/cert-*.der "$out/"
cd "$T"
cat >x.cnf <<'X'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nameConstraints = critical, permitted;DNS:line3.plant.local, permitted;IP:10.3.0.0/255.255.0.0, permitted;email:plant.local, permitted;URI:.plant.local, excluded;DNS:bad.line3.plant.local, permitted;dirName:dir
certificatePolicies = 1.3.6.1.4.1.55555.1
[dir]
O = Acme Plant
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth, codeSigning
subjectAltName = DNS:a.line3.plant.local, IP:10.3.0.1, URI:https://h.plant.local/x, email:o@plant.local, otherName:1.3.6.1.5.5.7.8.4;SEQUENCE:hw, dirName:dir
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[hw]
type = OID:1.3.6.1.4.1.55555.9
serial = FORMAT:ASCII,OCT:SN-0001
X
k() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
k root; k ca; k leaf
openssl req -new -x509 -key root.key -subj "/O=Acme Plant/CN=Seed Root" -days 3650 -extensions root -config <(cat /etc/ssl/openssl.cnf x.cnf) -out root.pem 2>/dev/null
openssl req -new -key ca.key -subj "/O=Acme Plant/CN=Seed CA" -out ca.csr
openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -CAcreateserial -days 3650 -extfile x.cnf -extensions ca -out ca.pem 2>/dev/null
openssl req -new -key leaf.key -subj "/O=Acme Plant/CN=a.line3.plant.local/emailAddress=o@plant.local" -out leaf.csr
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile x.cnf -extensions leaf -out leaf.pem 2>/dev/null
openssl x509 -req -in leaf.csr -signkey leaf.key -days 30 -out v1.pem 2>/dev/null
for c in root ca leaf v1; do openssl x509 -in $c.pem -outform DER -out "$OLDPWD/$out/$c.der"; done
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\ncrlnumber = %s/n\ndefault_md = sha256\ndefault_crl_days = 7\n' "$T" "$T" >ca.cnf
: >index.txt; echo 01 >n
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out e.pem 2>/dev/null
openssl crl -in e.pem -outform DER -out "$OLDPWD/$out/crl-empty.der"
openssl ca -config ca.cnf -revoke leaf.pem -keyfile ca.key -cert ca.pem -crl_reason keyCompromise 2>/dev/null
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out r.pem 2>/dev/null
openssl crl -in r.pem -outform DER -out "$OLDPWD/$out/crl-revoked.der"
echo "fuzz_pkix: $(ls "$OLDPWD/$out" | wc -l) seeds"
