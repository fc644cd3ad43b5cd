#!/usr/bin/env bash
# plantca crl, judged by OpenSSL: signature (openssl crl -verify), reasons,
# CRL number and AKI (openssl crl -text), chain checking with CRLs
# (openssl verify -crl_check_all), issuer bytes identical to the CA
# certificate's subject, entries sorted and unique, numbers strictly
# increasing, the cadence, and the refusal to sign with a clock set back.
. "$(dirname "$0")/lib.sh"
# faketime preloads a library; under AddressSanitizer that trips ASan's
# link-order check, which is harmless here

make_ca
cat "$WORK/root.pem" "$WORK/line3.pem" >"$WORK/chain.pem"
for i in 1 2 3; do
  mkcsr p256 "dev$i" "$WORK/d$i.csr" "DNS:dev$i.line3.plant.local"
  expect 0 pc issue "$WORK/d$i.csr" --ca line3 --profile tls-client -o "$WORK/d$i.pem"
  eval "S$i=$(serial_of "$WORK/d$i.pem")"
done

# --- empty CRL: no revokedCertificates field at all (RFC 5280 §5.1.2.6)
expect 0 pc crl --ca line3 -o "$WORK/empty.crl"
expect 0 openssl crl -in "$WORK/empty.crl" -noout -verify -CAfile "$WORK/line3.pem"
err_has "verify OK"
expect 0 openssl crl -in "$WORK/empty.crl" -noout -text
out_has "No Revoked Certificates" "Version 2" "X509v3 CRL Number" "X509v3 Authority Key Identifier"
ok "empty CRL verifies and has version 2, number and AKI"
expect 0 openssl verify -crl_check_all -CAfile "$WORK/chain.pem" -CRLfile "$WORK/empty.crl" \
  -CRLfile <(pc crl --ca root 2>/dev/null) "$WORK/d1.pem"
ok "with CRLs for root and line3, a valid leaf verifies (openssl verify -crl_check_all)"

# --- revoke two, unspecified gives no reason extension
expect 0 pc revoke "$S1" --reason keyCompromise
expect 0 pc revoke "$S2" --reason unspecified
expect 0 pc crl --ca line3 -o "$WORK/l3.crl"
out_has "CRL 2 of CA 'line3': 2 revoked"
expect 0 openssl crl -in "$WORK/l3.crl" -noout -verify -CAfile "$WORK/line3.pem"
openssl crl -in "$WORK/l3.crl" -noout -text >"$WORK/l3.txt"
grep -q "X509v3 CRL Number: *$" "$WORK/l3.txt" && grep -A1 "X509v3 CRL Number" "$WORK/l3.txt" | grep -qx ' *2' \
  || fail "CRL number is not 2: $(cat "$WORK/l3.txt")"
[ "$(grep -c 'Key Compromise' "$WORK/l3.txt")" -eq 1 ] || fail "reason keyCompromise missing"
[ "$(grep -c 'CRL Reason Code' "$WORK/l3.txt")" -eq 1 ] || fail "unspecified must carry no reason code"
# AKI = the SKI of line3's certificate
ski=$(openssl x509 -in "$WORK/line3.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
grep -qix "$ski" < <(grep -A1 "Authority Key Identifier" "$WORK/l3.txt" | tail -1 | tr -d ' ') \
  || fail "AKI is not line3's SKI $ski"
ok "openssl crl -text: number 2, keyCompromise, no code for unspecified, AKI = CA's SKI"

expect 2 openssl verify -crl_check_all -CAfile "$WORK/chain.pem" -CRLfile "$WORK/l3.crl" \
  -CRLfile <(pc crl --ca root 2>/dev/null) "$WORK/d1.pem"
[[ "$OUT$ERR" == *"certificate revoked"* ]] || fail "revoked leaf not refused: $OUT $ERR"
expect 0 openssl verify -crl_check_all -CAfile "$WORK/chain.pem" -CRLfile "$WORK/l3.crl" \
  -CRLfile <(pc crl --ca root 2>/dev/null) "$WORK/d3.pem"
ok "openssl verify -crl_check_all: revoked leaf refused, the other accepted"

# --- DER form; issuer bytes, entry order and signature algorithm checked in
# a parse of our own output by Python (not by our DER reader)
expect 0 pc crl --ca line3 --der -o "$WORK/l3.der"
openssl x509 -in "$WORK/line3.pem" -outform DER -out "$WORK/line3.der"
python3 - "$WORK/l3.der" "$WORK/line3.der" <<'PY' || fail "DER structure"
import sys
def tlv(b, i):
    t = b[i]; l = b[i+1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i+2:i+2+n], "big"); h = 2 + n
    return t, i + h, i + h + l     # tag, content start, end
def children(b, s, e):
    out = []
    while s < e:
        t, cs, ce = tlv(b, s); out.append((t, s, cs, ce)); s = ce
    return out
crl = open(sys.argv[1], "rb").read(); cert = open(sys.argv[2], "rb").read()
t, s, e = tlv(crl, 0); assert e == len(crl)
tbs, alg, sig = children(crl, s, e)
f = children(crl, tbs[2], tbs[3])
ct, cs, ce = tlv(cert, 0); c = children(cert, cs, ce)
ctbs = children(cert, c[0][2], c[0][3])
subject = cert[ctbs[5][1]:ctbs[5][3]]
assert crl[f[2][1]:f[2][3]] == subject, "issuer differs from the CA subject"
assert crl[f[1][1]:f[1][3]] == crl[alg[1]:alg[3]], "inner and outer algorithm differ"
rev = [x for x in f if x[0] == 0x30 and x[1] > f[4][1]][0]
serials = []
for ent in children(crl, rev[2], rev[3]):
    st, ss, se = tlv(crl, ent[2]); serials.append(int.from_bytes(crl[ss:se], "big"))
assert serials == sorted(set(serials)), "entries not sorted and unique"
assert f[0][0] == 0x02 and crl[f[0][2]] == 1, "not v2"
assert f[-1][0] == 0xa0, "no crlExtensions"
PY
ok "DER: issuer byte-identical to the CA subject, entries sorted and unique, v2"

# --- numbers strictly increase; all CAs into HOME/crl
expect 0 pc --json crl
python3 - "$OUT" <<'PY' || fail "crl --json"
import json, sys
l = json.loads(sys.argv[1]); d = {x["ca"]: x for x in l}
assert set(d) == {"root", "line3"}, d
assert d["line3"]["number"] == 4 and d["line3"]["entries"] == 2, d
PY
for n in root line3; do
  expect 0 openssl crl -in "$CAHOME/crl/$n.crl" -noout -verify -CAfile "$WORK/$n.pem"
done
prev=0
for i in 1 2 3; do
  pc crl --ca line3 -o "$WORK/n$i.crl" 2>/dev/null
  n=$(openssl crl -in "$WORK/n$i.crl" -noout -crlnumber | cut -d= -f2)
  [[ "$n" =~ ^0x[0-9A-Fa-f]+$ ]] || fail "crlNumber '$n'"
  [ $((n)) -gt "$prev" ] || fail "CRL number $n not above $prev"
  prev=$((n))
done
[ "$prev" -eq 7 ] || fail "expected CRL number 7, got $prev"
ok "CRL numbers strictly increase (last $prev); HOME/crl holds a verified CRL per CA"

# --- cadence: defaults 7 days (issuing CA) / 180 days (root); --next-update
days_of() {
  local lu nu
  lu=$(date -d "$(openssl crl -in "$1" -noout -lastupdate | cut -d= -f2)" +%s)
  nu=$(date -d "$(openssl crl -in "$1" -noout -nextupdate | cut -d= -f2)" +%s)
  echo $(((nu - lu) / 86400))
}
[ "$(days_of "$WORK/n3.crl")" = 7 ] || fail "line3 default cadence not 7 days"
[ "$(days_of "$CAHOME/crl/root.crl")" = 180 ] || fail "root default cadence not 180 days"
expect 0 pc crl --ca line3 --next-update 30 -o "$WORK/c30.crl"
[ "$(days_of "$WORK/c30.crl")" = 30 ] || fail "--next-update 30"
expect 0 pc crl --ca line3 -o "$WORK/c30b.crl"
[ "$(days_of "$WORK/c30b.crl")" = 30 ] || fail "cadence not kept"
ok "cadence: 7 / 180 days by default, --next-update stored per CA"

# --- refusals
expect 1 pc crl --ca nosuch
err_has "CA 'nosuch' does not exist"
expect 2 pc crl -o "$WORK/x.crl"
err_has "needs --ca"
ok "unknown CA / -o without --ca refused"
if command -v faketime >/dev/null; then
  before=$(store_dump)
  expect 1 ft -f '-1d' "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" crl --ca line3 -o "$WORK/past.crl"
  err_has "clock" "earlier than the last CRL's thisUpdate" "nothing was signed"
  [ ! -e "$WORK/past.crl" ] || fail "a CRL was written with the clock set back"
  [ "$(store_dump)" = "$before" ] || fail "the refused CRL changed the store"
  ok "clock set back a day: refused, nothing written or stored: $ERR"
  expect 0 ft -f '+1d' "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" crl --ca line3 -o "$WORK/future.crl"
  expect 1 pc crl --ca line3 -o "$WORK/now.crl"
  err_has "earlier than the last CRL's thisUpdate"
  ok "after a CRL signed a day ahead, today's clock is refused too"
else
  skip_part "clock rollback: faketime not installed (scripts/setup installs it)"
fi
expect 0 pc audit log
[ "$(echo "$OUT" | grep -c ' crl ')" -ge 8 ] || fail "audit events for CRLs missing: $OUT"
expect 0 pc audit verify
ok "one audit event per CRL, chain intact"
done_testing
