#!/usr/bin/env bash
# The policy engine end to end: a table of CSRs (every key type, good and
# bad) against the default profiles, each with the expected decision and
# message; every issued certificate verified by OpenSSL (-x509_strict) and
# GnuTLS certtool; the opcua-app certificate checked field by field against
# OPC UA Part 6 §6.2.2; policy check / show / set, the audit event and the
# policy hash recorded with each certificate.
. "$(dirname "$0")/lib.sh"

make_ca
cat "$WORK/line3.pem" "$WORK/root.pem" >"$WORK/chain.pem"

# mkreq KEY SUBJECT OUT [SAN]
mkreq() {
  local key=$1 subj=$2 out=$3 san=${4:-} kf=$3.key
  case $key in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$kf" 2>/dev/null ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$kf" 2>/dev/null ;;
    rsa2048|rsa3072|rsa1024)
      openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${key#rsa}" -out "$kf" 2>/dev/null ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$kf" 2>/dev/null ;;
    explicit) openssl ecparam -name prime256v1 -param_enc explicit -genkey -out "$kf" 2>/dev/null ;;
    *) fail "mkreq: unknown key $key" ;;
  esac
  if [ -n "$san" ]; then
    openssl req -new -key "$kf" -subj "$subj" -addext "subjectAltName=$san" -out "$out" 2>/dev/null
  else
    openssl req -new -key "$kf" -subj "$subj" -out "$out" 2>/dev/null
  fi
}

verify_both() {   # CERT WHAT
  openssl verify -x509_strict -check_ss_sig -CAfile "$WORK/root.pem" -untrusted "$WORK/line3.pem" \
    "$1" >"$WORK/verr" 2>&1 || { cat "$WORK/verr"; fail "$2: openssl verify -x509_strict"; }
  cat "$1" "$WORK/chain.pem" >"$WORK/v.chain"
  certtool --verify-chain --infile "$WORK/v.chain" >"$WORK/cterr" 2>&1 || { cat "$WORK/cterr"; fail "$2: certtool"; }
  grep -q 'Chain verification output: Verified' "$WORK/cterr" || { cat "$WORK/cterr"; fail "$2: certtool did not verify"; }
}

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }

declare -A issued
n=0
while IFS='|' read -r key profile subj san opts want msgs; do
  key=$(trim "$key")
  [[ -z "$key" || "$key" == \#* ]] && continue
  profile=$(trim "$profile"); subj=$(trim "$subj"); san=$(trim "$san")
  opts=$(trim "$opts"); want=$(trim "$want"); msgs=$(trim "$msgs")
  [ "$san" = - ] && san=
  [ "$opts" = - ] && opts=
  n=$((n + 1))
  csr=$WORK/case$n.csr
  mkreq "$key" "$subj" "$csr" "$san"
  before=$(store_dump)
  # shellcheck disable=SC2086
  expect "$want" pc issue "$csr" --ca line3 --profile "$profile" $opts -o "$WORK/case$n.pem"
  if [ "$want" -eq 0 ]; then
    verify_both "$WORK/case$n.pem" "case $n ($key $profile)"
    issued[$profile]=$WORK/case$n.pem
    issued[$profile.$key]=$WORK/case$n.pem
    ok "case $n: $key $profile $subj: issued, openssl -x509_strict and certtool verify"
  else
    err_has "$csr"
    if [ "$msgs" != - ]; then
      IFS=';' read -r -a frags <<<"$msgs"
      for f in "${frags[@]}"; do err_has "$f"; done
    fi
    [ ! -e "$WORK/case$n.pem" ] || fail "case $n: refused but a certificate was written"
    [ "$(store_dump)" = "$before" ] || fail "case $n: refused but the store changed"
    ok "case $n: $key $profile refused: ${ERR#plantca: }"
  fi
done <"$SRCDIR/tests/integration/policy-cases.txt"
[ "$n" -ge 20 ] || fail "only $n cases ran"

# ---- extensions, checked by OpenSSL's reading of each certificate
ext() { openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null | tail -n +2 | sed 's/^ *//'; }

# OPC UA Part 6 §6.2.2 application instance certificate, exactly
c=${issued[opcua-app.p256]}
[ "$(ext "$c" keyUsage)" = "Digital Signature, Non Repudiation" ] || fail "opcua KU: $(ext "$c" keyUsage)"
[ "$(ext "$c" extendedKeyUsage)" = "TLS Web Server Authentication, TLS Web Client Authentication" ] \
  || fail "opcua EKU: $(ext "$c" extendedKeyUsage)"
[ "$(ext "$c" subjectAltName)" = "URI:urn:acme:line3:opcua-srv, DNS:opcua.line3.plant.local, IP Address:10.3.0.10" ] \
  || fail "opcua SAN: $(ext "$c" subjectAltName)"
grep -q 'X509v3 Key Usage: critical' < <(openssl x509 -in "$c" -noout -text) || fail "opcua KU not critical"
grep -q 'CA:FALSE' < <(openssl x509 -in "$c" -noout -text) || fail "opcua not CA:FALSE"
exts=$(openssl x509 -in "$c" -noout -text | grep -c '^ *X509v3 [A-Z]')
[ "$exts" -eq 6 ] || fail "opcua certificate has $exts extensions, expected BC, KU, EKU, SAN, SKI, AKI"
[ "$(openssl x509 -in "$c" -noout -subject)" = "subject=O = Acme Plant, CN = opcua-srv" ] || fail "opcua subject"
c=${issued[opcua-app.rsa3072]}
[ "$(ext "$c" keyUsage)" = "Digital Signature, Non Repudiation, Key Encipherment, Data Encipherment" ] \
  || fail "opcua RSA KU: $(ext "$c" keyUsage)"
ok "opcua-app: KU, EKU, SAN (ApplicationUri first), subject exactly as OPC UA Part 6 §6.2.2 asks"

c=${issued[ldevid]}
grep -q 'serialNumber = PUMP-0012' < <(openssl x509 -in "$c" -noout -subject) || fail "ldevid serialNumber"
[ "$(ext "$c" keyUsage)" = "Digital Signature" ] || fail "ldevid KU"
days=$(( ($(date -d "$(openssl x509 -in "$c" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
[ "$days" -ge 3640 ] || fail "ldevid lifetime $days days (capped by the issuing CA's 3650)"
c=${issued[mqtt-client]}
[ "$(ext "$c" extendedKeyUsage)" = "TLS Web Client Authentication" ] || fail "mqtt-client EKU"
c=${issued[tls-server.rsa2048]}
[ "$(ext "$c" keyUsage)" = "Digital Signature, Key Encipherment" ] || fail "tls-server RSA KU"
ok "ldevid (serialNumber, digitalSignature, device lifetime), mqtt-client, RSA KU (code-signing is never issued from a CSR)"

# ---- the policy verbs
expect 0 "$PLANTCA" policy check "$SRCDIR/policy/default.policy"
out_has "ok" "tls-server, tls-client, mqtt-client, opcua-app, ldevid, code-signing, cmp-ra"
printf '[profile p]\nkeys = ec-p256 rsa-1024\n' >"$WORK/bad.policy"
expect 1 "$PLANTCA" policy check "$WORK/bad.policy"
err_has "$WORK/bad.policy:2: keys: 'rsa-1024': RSA keys under 2048 bits are never allowed"
ok "policy check: the default is fine; a bad file is refused naming line 2"

expect 0 pc policy show
out_has "(built-in default policy)" "profile opcua-app" "sha256 $(sha256sum "$SRCDIR/policy/default.policy" | cut -d' ' -f1)"
expect 0 pc --json policy show
python3 -c 'import json,sys; d=json.load(sys.stdin); assert [p["name"] for p in d["profiles"]]==["tls-server","tls-client","mqtt-client","opcua-app","ldevid","code-signing","cmp-ra"], d' <<<"$OUT" \
  || fail "policy show --json"
ok "policy show (text, --json) shows the built-in default and its hash"

# every certificate records the policy it was issued under
serial=$(openssl x509 -in "${issued[ldevid]}" -noout -serial | cut -d= -f2)
expect 0 pc show "$serial"
out_has "policy:     $(sha256sum "$SRCDIR/policy/default.policy" | cut -d' ' -f1)" "profile:    ldevid"
ok "the certificate record names profile and policy hash"

# a plant policy: only P-384, CN pattern, O fixed by the template, CA line3
cat >"$WORK/plant.policy" <<'POL'
[profile sensor]
summary = line 3 sensors
keys = ec-p384
days = 90
key-usage = digitalSignature
ext-key-usage = clientAuth 1.3.6.1.4.1.99999.7
subject-require = CN
subject-set.O = Acme Plant
subject-match.CN = sensor-*
san-allow = dns
san-dns = *.line3.plant.local
ca = line3
POL
expect 1 pc policy set "$WORK/bad.policy"
err_has "bad.policy:2"
[ ! -e "$CAHOME/policy.conf" ] || fail "a bad policy was installed"
expect 0 pc policy set "$WORK/plant.policy"
hash=$(sha256sum "$WORK/plant.policy" | cut -d' ' -f1)
out_has "$hash"
cmp -s "$WORK/plant.policy" "$CAHOME/policy.conf" || fail "policy.conf differs from the file set"
expect 0 pc audit log
grep -q "policy.set.*sha256 $hash" <<<"$OUT" || fail "no policy.set audit event with the hash: $OUT"
expect 0 pc audit verify
ok "policy set: a bad file is refused, a good one installed and audited with its SHA-256"

# No policy in force without its audit event (issue 13 item 2): the event's
# commit failing, or the process killed there, leaves the policy in force
# as it was; killed after the event, the next command that changes the
# home puts the recorded policy in force.  (policy.conf was written before
# the event, so a failed commit left an unaudited policy governing issuance.)
if [ "${FAULT_POINTS:-false}" = true ]; then
  sed 's/^days = 90$/days = 60/' "$WORK/plant.policy" >"$WORK/next.policy"
  cmp -s "$WORK/next.policy" "$WORK/plant.policy" && fail "test bug: next.policy equals plant.policy"
  next=$(sha256sum "$WORK/next.policy" | cut -d' ' -f1)
  in_force() {  # in_force HASH CONTEXT: policy.conf and policy show are that policy
    expect 0 pc policy show
    out_has "$1"
    [ "$(sha256sum "$CAHOME/policy.conf" | cut -d' ' -f1)" = "$1" ] || fail "$2: policy.conf is not $1"
  }
  events_of() { pc audit log | grep -c "policy.set.*sha256 $1" || true; }
  for how in eio enospc kill; do
    rc=0; PLANTCA_FAULT=store.commit:1:$how "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" \
      policy set "$WORK/next.policy" >/dev/null 2>"$WORK/pe" || rc=$?
    [ "$rc" -ne 0 ] || fail "policy set with its event's commit failing ($how) exited 0"
    in_force "$hash" "the event's commit failed ($how)"
    [ "$(events_of "$next")" = 0 ] || fail "$how: a policy.set event of a policy not set"
    expect 0 pc audit interval 100     # a command that changes the home: its recovery runs
    in_force "$hash" "the next command after the failed commit ($how)"
    [ -z "$(ls "$CAHOME" | grep '^policy\.conf\.')" ] || fail "$how: left $(ls "$CAHOME")"
  done
  # killed after the event's commit, before the switch: recorded, then in force
  rc=0; PLANTCA_FAULT=policy.switch:1:kill "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" \
    policy set "$WORK/next.policy" >/dev/null 2>"$WORK/pe" || rc=$?
  [ "$rc" -eq 137 ] || fail "policy set killed at policy.switch: exit $rc: $(cat "$WORK/pe")"
  [ "$(events_of "$next")" = 1 ] || fail "killed after the commit: no policy.set event"
  expect 0 pc audit interval 100
  err_has "policy set" "$next"
  in_force "$next" "the next command after a kill between the event and the switch"
  expect 0 pc audit verify
  expect 0 pc policy set "$WORK/plant.policy"
  in_force "$hash" "setting the first policy again"
  ok "policy set: a failed or killed event commit leaves the policy as it was; killed after it, the next command puts the recorded policy in force"
else
  skip_part "built without -Dfault_points=true: policy set under faults"
fi

mkreq p384 "/O=Other/CN=sensor-1" "$WORK/s1.csr" "DNS:sensor-1.line3.plant.local"
expect 1 pc issue "$WORK/s1.csr" --ca line3 --profile sensor -o "$WORK/s1.pem"
err_has "subject O 'Other' differs from profile sensor's fixed value 'Acme Plant'"
mkreq p384 "/CN=sensor-2" "$WORK/s2.csr" "DNS:sensor-2.line3.plant.local"
expect 0 pc issue "$WORK/s2.csr" --ca line3 --profile sensor -o "$WORK/s2.pem"
verify_both "$WORK/s2.pem" "sensor"
[ "$(openssl x509 -in "$WORK/s2.pem" -noout -subject)" = "subject=O = Acme Plant, CN = sensor-2" ] \
  || fail "template subject: $(openssl x509 -in "$WORK/s2.pem" -noout -subject)"
[ "$(ext "$WORK/s2.pem" extendedKeyUsage)" = "TLS Web Client Authentication, 1.3.6.1.4.1.99999.7" ] \
  || fail "EKU with a dotted OID: $(ext "$WORK/s2.pem" extendedKeyUsage)"
serial=$(openssl x509 -in "$WORK/s2.pem" -noout -serial | cut -d= -f2)
expect 0 pc show "$serial"
out_has "policy:     $hash" "profile:    sensor"
ok "the installed policy governs issuance: template O added, dotted-OID EKU, new hash recorded"

mkreq p256 "/CN=sensor-3" "$WORK/s3.csr" "DNS:sensor-3.line3.plant.local"
expect 1 pc issue "$WORK/s3.csr" --ca line3 --profile sensor -o "$WORK/s3.pem"
err_has "key ec-p256 is not allowed by profile sensor (ec-p384)"
expect 2 pc issue "$WORK/s3.csr" --ca line3 --profile tls-server -o "$WORK/s3.pem"
err_has "unknown profile 'tls-server' (sensor)"
expect 0 pc ca new line4 --subject "/CN=Line 4 CA"
mkreq p384 "/CN=sensor-4" "$WORK/s4.csr" "DNS:sensor-4.line3.plant.local"
expect 1 pc issue "$WORK/s4.csr" --ca line4 --profile sensor -o "$WORK/s4.pem"
err_has "profile sensor issues only from CA 'line3', not 'line4'"
ok "installed policy: key type, unknown profile, issuing CA enforced"

# policy show --json is JSON whatever the officer's file holds: '"' and '\'
# JSON-escaped, a bidi control as the visible escape (common/json.h)
printf '[profile odd]\nsummary = say "hi" \\ back\\slash \342\200\256 RLO\nkeys = ec-p256\ndays = 5\nkey-usage = digitalSignature\nsubject-set.O = a"b\\c\n' \
  >"$WORK/odd.policy"
expect 0 pc policy set "$WORK/odd.policy"
expect 0 pc --json policy show
python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["profiles"][0]
assert p["summary"]=="say \"hi\" \\ back\\slash \\u202e RLO", p
assert p["subject"][0]["set"]=="a\"b\\c", p' <<<"$OUT" || fail "policy show --json: $OUT"
ok "policy show --json escapes the file's text (quotes, backslashes, a bidi control)"

done_testing
