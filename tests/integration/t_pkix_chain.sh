#!/usr/bin/env bash
# The PKIX layer's path validator (pkix/chain.c) against chains made by
# OpenSSL: each case is one fault, with the exact refusal it must give
# (or acceptance), and the good chains are also accepted by
# `openssl verify -x509_strict`, so the validator is not judged by its own
# reading alone.
. "$(dirname "$0")/lib.sh"
: "${PKIX_VERIFY:?}"
cd "$WORK"

cat >ext.cnf <<'EOF'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nameConstraints = critical, permitted;DNS:line3.plant.local, permitted;IP:10.3.0.0/255.255.0.0, permitted;email:plant.local, permitted;URI:.plant.local, excluded;DNS:bad.line3.plant.local
[ca_free]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_nocrl]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_notca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ca_nokcs]
basicConstraints = critical, CA:TRUE
keyUsage = critical, cRLSign
subjectKeyIdentifier = hash
[ca_dir]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, permitted;dirName:dir_sect
[dir_sect]
O = Acme Plant
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_noaki]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
[leaf_unknown]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
1.3.6.1.4.1.55555.7 = critical, ASN1:NULL
EOF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
# cert NAME SUBJ ISSUER EXT [SAN] [DAYS]: a P-256 key and a certificate with
# the extensions of section EXT of ext.cnf (plus the SAN), signed by
# ISSUER (or self-signed)
cert() {
  local name=$1 subj=$2 issuer=$3 ext=$4 san=${5:-} days=${6:-30}
  key "$name"
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
  { echo "[x]"; sed -n "/^\[$ext\]\$/,/^\[/{/^\[/d;p}" ext.cnf
    if [ -n "$san" ]; then echo "subjectAltName = $san"; fi
    sed -n '/^\[dir_sect\]/,/^\[leaf\]/{/^\[leaf\]/d;p}' ext.cnf; } >"$name.cnf"
  if [ "$issuer" = self ]; then
    openssl x509 -req -in "$name.csr" -signkey "$name.key" -days "$days" -extfile "$name.cnf" \
      -extensions x -out "$name.pem" 2>/dev/null
  else
    openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial \
      -days "$days" -extfile "$name.cnf" -extensions x -out "$name.pem" 2>/dev/null
  fi
  [ -s "$name.pem" ] || fail "openssl could not make $name"
}

cert root "/O=Acme Plant/CN=Test Root" self root "" 365
cert ca "/O=Acme Plant/CN=Line 3 CA" root ca "" 365
cert good "/O=Acme Plant/CN=pump1" ca leaf "DNS:pump1.line3.plant.local,IP:10.3.0.7,URI:https://h.plant.local/x,email:ops@plant.local"

pv() { "$PKIX_VERIFY" "$@"; }
accept() { local what=$1; shift; expect 0 pv "$@"; out_has "ok:"; ok "$what: accepted ($OUT)"; }
refuse() {  # refuse WHAT FRAGMENT ARGS...: exit 1 and the exact fragment
  local what=$1 frag=$2; shift 2
  expect 1 pv "$@"
  out_has "$frag"
  ok "$what: $OUT"
}

accept "root, name-constrained CA, leaf" good.pem --anchor root.pem --pool ca.pem
openssl verify -x509_strict -CAfile root.pem -untrusted ca.pem good.pem >/dev/null || fail "openssl verify refuses the good chain"
accept "the anchor itself" root.pem --anchor root.pem
refuse "no issuer" "does not chain to a trusted root" good.pem --anchor root.pem

# dates
refuse "expired leaf" "target 'pump1' (serial" good.pem --anchor root.pem --pool ca.pem --now $(( $(date +%s) + 40 * 86400 ))
out_has "has expired"
refuse "not yet valid" "is not valid yet" good.pem --anchor root.pem --pool ca.pem --now $(( $(date +%s) - 2 * 86400 ))

# signatures and CA rules
cert other "/O=Acme Plant/CN=Line 3 CA" self ca_free "" 365     # same name, another key
refuse "issuer name matches, key does not" "does not chain to a trusted root" good.pem --anchor root.pem --pool other.pem
cert notca "/O=Acme Plant/CN=Not A CA" root ca_notca "" 365
cert under_notca "/O=Acme Plant/CN=pump2" notca leaf "DNS:pump2.line3.plant.local"
refuse "issuer with cA FALSE" "is not a CA (basicConstraints)" under_notca.pem --anchor root.pem --pool notca.pem
cert nokcs "/O=Acme Plant/CN=No KCS CA" root ca_nokcs "" 365
cert under_nokcs "/O=Acme Plant/CN=pump3" nokcs leaf "DNS:pump3.line3.plant.local"
refuse "issuer without keyCertSign" "may not sign certificates (keyUsage)" under_nokcs.pem --anchor root.pem --pool nokcs.pem
cert sub "/O=Acme Plant/CN=Sub CA" ca ca_free "" 365     # below a CA with pathlen:0
cert under_sub "/O=Acme Plant/CN=pump4" sub leaf "DNS:pump4.line3.plant.local"
refuse "path length" "path length constraint (0) exceeded" under_sub.pem --anchor root.pem --pool ca.pem --pool sub.pem
cert unk "/O=Acme Plant/CN=pump5" ca leaf_unknown ""
refuse "unknown critical extension" "has a critical extension that is not understood" unk.pem --anchor root.pem --pool ca.pem

# name constraints
cert dns_out "/O=Acme Plant/CN=pump6" ca leaf "DNS:pump6.corp.example"
refuse "DNS outside" "SAN dns:pump6.corp.example is outside the issuer's permitted name constraints" dns_out.pem --anchor root.pem --pool ca.pem
cert dns_edge "/O=Acme Plant/CN=pump7" ca leaf "DNS:evilline3.plant.local"
refuse "DNS suffix without a label boundary" "SAN dns:evilline3.plant.local is outside" dns_edge.pem --anchor root.pem --pool ca.pem
cert dns_excl "/O=Acme Plant/CN=pump8" ca leaf "DNS:x.bad.line3.plant.local"
refuse "DNS excluded" "SAN dns:x.bad.line3.plant.local is in the issuer's excluded name constraints" dns_excl.pem --anchor root.pem --pool ca.pem
cert ip_out "/O=Acme Plant/CN=pump9" ca leaf "DNS:pump9.line3.plant.local,IP:10.4.0.9"
refuse "IP outside" "SAN ip:10.4.0.9 is outside the issuer's permitted name constraints" ip_out.pem --anchor root.pem --pool ca.pem
cert urn "/O=Acme Plant/CN=pump10" ca leaf "DNS:pump10.line3.plant.local,URI:urn:acme:line3:pump10"
refuse "URN under a URI constraint" "SAN uri:urn:acme:line3:pump10 has no host" urn.pem --anchor root.pem --pool ca.pem
cert mail_out "/O=Acme Plant/CN=pump11" ca leaf "DNS:pump11.line3.plant.local,email:ops@corp.example"
refuse "email outside" "SAN email:ops@corp.example is outside" mail_out.pem --anchor root.pem --pool ca.pem
cert cn_only "/O=Acme Plant/CN=pump12.corp.example" ca leaf "IP:10.3.0.12"
refuse "server without DNS SAN, CN outside" "whose CN 'pump12.corp.example' is outside the issuer's DNS name constraints" cn_only.pem --anchor root.pem --pool ca.pem --server
accept "the same as a client (the CN is not a host name then)" cn_only.pem --anchor root.pem --pool ca.pem
cert dirca "/O=Acme Plant/CN=Dir CA" root ca_dir "" 365
cert dir_in "/O=Acme Plant/CN=pump13" dirca leaf ""
accept "directoryName constraint, subject inside" dir_in.pem --anchor root.pem --pool dirca.pem
cert dir_out "/O=Other/CN=pump14" dirca leaf ""
refuse "directoryName constraint, subject outside" "subject dir:CN=pump14,O=Other is outside the issuer's permitted name constraints" dir_out.pem --anchor root.pem --pool dirca.pem

# revocation
cat >ca.cnf <<EOF
[ca]
default_ca = d
[d]
database = $WORK/index.txt
crlnumber = $WORK/crlnumber
default_md = sha256
default_crl_days = 7
EOF
: >index.txt; echo 01 >crlnumber
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out empty.crl 2>/dev/null || fail "gencrl"
accept "with the CA's current CRL" good.pem --anchor root.pem --pool ca.pem --crl empty.crl
openssl ca -config ca.cnf -revoke good.pem -keyfile ca.key -cert ca.pem -crl_reason keyCompromise 2>/dev/null || fail "revoke"
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out revoked.crl 2>/dev/null || fail "gencrl"
refuse "revoked" "is revoked (keyCompromise) by CRL revoked.crl" good.pem --anchor root.pem --pool ca.pem --crl revoked.crl
refuse "CRL out of date" "revoked.crl is out of date" good.pem --anchor root.pem --pool ca.pem --crl revoked.crl --now $(( $(date +%s) + 8 * 86400 ))
# a CRL with the CA's name, signed by the other key of the same name
openssl ca -config ca.cnf -gencrl -keyfile other.key -cert other.pem -out forged.crl 2>/dev/null || fail "gencrl"
refuse "CRL signed by another key" "not signed by" good.pem --anchor root.pem --pool ca.pem --crl forged.crl
refuse "no CRL when one is required" "no CRL from its issuer to check it against" good.pem --anchor root.pem --pool ca.pem --require-crls
cert nocrl "/O=Acme Plant/CN=No CRL Sign CA" root ca_nocrl "" 365
cert under_nocrl "/O=Acme Plant/CN=pump15" nocrl leaf "DNS:pump15.plant.local"
openssl ca -config ca.cnf -gencrl -keyfile nocrl.key -cert nocrl.pem -out nocrl.crl 2>/dev/null || fail "gencrl"
refuse "CRL issuer without cRLSign" "may not sign CRLs (keyUsage)" under_nocrl.pem --anchor root.pem --pool nocrl.pem --crl nocrl.crl

# The memo (pkix/chain.h): a station checks the CA certificates and CRLs
# once per bundle and then each device's chain against what passed.  A
# hit must only ever repeat a check that passed: the same bytes, the same
# signature, the same key.  flip FILE OUT: the last byte of the DER (in
# the signature value) changed, so the signed bytes are the same and the
# signature is not.
flip() { python3 -c 'import sys,ssl
d=open(sys.argv[1],"rb").read()
if d.startswith(b"-----"):
    t=d.decode(); i=t.index("-----BEGIN ")+11; lab=t[i:t.index("-----",i)]
    d=ssl.PEM_cert_to_DER_cert(t.replace(lab,"CERTIFICATE"))
d=bytearray(d); d[-1]^=1; open(sys.argv[2],"wb").write(bytes(d))' "$1" "$2"; }
openssl crl -in empty.crl -outform DER -out empty.der 2>/dev/null || fail "openssl crl -outform DER"
cert good2 "/O=Acme Plant/CN=pump21" ca leaf "DNS:pump21.line3.plant.local"
flip good.pem good_badsig.der
flip ca.pem ca_badsig.der
flip empty.der empty_badsig.der
accept "memo: a second device under the CA and CRL that passed" good.pem --anchor root.pem --pool ca.pem --crl empty.crl --then good2.pem --anchor root.pem --pool ca.pem --crl empty.crl
out_has "(memo)"
refuse "memo: the device that passed, its signature changed" "does not chain to a trusted root" good.pem --anchor root.pem --pool ca.pem --then good_badsig.der --anchor root.pem --pool ca.pem
refuse "memo: the CA that passed, its signature changed" "does not chain to a trusted root" good.pem --anchor root.pem --pool ca.pem --then good2.pem --anchor root.pem --pool ca_badsig.der
refuse "memo: the CRL that passed, its signature changed" "not signed by" good.pem --anchor root.pem --pool ca.pem --crl empty.crl --then good2.pem --anchor root.pem --pool ca.pem --crl empty_badsig.der
refuse "memo: the CRL that passed, now out of date (dates are judged every time)" "is out of date" good.pem --anchor root.pem --pool ca.pem --crl empty.crl --then good2.pem --anchor root.pem --pool ca.pem --crl empty.crl --now $(( $(date +%s) + 8 * 86400 ))
cert root2 "/O=Acme Plant/CN=Test Root" self root "" 365
refuse "memo: the CA that passed, under another root of the same name" "its signature does not verify with the key of 'Test Root'" good.pem --anchor root.pem --pool ca.pem --then good2.pem --anchor root2.pem --pool ca.pem

# a v1 root (no extensions), as old plant equipment has: trusted as given
key v1root
openssl req -new -key v1root.key -subj "/O=Acme Plant/CN=Old Root" -out v1root.csr 2>/dev/null
openssl x509 -req -in v1root.csr -signkey v1root.key -days 30 -out v1root.pem 2>/dev/null
openssl x509 -in v1root.pem -noout -text | grep -q "Version: 1 (0x0)" || fail "not a v1 root"
cert v1leaf "/O=Acme Plant/CN=pump16" v1root leaf_noaki "DNS:pump16.plant.local"
accept "leaf under a v1 root" v1leaf.pem --anchor v1root.pem
done_testing
