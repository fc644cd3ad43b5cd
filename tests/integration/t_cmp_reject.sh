#!/usr/bin/env bash
# The two ends of a CMP enrollment that is not a success (docs/cmp.md), with
# the real client, Debian's `openssl cmp`, and the real programs:
#  - the officer rejects the request (plantca reject ID --reason TEXT): the
#    reason travels back in the response bundle, the device's next poll
#    gets an ip with status rejection and that text, the client exits
#    non-zero and prints it, and nothing is written to -certout;
#  - the device refuses the certificate it was given (openssl cmp
#    -out_trusted with a CA that did not issue it: the client rejects it in
#    its certConf): serve records it durably (state cert-rejected, the
#    signed certConf kept), answers pkiConf, reports it in the next request
#    bundle; import checks the device's own message again, revokes the
#    certificate (cessationOfOperation, audited) and the next CRL lists it;
#  - a report that does not hold up (a certConf of another transaction
#    planted on the station's disk) is audited as refused and revokes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cmp_setup.sh"
: "${STATION:?}" "${CMP_DUMP:?}"

cmp_setup
idevid SN-0001 "$WORK/dev1"
idevid SN-0002 "$WORK/dev2"
at_exit stop_serve
start_serve
cmp_client() {  # LOG ARGS...: openssl cmp against serve, trusting the plant root for replies
  local log=$1; shift
  timeout 120 openssl cmp -server "$URL" -trusted "$CAHOME/public/root.pem" -recipient "$RA" \
    "$@" >"$log" 2>&1
}

# --- the officer rejects: the reason reaches the device in its next poll
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld1.key" 2>/dev/null
cmp_client "$WORK/rej.log" -cmd ir -cert "$WORK/dev1.pem" -key "$WORK/dev1.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/ld1.key" -subject "/O=Acme Plant/CN=pump-1" -san_nodefault \
  -certout "$WORK/ld1.pem" &
CLIENT=$!
wait_log 1 ' ir txid=.* -> ip waiting'
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "1 CMP request"
expect 0 pc import "$(newest request)"
out_has "1 pending"
rid=$(pending_ids)
reason="pump-1 is not on the commissioning list of line 3"
expect 0 pc reject "$rid" --reason "$reason"
expect 0 pc export line3 "$USB"
out_has "1 CMP answer"
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
rc=0; wait "$CLIENT" || rc=$?
[ "$rc" -ne 0 ] || fail "openssl cmp succeeded after the officer's reject: $(cat "$WORK/rej.log")"
grep -q "$reason" "$WORK/rej.log" || fail "the reason is not in the client's output: $(cat "$WORK/rej.log")"
grep -qi 'rejection' "$WORK/rej.log" || fail "no status rejection in the client's output: $(cat "$WORK/rej.log")"
[ ! -e "$WORK/ld1.pem" ] || fail "a certificate was written"
grep -q 'pollReq txid=.* -> ip rejected failInfo=none' "$WORK/serve.log" || fail "serve log: $(tail -3 "$WORK/serve.log")"
tx1=$(grep -l 'hwSerialNum\|serialNumber SN-0001' "$ST"/cmp/*.tx | head -1)
grep -q 'state: closed' "$tx1" || fail "transaction: $(cat "$tx1")"
ok "plantca reject ID --reason: the reason travels back in the response bundle; the device's next poll gets an ip with status rejection and the text; openssl cmp exits $rc and prints it; no certificate written"

# --- the device refuses its certificate in certConf
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld2.key" 2>/dev/null
# -out_trusted: the client verifies the new certificate against the
# manufacturer's CA, which did not issue it, and rejects it in its certConf
cmp_client "$WORK/conf.log" -cmd ir -cert "$WORK/dev2.pem" -key "$WORK/dev2.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/ld2.key" -subject "/O=Acme Plant/CN=pump-2" -san_nodefault \
  -certout "$WORK/ld2.pem" -out_trusted "$M/ca.pem" &
CLIENT=$!
wait_log 2 ' ir txid=.* -> ip waiting'
tx2=$(grep -l 'serialNumber SN-0002' "$ST"/cmp/*.tx | head -1)
round_trip
rc=0; wait "$CLIENT" || rc=$?
[ "$rc" -ne 0 ] || fail "openssl cmp accepted a certificate it could not verify: $(cat "$WORK/conf.log")"
grep -q 'sending CERTCONF' "$WORK/conf.log" || fail "no certConf sent: $(cat "$WORK/conf.log")"
grep -q 'received PKICONF' "$WORK/conf.log" || fail "no pkiConf received: $(cat "$WORK/conf.log")"
grep -q 'certConf txid=.* -> pkiconf cert-rejected failInfo=none: .*device rejected the certificate' \
  "$WORK/serve.log" || fail "serve log: $(tail -3 "$WORK/serve.log")"
grep -q 'state: cert-rejected' "$tx2" || fail "transaction: $(cat "$tx2")"
t2=$(basename "$tx2" .tx)
# what serve kept is the client's own certConf, protected, with its text
"$CMP_DUMP" "$ST/cmp/$t2.conf" >"$WORK/dump.txt" 2>&1 || fail "$t2.conf: $(cat "$WORK/dump.txt")"
printf '%s\n' "body certConf" "pvno 2" "txid $t2" "text CMP client did not accept it" "protected yes" \
  "extraCerts 2" | diff - "$WORK/dump.txt" >"$WORK/dump.diff" || fail "$t2.conf: $(cat "$WORK/dump.diff")"
serial2=$(sed -n 's/^serial: //p' "$tx2")
[ -n "$serial2" ] || fail "no serial in $(cat "$tx2")"
# durable: a restart of serve keeps it
stop_serve
start_serve
grep -q 'state: cert-rejected' "$tx2" || fail "lost over a restart: $(cat "$tx2")"
ok "openssl cmp -out_trusted (another CA) rejects its new certificate in certConf (exit $rc); serve answers pkiConf, keeps the signed certConf and state cert-rejected over a restart"

expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "1 certificate refused by its device (certConf), reported to the CA"
tar tf "$(newest request)" | grep -qx "cmp-$t2.certconf" || fail "no certconf member: $(tar tf "$(newest request)")"
grep -q 'state: reported' "$tx2" || fail "transaction: $(cat "$tx2")"
expect 0 pc show "$serial2"
out_has "valid"
expect 0 pc --json import "$(newest request)"
python3 -c 'import json, sys; c = json.loads(sys.argv[1])["certconf"]
assert c == {"revoked": 1, "already_revoked": 0, "refused": 0}, c' "$OUT" || fail "import --json: $OUT"
expect 0 pc show "$serial2"
out_has "revoked" "cessationOfOperation"
expect 0 pc audit log
out_has "cmp.certconf" "the device refused it in its certConf"
expect 0 pc audit verify
expect 0 pc crl --ca line3 -o "$WORK/line3.crl"
openssl crl -in "$WORK/line3.crl" -noout -text >"$WORK/crl.txt"
tr -d ': \n' <"$WORK/crl.txt" | tr A-F a-f | grep -q "$serial2" || fail "the CRL does not list $serial2"
grep -q 'Cessation Of Operation' "$WORK/crl.txt" || fail "CRL reason: $(cat "$WORK/crl.txt")"
# the station tells nothing twice: the next request has no report
expect 2 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
err_has "no CMP request waiting"
ok "the next request bundle reports the refusal (cmp-TXID.certconf); import verifies the device's certConf, revokes the certificate (cessationOfOperation), audits it; the next CRL lists it; reported once"

# --- a report that does not hold up: the certConf of transaction 2 planted
# on the station's disk as transaction 1's (another device's, never issued)
t1=$(basename "$tx1" .tx)
cp "$ST/cmp/$t2.conf" "$ST/cmp/$t1.conf"
sed -i 's/^state: closed$/state: cert-rejected/' "$tx1"
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "1 certificate refused by its device"
before=$(pc --json certs --revoked | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect 0 pc import "$(newest request)"
out_has "certConf: 0 certificates refused by their devices, revoked; 1 report refused"
after=$(pc --json certs --revoked | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$before" = "$after" ] || fail "a refused report revoked something ($before -> $after)"
expect 0 pc audit log
out_has "its transactionID is not the member's"
# garbage in its place, and the genuine report of transaction 2 a second time
head -c 300 /dev/urandom >"$ST/cmp/$t1.conf"
sed -i 's/^state: reported$/state: cert-rejected/' "$tx1" "$tx2"
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "2 certificates refused by their devices"
revs=$(pc audit log | grep -c 'cmp.certconf.*revoked' || true)
expect 0 pc --json import "$(newest request)"
python3 -c 'import json, sys; c = json.loads(sys.argv[1])["certconf"]
assert c == {"revoked": 0, "already_revoked": 0, "refused": 2}, c' "$OUT" || fail "import --json: $OUT"
[ "$(pc audit log | grep -c 'cmp.certconf.*revoked' || true)" = "$revs" ] || fail "a repeated report was recorded again"
after=$(pc --json certs --revoked | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$before" = "$after" ] || fail "a refused or repeated report revoked something ($before -> $after)"
expect 0 pc audit log
out_has "not a DER PKIMessage" "cmp-$t2.certconf: the refusal of transaction $t2 (request"
expect 0 pc audit verify
ok "a certConf report that is not its transaction's, or not a PKIMessage, is audited as refused and revokes nothing; a report repeated changes nothing and is audited as refused"

stop_serve
done_testing
