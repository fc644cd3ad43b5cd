#!/usr/bin/env bash
# What a plant station may ask for, decided at import exactly as sign would
# decide it (issue 9 items 4 and 7), through the real programs:
#  - a hostile station bundle asking for a code-signing certificate is
#    rejected at import and never signed, even after approve --all; a
#    policy cannot let a segment ask for one; `issue` cannot make one;
#  - the policy names the profiles its stations may ask for ([segment *]);
#  - approval = single: approve --all skips such requests and says so,
#    approve ID approves one only when it is alone on the command line;
#  - a SAN outside the issuing CA's name constraints is rejected at import
#    with the reason, without the HSM, and the store gains only the
#    rejected request, the station's sequence, the request counter and the
#    import's audit event.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev"
nb=0
# bundle PROFILE CSR [PROFILE CSR]... : a request bundle from the station; $BUNDLE names it
bundle() {
  nb=$((nb + 1))
  local dir=$WORK/usb$nb args=()
  mkdir "$dir"
  while [ $# -gt 0 ]; do args+=(--profile "$1" "$2"); shift 2; done
  expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" "${args[@]}" -o "$dir"
  BUNDLE=$(ls "$dir"/*.tar)
}
# requests_json FILTER : python expression over the request list d
req_py() { pc --json requests | python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
leaf_count() { pc --json certs | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin) if c["kind"]=="leaf"))'; }

# ---- 1. a hostile station asks for a code-signing certificate
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/dev/cs.key" 2>/dev/null
openssl req -new -key "$WORK/dev/cs.key" -subj "/O=Acme Plant/CN=Pump Firmware Signer" -out "$WORK/dev/cs.csr"
bundle code-signing "$WORK/dev/cs.csr"
expect 0 pc import "$BUNDLE"
out_has "0 pending, 0 approved by policy, 1 rejected" \
  "profile code-signing: code-signing certificates are made only by \`plantca firmware signer new\` on the CA workstation"
req_py 'r=d[-1]; assert r["status"]=="rejected" and "only by `plantca firmware signer new`" in r["reason"], r' \
  || fail "the code-signing request is not rejected with the reason"
cs_id=$(req_py 'print(d[-1]["id"])')
expect 0 pc approve --all
expect 1 pc approve "$cs_id"
err_has "request $cs_id is rejected"
expect 0 pc sign
out_has "no approved requests to sign"
[ "$(leaf_count)" = 0 ] || fail "a certificate was issued for the hostile station"
ok "a station's code-signing request is rejected at import with the reason; approve --all and sign issue nothing"

# the rule is in the code, not in a profile's name: a plant policy with a
# code-signing profile of its own (dotted OID), or anyExtendedKeyUsage
cat "$SRCDIR/policy/default.policy" - >"$WORK/fw.policy" <<'POL'

[profile fw]
keys = ec-p256
days = 365
key-usage = digitalSignature
ext-key-usage = 1.3.6.1.5.5.7.3.3
subject-require = CN
subject-allow = O

[profile any]
keys = ec-p256
days = 365
key-usage = digitalSignature
ext-key-usage = clientAuth 2.5.29.37.0
subject-require = CN
subject-allow = O
POL
cp "$WORK/fw.policy" "$WORK/fw-seg.policy"
printf '\n[segment line3]\nprofiles = tls-client fw\ndns = line3.plant.local\n' >>"$WORK/fw-seg.policy"
expect 1 "$PLANTCA" policy check "$WORK/fw-seg.policy"
err_has "fw-seg.policy:$(grep -n '^profiles = tls-client fw' "$WORK/fw-seg.policy" | cut -d: -f1): segment line3: profile fw makes code-signing certificates"
expect 0 pc policy set "$WORK/fw.policy"
bundle fw "$WORK/dev/cs.csr" any "$WORK/dev/cs.csr"
expect 0 pc import "$BUNDLE"
out_has "0 pending, 0 approved by policy, 2 rejected" \
  "profile fw: code-signing certificates are made only by" \
  "profile any: anyExtendedKeyUsage"
expect 1 pc issue "$WORK/dev/cs.csr" --ca line3 --profile fw -o "$WORK/x.pem"
err_has "profile fw: code-signing certificates are made only by"
expect 1 pc issue "$WORK/dev/cs.csr" --ca line3 --profile any -o "$WORK/x.pem"
err_has "profile any: anyExtendedKeyUsage"
expect 0 pc policy set "$SRCDIR/policy/default.policy"
expect 1 pc issue "$WORK/dev/cs.csr" --ca line3 --profile code-signing -o "$WORK/x.pem"
err_has "profile code-signing: code-signing certificates are made only by"
[ ! -e "$WORK/x.pem" ] && [ "$(leaf_count)" = 0 ] || fail "a code-signing certificate was issued"
ok "code signing by EKU, not by name: a segment cannot list it, import, issue refuse it (also anyExtendedKeyUsage)"

# ---- 2. the profiles a segment's stations may ask for: [segment *]
cat "$SRCDIR/policy/default.policy" - >"$WORK/lab.policy" <<'POL'

[profile lab]
keys = ec-p256
days = 30
key-usage = digitalSignature
ext-key-usage = clientAuth
subject-require = CN
subject-allow = O
POL
expect 0 pc policy set "$WORK/lab.policy"
mkcsr p256 lab-1 "$WORK/dev/lab-1.csr"
bundle lab "$WORK/dev/lab-1.csr"
expect 0 pc import "$BUNDLE"
out_has "1 rejected" "profile lab is not allowed in segment line3 (tls-server, tls-client, mqtt-client, opcua-app, ldevid, cmp-ra)"
expect 0 pc issue "$WORK/dev/lab-1.csr" --ca line3 --profile lab -o "$WORK/lab-1.pem"
ok "a profile the default segment rules do not list is rejected at import; the officer may still issue it"
expect 0 pc policy set "$SRCDIR/policy/default.policy"

# ---- 3. approval = single: never by approve --all, never with other ids
sed 's/^approval = auto$/approval = officer/' "$SRCDIR/policy/default.policy" >"$WORK/officer.policy"
expect 0 pc policy set "$WORK/officer.policy"
mkcsr p256 plc-7 "$WORK/dev/plc-7.csr"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/dev/ld.key" 2>/dev/null
openssl req -new -key "$WORK/dev/ld.key" -subj "/O=Acme Plant/CN=pump-12/serialNumber=PUMP-0012" -out "$WORK/dev/ld.csr"
bundle tls-client "$WORK/dev/plc-7.csr" ldevid "$WORK/dev/ld.csr"
expect 0 pc import "$BUNDLE"
out_has "2 pending"
ld_id=$(req_py 'print([r["id"] for r in d if r["member"]=="ld.csr"][-1])')
plc_id=$(req_py 'print([r["id"] for r in d if r["member"]=="plc-7.csr"][-1])')
expect 0 pc approve --all
out_has "approved 1 request(s)" "request $ld_id (profile ldevid) needs its own approval: plantca approve $ld_id"
req_py "s={r['id']:r['status'] for r in d}; assert s[$ld_id]=='pending' and s[$plc_id]=='approved', s" \
  || fail "approve --all approved the single-approval request"
expect 1 pc approve "$ld_id" "$plc_id"
err_has "request $ld_id (profile ldevid) needs its own approval: plantca approve $ld_id"
req_py "assert {r['id']:r['status'] for r in d}[$ld_id]=='pending'" || fail "approved together with another id"
expect 0 pc approve "$ld_id"
out_has "approved 1 request(s)"
expect 0 pc sign
out_has "signed 2 request(s)"
ok "approve --all skips the ldevid request and says so; approve with two ids refuses; alone it is approved"
expect 0 pc policy set "$SRCDIR/policy/default.policy"

# ---- 4. import applies the issuing CA's name constraints, without the HSM
mkcsr p256 evil.example.com "$WORK/dev/evil.csr" "DNS:evil.example.com"
bundle tls-server "$WORK/dev/evil.csr"
mdb_dump -a "$CAHOME/db" >"$WORK/before.dump"
leaves=$(leaf_count)
# no PIN, and a token configuration that does not exist: import must not need the HSM
expect 0 env SOFTHSM2_CONF=/nonexistent "$PLANTCA" --home "$CAHOME" import "$BUNDLE" </dev/null
out_has "0 pending, 0 approved by policy, 1 rejected" \
  "pre-issuance check failed: SAN dns:evil.example.com is outside the issuer's permitted name constraints"
mdb_dump -a "$CAHOME/db" >"$WORK/after.dump"
python3 "$SRCDIR/tests/integration/store_diff.py" "$WORK/before.dump" "$WORK/after.dump" >"$WORK/diff"
sed -E 's/^(audit \+|requests \+|stations ~|req-by-status \+|req-unexported \+) .*/\1 X/' "$WORK/diff" >"$WORK/diff.norm"
# the request's index entries (rejected; not yet delivered) come with it
printf 'audit + X\nmeta ~ audit.head\nmeta ~ requests.next\nreq-by-status + X\nreq-unexported + X\nrequests + X\nstations ~ X\n' >"$WORK/diff.want"
cmp -s "$WORK/diff.norm" "$WORK/diff.want" || { cat "$WORK/diff"; fail "import changed more than the rejected request and the station's sequence"; }
req_py 'r=d[-1]; assert r["status"]=="rejected" and "outside the issuer" in r["reason"], r' \
  || fail "the request is not stored rejected with the reason"
expect 0 pc sign
out_has "no approved requests to sign"
[ "$(leaf_count)" = "$leaves" ] || fail "sign issued something"
ok "a SAN outside line3's name constraints is rejected at import (no HSM, no PIN); the store gains only the request, the sequence, the counter and the audit event"

expect 0 pc audit verify
done_testing
