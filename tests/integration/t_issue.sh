#!/usr/bin/env bash
# init, issuing CA, one certificate per profile and key type; every result
# checked by OpenSSL (strict) and GnuTLS, not only by our own code.
. "$(dirname "$0")/lib.sh"

make_ca
ok "init and ca new"
[ "$(stat -c %a "$CAHOME")" = 700 ] || fail "CA home mode is $(stat -c %a "$CAHOME")"
[ "$(stat -c %a "$CAHOME/db")" = 700 ] || fail "store dir mode"
ok "CA home is 0700"
[ -s "$CAHOME/public/root.pem" ] && [ -s "$CAHOME/public/transfer.pub" ] || fail "public files"
cmp -s "$CAHOME/public/root.pem" "$WORK/root.pem" || fail "public/root.pem differs from ca cert root"
grep -q '^untrusted comment: minisign public key [0-9A-F]\{16\}$' < <(head -1 "$CAHOME/public/transfer.pub") \
  || fail "transfer.pub is not a minisign public key"
ok "public/root.pem and transfer.pub"

# the root verifies itself, strictly, including its own signature
openssl verify -x509_strict -check_ss_sig -CAfile "$WORK/root.pem" "$WORK/root.pem" >/dev/null \
  || fail "root does not verify"
openssl verify -x509_strict -check_ss_sig -CAfile "$WORK/root.pem" "$WORK/line3.pem" >/dev/null \
  || fail "issuing CA does not verify"
ok "root and issuing CA verify (openssl -x509_strict -check_ss_sig)"

for ca in root line3; do
  txt=$(openssl x509 -in "$WORK/$ca.pem" -noout -text)
  grep -q 'X509v3 Basic Constraints: critical' <<<"$txt" || fail "$ca: basicConstraints not critical"
  grep -q 'CA:TRUE' <<<"$txt" || fail "$ca: not CA:TRUE"
  grep -q 'X509v3 Key Usage: critical' <<<"$txt" || fail "$ca: keyUsage not critical"
  grep -q 'Certificate Sign, CRL Sign' <<<"$txt" || fail "$ca: keyUsage"
  grep -q 'X509v3 Subject Key Identifier' <<<"$txt" || fail "$ca: no SKI"
  grep -q 'X509v3 Authority Key Identifier' <<<"$txt" || fail "$ca: no AKI"
done
txt=$(openssl x509 -in "$WORK/line3.pem" -noout -text)
grep -q 'pathlen:0' <<<"$txt" || fail "line3: pathlen"
grep -q 'X509v3 Name Constraints: critical' <<<"$txt" || fail "line3: name constraints"
grep -q 'DNS:line3.plant.local' <<<"$txt" || fail "line3: dns constraint"
grep -q 'IP:10.3.0.0/255.255.0.0' <<<"$txt" || fail "line3: ip constraint"
grep -q 'ASN1 OID: secp384r1' < <(openssl x509 -in "$WORK/root.pem" -noout -text) || fail "root not P-384"
grep -q 'ecdsa-with-SHA384' < <(openssl x509 -in "$WORK/line3.pem" -noout -text) || fail "line3 not signed with SHA-384"
ok "CA extensions: critical basicConstraints, keyUsage, SKI/AKI, pathlen, name constraints"

# AKI of line3 = SKI of root
ski=$(openssl x509 -in "$WORK/root.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
aki=$(openssl x509 -in "$WORK/line3.pem" -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ' | sed 's/^keyid://')
[ "$ski" = "$aki" ] || fail "AKI $aki != root SKI $ski"
ok "AKI matches the issuer's SKI"

expect 0 pc ca list
out_has root line3 "SHA-256"
expect 0 pc --json ca list
python3 -c 'import json,sys; d=json.load(sys.stdin); assert [c["name"] for c in d]==["line3","root"], d' <<<"$OUT" \
  || fail "ca list --json"
ok "ca list (text and --json)"

cat "$WORK/line3.pem" "$WORK/root.pem" >"$WORK/chain.pem"
n=0
for spec in \
  "p256 tls-server pump-01.line3.plant.local DNS:pump-01.line3.plant.local,IP:10.3.0.7" \
  "p384 tls-server hmi.line3.plant.local DNS:hmi.line3.plant.local" \
  "rsa2048 tls-client plc-02 " \
  "rsa3072 opcua-app opcua-srv URI:urn:acme:line3:opcua-srv,DNS:opcua.line3.plant.local" \
  "ed25519 tls-client sensor-9 IP:10.3.1.9" \
  "p256 opcua-app opcua-cli URI:urn:acme:line3:opcua-cli,DNS:opcua-cli.line3.plant.local" ; do
  read -r key profile cn san <<<"$spec"
  n=$((n + 1))
  mkcsr "$key" "$cn" "$WORK/$n.csr" "$san"
  expect 0 pc issue "$WORK/$n.csr" --ca line3 --profile "$profile" -o "$WORK/$n.pem"
  cert=$WORK/$n.pem
  # OpenSSL, strict, chain to the root with the issuing CA as untrusted
  openssl verify -x509_strict -check_ss_sig -CAfile "$WORK/root.pem" -untrusted "$WORK/line3.pem" \
    "$cert" >/dev/null 2>"$WORK/verr" || { cat "$WORK/verr"; fail "$key/$profile: openssl verify"; }
  # GnuTLS: leaf + issuing CA + root in one file
  cat "$cert" "$WORK/chain.pem" >"$WORK/$n.chain"
  certtool --verify-chain --infile "$WORK/$n.chain" >"$WORK/cterr" 2>&1 || \
    { cat "$WORK/cterr"; fail "$key/$profile: certtool --verify-chain"; }
  grep -q 'Chain verification output: Verified' "$WORK/cterr" || { cat "$WORK/cterr"; fail "certtool did not say Verified"; }
  txt=$(openssl x509 -in "$cert" -noout -text)
  serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
  [ ${#serial} -eq 40 ] || fail "serial $serial is not 20 bytes"
  case ${serial:0:1} in [0-7]) ;; *) fail "serial $serial is negative" ;; esac
  grep -q 'CA:FALSE' <<<"$txt" || fail "leaf not CA:FALSE"
  grep -q 'X509v3 Subject Key Identifier' <<<"$txt" || fail "leaf SKI"
  grep -q 'X509v3 Authority Key Identifier' <<<"$txt" || fail "leaf AKI"
  case $profile in
    tls-server) grep -q 'TLS Web Server Authentication' <<<"$txt" || fail "EKU serverAuth" ;;
    tls-client) grep -q 'TLS Web Client Authentication' <<<"$txt" || fail "EKU clientAuth" ;;
    opcua-app) grep -q 'TLS Web Server Authentication, TLS Web Client Authentication' <<<"$txt" || fail "EKU opcua"
               grep -q 'URI:urn:acme:line3:' <<<"$txt" || fail "opcua URI SAN"
               grep -q 'Non Repudiation' <<<"$txt" || fail "opcua KU" ;;
  esac
  if [ "$key" = rsa2048 ] || [ "$key" = rsa3072 ]; then
    grep -q 'Key Encipherment' <<<"$txt" || fail "RSA leaf lacks keyEncipherment"
  else
    grep -q 'Key Encipherment' <<<"$txt" && fail "EC/Ed25519 leaf has keyEncipherment"
  fi
  # the inventory knows it
  expect 0 pc show "$serial"
  out_has "$profile" "CA line3" "valid"
  ok "$key $profile: issued, verified by openssl -x509_strict and certtool, extensions right"
done

# DER output, stdout output, no clobbering
mkcsr p256 der-dev "$WORK/der.csr" "DNS:der.line3.plant.local"
openssl req -in "$WORK/der.csr" -outform DER -out "$WORK/der.csr.der"
expect 0 pc issue "$WORK/der.csr.der" --ca line3 --profile tls-server --der -o "$WORK/der.crt"
openssl x509 -inform DER -in "$WORK/der.crt" -noout || fail "DER output unreadable"
expect 0 pc issue "$WORK/der.csr" --ca line3 --profile tls-server
openssl x509 -noout <<<"$OUT" || fail "stdout PEM unreadable"
expect 1 pc issue "$WORK/der.csr" --ca line3 --profile tls-server -o "$WORK/der.crt"
err_has "$WORK/der.crt" "already exists"
ok "DER CSR in, DER out, PEM on stdout, -o never overwrites"

# batch into a directory
for i in 1 2 3; do mkcsr p256 "batch-$i" "$WORK/b$i.csr" "DNS:b$i.line3.plant.local"; done
mkdir "$WORK/batch"
expect 0 pc issue "$WORK"/b?.csr --ca line3 --profile tls-server --out-dir "$WORK/batch"
[ "$(ls "$WORK/batch" | wc -l)" -eq 3 ] || fail "batch wrote $(ls "$WORK/batch" | wc -l) files"
for f in "$WORK"/batch/*.pem; do
  s=$(openssl x509 -in "$f" -noout -serial | cut -d= -f2 | tr A-F a-f)
  [ "$(basename "$f" .pem)" = "$s" ] || fail "file $f holds serial $s"
done
ok "batch issuance into SERIAL.pem files"

# name constraints are real: the pre-issuance check refuses a certificate
# outside them before the HSM signs (the matching rules are unit-tested in
# tests/unit/ca/test_lint.c)
mkcsr p256 rogue "$WORK/rogue.csr" "DNS:pump.corp.example"
before=$(store_dump)
expect 1 pc issue "$WORK/rogue.csr" --ca line3 --profile tls-server -o "$WORK/rogue.pem"
err_has "$WORK/rogue.csr" "pre-issuance check failed" "SAN dns:pump.corp.example is outside the issuer's permitted name constraints"
[ ! -e "$WORK/rogue.pem" ] || fail "rogue certificate written"
[ "$(store_dump)" = "$before" ] || fail "refused issuance changed the store"
ok "the pre-issuance check refuses a certificate outside line3's name constraints"

# inventory, JSON
expect 0 pc --json certs
python3 - "$OUT" <<'PY' || fail "certs --json"
import json, sys
d = json.loads(sys.argv[1])
leaves = [c for c in d if c["kind"] == "leaf"]
assert len(leaves) == 11, len(leaves)
assert len({c["serial"] for c in d}) == len(d)
for c in d:
    for k in ("serial", "status", "subject", "san", "profile", "ca", "not_before", "not_after"):
        assert k in c, k
assert all(c["status"] == "valid" for c in d)
PY
ok "certs --json lists every certificate once with its fields"

# audit trail: one event per state change, intact
expect 0 pc audit verify
out_has "intact"
expect 0 pc audit log
[ "$(grep -c ' issue ' <<<"$OUT")" -eq 11 ] || fail "expected 11 issue events: $OUT"
grep -q ' init ' <<<"$OUT" && grep -q ' ca.new ' <<<"$OUT" || fail "init/ca.new events"
ok "audit log has init, ca.new and one issue event per certificate; chain intact"

# the root cannot issue leaves; unknown profile and CA are usage errors
expect 2 pc issue "$WORK/der.csr" --ca root --profile tls-server
err_has "root issues only CA certificates"
expect 1 pc issue "$WORK/der.csr" --ca nosuch --profile tls-server
err_has "CA 'nosuch' does not exist"
expect 2 pc issue "$WORK/der.csr" --ca line3 --profile nosuch
err_has "unknown profile 'nosuch'" "tls-server, tls-client, mqtt-client, opcua-app, ldevid, code-signing"
expect 1 pc issue "$WORK/3.csr" --ca line3 --profile opcua-app
err_has "$WORK/3.csr" "requires a SAN"
expect 2 pc ca new urnca --subject "/CN=URN CA" --permit uri:urn:acme:line3:
err_has "names a host or domain"
expect 1 pc ca new line3 --subject "/CN=dup"
err_has "CA 'line3' already exists"
ok "clear refusals for root-as-issuer, unknown CA/profile, profile SAN rule, duplicate CA"

done_testing
