#!/usr/bin/env bash
# Devices enroll themselves (docs/cmp.md), with the real client: Debian's
# `openssl cmp` (OpenSSL 3.0) is the device, a test manufacturer CA made
# with OpenSSL issues its IEEE 802.1AR IDevID (subject serialNumber,
# HardwareModuleName otherName, notAfter 99991231235959Z), and
# `plantca-station serve` answers on loopback.  While the client polls, the
# test carries the request bundle to the CA (import, approve, sign, export)
# and the response back (accept); the client gets its LDevID, confirms it
# and exits 0; `openssl verify -x509_strict` and a mosquitto broker accept
# it.  cr (signed with the LDevID) and p10cr (signed with an IDevID) are
# enrolled together in one round trip.  Then kur renews it and rr revokes
# it (the next CRL lists it, the broker refuses it).  The refusals of
# docs/cmp.md each get a CMP error with the right PKIFailureInfo and queue
# nothing (bad protection also as a raw curl POST; an IDevID on its
# manufacturer's CRL: certRevoked); an enrollment past serve --expire gets
# an ip rejection on its next poll; SIGTERM with open transactions, then a
# restart, loses none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cmp_common.sh"
: "${STATION:?}" "${CMP_DUMP:?}"
need mosquitto "the broker judges the enrolled certificate (scripts/setup installs it)"
need mosquitto_pub "the broker's client (scripts/setup installs mosquitto-clients)"
need curl "raw HTTP POSTs to serve (scripts/setup installs it)"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
ST=$WORK/st
USB=$WORK/usb
mkdir "$USB"
expect 0 st init "$ST" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$ST/station.pub" --ca line3
kid=$(head -1 "$ST/station.pub" | awk '{print $NF}')
newest() { ls "$USB"/line3-"$1"-*.tar | sort | tail -1; }   # the last bundle of a kind

# --- the manufacturer: a CA of its own and IDevIDs, made with OpenSSL
# (cmp_common.sh: the same manufacturer as the other CMP tests and the bench)
M=$WORK/mfg
export HWSN=none     # the configuration names it; idevid sets it per device
mkdir -p "$M" "$M/other"
mfg_conf "$M/ca.cnf"
# mfgca DIR NAME: a manufacturer CA in DIR
mfgca() { mfg_ca "$1" "/O=$2/CN=$2 IDevID CA"; }
# idevid DIR SN OUT [ENDDATE]: an IDevID of manufacturer DIR for hardware
# serial SN, with its HardwareModuleName
idevid() {
  mfg_csr "/O=Acme Devices/CN=pump/serialNumber=$2" "$3" &&
    HWSN=$2 mfg_sign "$1" "$3.csr" "$3.pem" idevid_hw "${4:-}" || fail "openssl ca: IDevID $2"
}
mfgca "$M" "Acme Devices"
mfgca "$M/other" "Other Corp"
idevid "$M" SN-0001 "$WORK/dev1"
idevid "$M" SN-0002 "$WORK/dev2"
idevid "$M/other" SN-9999 "$WORK/stranger"
idevid "$M" SN-0003 "$WORK/expired" 20210101000000Z
idevid "$M" SN-0004 "$WORK/dev4"
idevid "$M" SN-0005 "$WORK/dev5"
# a manufacturer that revoked one of its IDevIDs: its CRL travels with its CA
mkdir -p "$M/revo/db"
mfgca "$M/revo" "Revo Corp"
idevid "$M/revo" SN-0666 "$WORK/revoked"
(cd "$M/revo" && echo 01 >db/crlnumber &&
  openssl ca -batch -config "$M/ca.cnf" -cert ca.pem -keyfile ca.key -revoke "$WORK/revoked.pem" \
    -crl_reason keyCompromise 2>/dev/null &&
  openssl ca -batch -config "$M/ca.cnf" -cert ca.pem -keyfile ca.key -gencrl -crldays 30 \
    -out crl.pem 2>/dev/null) || fail "openssl ca: the manufacturer's CRL"
cat "$M/revo/ca.pem" "$M/revo/crl.pem" >"$M/revo/ca+crl.pem"
openssl x509 -in "$WORK/dev1.pem" -noout -enddate | grep -q 'Dec 31 23:59:59 9999 GMT' || fail "no 9999 notAfter"
expect 0 pc manufacturer add acme "$M/ca.pem" --segment line3
out_has "manufacturer acme"
expect 0 pc manufacturer list
out_has "acme" "line3" "Acme Devices IDevID CA"
expect 0 pc audit log
out_has "manufacturer.add"
ok "manufacturer CA and IDevIDs made with OpenSSL; plantca manufacturer add/list, audited"

# --- the station's RA certificate through the normal round trip
expect 1 st serve "$ST" --listen 127.0.0.1:0 --passphrase-file "$WORK/pass"
err_has "no RA certificate yet"
expect 0 st ra-key "$ST" --passphrase-file "$WORK/pass"
[ "$(mode "$ST/ra.key")" = 600 ] || fail "ra.key mode $(mode "$ST/ra.key")"
grep -q '^untrusted comment' "$ST/ra.key" || fail "ra.key is not a minisign key file"
# the CSR pkix_csr_build made: OpenSSL checks its self-signature and reads the subject
openssl req -in "$ST/ra.csr" -verify -noout -subject >"$WORK/racsr.txt" 2>&1 \
  || fail "openssl req -verify ra.csr: $(cat "$WORK/racsr.txt")"
grep -q "CN = CMP RA $kid" "$WORK/racsr.txt" || fail "ra.csr subject: $(cat "$WORK/racsr.txt")"
expect 0 st request "$ST" --profile cmp-ra "$ST/ra.csr" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$(newest request)"
out_has "1 pending"
rid=$(pc --json requests --status pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect 0 pc approve --all
out_has "approved 0"
expect 0 pc approve "$rid"
expect 0 pc sign
expect 0 pc crl
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
out_has "RA certificate" "serve can start"
openssl x509 -in "$ST/ra.pem" -noout -ext extendedKeyUsage,keyUsage >"$WORK/ra.ext"
grep -q 'CMC Registration Authority\|1.3.6.1.5.5.7.3.28' "$WORK/ra.ext" || fail "RA EKU: $(cat "$WORK/ra.ext")"
grep -q 'Digital Signature' "$WORK/ra.ext" || fail "RA keyUsage: $(cat "$WORK/ra.ext")"
[ -s "$ST/manufacturers.pem" ] || fail "manufacturers.pem not delivered"
# the CA refuses cmp-ra for anybody else: a direct issue, another CN
openssl genpkey -algorithm ED25519 -out "$WORK/x.key" 2>/dev/null
openssl req -new -key "$WORK/x.key" -subj "/O=plantca/OU=line3/CN=CMP RA $kid" -out "$WORK/x.csr"
expect 1 pc issue "$WORK/x.csr" --ca line3 --profile cmp-ra -o "$WORK/x.pem"
err_has "only to an enrolled station"
ok "ra-key, request --profile cmp-ra, approve ID (not --all), accept installs ra.pem (cmcRA, digitalSignature); plantca issue of cmp-ra refused"

# --- serve
start_serve() {
  "$STATION" serve "$ST" --listen 127.0.0.1:0 --check-after 1 --timeout 3 --max-request 20000 \
    --expire 1 --passphrase-file "$WORK/pass" >"$WORK/serve.out" 2>>"$WORK/serve.log" &
  SERVE=$!
  local i
  # serve opens ra.key first: minisign's scrypt (1 GiB) takes 12 s on a
  # loaded 2-core machine, so wait up to 120 s (serve dying ends it early)
  for i in $(seq 1 1200); do
    PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$WORK/serve.out")
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVE" 2>/dev/null || fail "serve died: $(cat "$WORK/serve.log")"
    sleep 0.1
  done
  fail "serve did not start"
}
stop_serve() {
  if [ -n "${SERVE:-}" ]; then kill -TERM "$SERVE" 2>/dev/null || true; wait "$SERVE" || true; fi
  SERVE=
}
at_exit stop_serve
start_serve
URL=127.0.0.1:$PORT/.well-known/cmp
cat "$WORK/pki/trust.pem" >"$WORK/trust.pem"

# the device: ir signed with its IDevID, polling in one process
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld1.key" 2>/dev/null
cmp_client() {  # LOG ARGS...: openssl cmp against serve, trusting the plant root for replies
  local log=$1; shift
  timeout 120 openssl cmp -server "$URL" -trusted "$CAHOME/public/root.pem" \
    -recipient "/O=plantca/OU=line3/CN=CMP RA $kid" "$@" >"$log" 2>&1
}
cmp_client "$WORK/ir.log" -cmd ir -cert "$WORK/dev1.pem" -key "$WORK/dev1.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/ld1.key" -subject "/O=Acme Plant/CN=pump-1" -san_nodefault \
  -certout "$WORK/ld1.pem" -reqout "$WORK/ir.der$(for i in $(seq 2 40); do printf ',%s' "$WORK/irseq-$i.der"; done)" &
CLIENT=$!
# (the log line comes after the .tx is on disk and the reply is built)
for i in $(seq 1 600); do grep -q 'cmp .* ir txid=.* -> ip waiting' "$WORK/serve.log" && break; sleep 0.1; done
ls "$ST"/cmp/*.tx >/dev/null 2>&1 || fail "no transaction queued: $(cat "$WORK/serve.log")"
grep -q 'cmp .* ir txid=.* -> ip waiting' "$WORK/serve.log" || fail "log: $(cat "$WORK/serve.log")"
# carried across the air gap while the device polls
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "1 CMP request"
tar tf "$(newest request)" | grep -q '^cmp-[0-9a-f]*\.cmp$' || fail "no cmp member"
expect 0 pc import "$(newest request)"
out_has "1 pending"
expect 0 pc requests --status pending
out_has "pump-1" "ldevid"
# the officer's review screen: the device facts, exactly (openssl says them too)
tx1=$(basename "$(ls "$ST"/cmp/*.tx | head -1)" .tx)
idfp=$(openssl x509 -in "$WORK/dev1.pem" -noout -fingerprint -sha256 | sed 's/.*=//' | tr A-F a-f)
idser=$(openssl x509 -in "$WORK/dev1.pem" -noout -serial | sed 's/.*=//' | tr A-F a-f)
printf '%s\n' "  CMP      ir, transaction $tx1" \
  "  IDevID   manufacturer acme, hardware serial SN-0001" \
  "           issuer CN=Acme Devices IDevID CA,O=Acme Devices, serial $idser" \
  "           SHA-256 $idfp" >"$WORK/review.want"
grep -A3 '^  CMP      ir' <<<"$OUT" >"$WORK/review.got" || true
diff "$WORK/review.want" "$WORK/review.got" >"$WORK/review.diff" || fail "review screen: $(cat "$WORK/review.diff")"
expect 0 pc --json requests --status pending
python3 - "$OUT" "$tx1" "$idfp" "$idser" <<'PY' || fail "requests --json cmp: $OUT"
import json, sys
r = json.loads(sys.argv[1])[0]["cmp"]
assert r["body"] == "ir" and r["transaction"] == sys.argv[2], r
assert r["signer"] == {"issuer": "CN=Acme Devices IDevID CA,O=Acme Devices", "serial": sys.argv[4],
                       "sha256": sys.argv[3]}, r
assert r["idevid"] == {"manufacturer": "acme", "hw_serial": "SN-0001"}, r
PY
rid=$(pc --json requests --status pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect 0 pc approve "$rid"
expect 0 pc sign
expect 0 pc export line3 "$USB"
out_has "1 CMP answer"
# The CMP answer's durable steps (the .tx files it rewrites: cmp.rename,
# file.write, dir.sync), on copies of the station: killed or failed at
# each, the station is the one before (the transaction still waiting) or
# after, and accepting the bundle again applies the answer.
if [ "${FAULT_POINTS:-false}" = true ]; then
  resp=$(newest response)
  txstate() { for f in "$1"/cmp/*.tx; do printf '%s %s\n' "$(basename "$f")" "$(grep -a '^state:' "$f")"; done; }
  fresh() { rm -rf "$WORK/fst" "$WORK/fpki"; cp -a "$ST" "$WORK/fst"; cp -a "$WORK/pki" "$WORK/fpki"; }
  fresh; before=$(txstate "$WORK/fst")
  PLANTCA_FAULT_LOG=$WORK/cmp.points expect 0 st accept "$WORK/fst" "$resp" --out "$WORK/fpki"
  after=$(txstate "$WORK/fst")
  [ "$before" != "$after" ] || fail "test bug: the answer changed no transaction state"
  grep -qx cmp.rename "$WORK/cmp.points" || fail "accept of a CMP answer never reached cmp.rename: $(sort -u "$WORK/cmp.points" | tr '\n' ' ')"
  runs=0
  while read -r point count; do
    for ((n = 1; n <= count; n++)); do
      for how in kill eio; do
        fresh
        rc=0; PLANTCA_FAULT=$point:$n:$how "$STATION" accept "$WORK/fst" "$resp" --out "$WORK/fpki" \
          >/dev/null 2>"$WORK/ferr" </dev/null || rc=$?
        [ "$rc" -ne 0 ] || [ "$point" = accept.cleanup ] || fail "$point:$n:$how: accept exited 0"
        now=$(txstate "$WORK/fst")
        [ "$now" = "$before" ] || [ "$now" = "$after" ] || fail "$point:$n:$how: the transactions are neither before nor after: $now"
        rc=0; "$STATION" accept "$WORK/fst" "$resp" --out "$WORK/fpki" >/dev/null 2>"$WORK/rerr" </dev/null || rc=$?
        [ "$rc" -eq 0 ] || grep -q 'not newer than the last accepted' "$WORK/rerr" \
          || fail "$point:$n:$how, accepted again: exit $rc: $(cat "$WORK/rerr")"
        [ "$(txstate "$WORK/fst")" = "$after" ] || fail "$point:$n:$how: after accepting again, the answer is not applied: $(txstate "$WORK/fst")"
        runs=$((runs + 1))
      done
    done
  done < <(grep -E '^(cmp\.rename|file\.write|dir\.sync|accept\.)' "$WORK/cmp.points" | sort | uniq -c | awk '{print $2, $1}')
  rm -rf "$WORK/fst" "$WORK/fpki"
  ok "accept of a CMP answer killed or failed at each of its fault points ($runs runs): transactions before or after, and accepting again applies the answer"
else
  skip_part "built without -Dfault_points=true: accept of a CMP answer under faults"
fi
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
wait "$CLIENT" || fail "openssl cmp ir: $(cat "$WORK/ir.log")"
grep -q 'received IP' "$WORK/ir.log" || fail "ir log: $(cat "$WORK/ir.log")"
grep -q 'received PKICONF' "$WORK/ir.log" || fail "no certConf/pkiConf: $(cat "$WORK/ir.log")"
grep -q 'pollReq .* pollRep waiting' "$WORK/serve.log" || fail "no polling: $(cat "$WORK/serve.log")"
grep -q 'certConf .* confirmed' "$WORK/serve.log" || fail "no certConf: $(cat "$WORK/serve.log")"
openssl verify -x509_strict -CAfile "$WORK/pki/trust.pem" "$WORK/ld1.pem" >/dev/null \
  || fail "openssl verify of the LDevID"
openssl x509 -in "$WORK/ld1.pem" -noout -subject | grep -q 'serialNumber = SN-0001' \
  || fail "IDevID serialNumber not carried: $(openssl x509 -in "$WORK/ld1.pem" -noout -subject)"
ld1=$(serial_of "$WORK/ld1.pem")
expect 0 pc show "$ld1"
out_has "IDevID" "SN-0001" "acme"
expect 0 pc --json certs
python3 - "$OUT" "$ld1" <<'PY' || fail "certs --json idevid"
import json, sys
d = json.loads(sys.argv[1])
c = [x for x in d if x["serial"] == sys.argv[2]][0]
i = c["idevid"]
assert i["hw_serial"] == "SN-0001" and i["manufacturer"] == "acme", i
assert i["serial"] and i["issuer"] and i["sha256"], i
PY
ok "ir with an IDevID: waiting, polled across one bundle round trip, ip, certConf, exit 0; openssl verify -x509_strict; show and certs --json name the IDevID"

# --- a broker accepts it
MQPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkcsr p256 broker "$WORK/broker.csr" "DNS:broker.line3.plant.local"
expect 0 pc issue "$WORK/broker.csr" --ca line3 --profile tls-server -o "$WORK/broker.pem"
cat "$WORK/line3.pem" "$WORK/root.pem" >"$WORK/chain.pem"
cat >"$WORK/mosquitto.conf" <<CONF
user $(id -un)
persistence false
log_dest stderr
listener $MQPORT 127.0.0.1
allow_anonymous true
cafile $WORK/chain.pem
certfile $WORK/broker.pem
keyfile $WORK/broker.csr.key
require_certificate true
crlfile $WORK/line3.crl
CONF
BROKER=
stop_broker() { if [ -n "$BROKER" ]; then kill "$BROKER" 2>/dev/null || true; wait "$BROKER" 2>/dev/null || true; fi; BROKER=; }
start_broker() {
  expect 0 pc crl --ca line3 -o "$WORK/line3.crl"
  mosquitto -c "$WORK/mosquitto.conf" 2>>"$WORK/broker.log" &
  BROKER=$!
  for i in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$MQPORT") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "broker did not start: $(cat "$WORK/broker.log")"
}
at_exit stop_broker
# --insecure: the broker name is under the line3 CA's DNS constraint, not 127.0.0.1;
# what is judged here is the broker's check of the client certificate
publish() { timeout 20 mosquitto_pub -h 127.0.0.1 -p "$MQPORT" --cafile "$WORK/chain.pem" --insecure \
  --cert "$1" --key "$2" -t plant/test -m hello -q 1; }
start_broker
publish "$WORK/ld1.pem" "$WORK/ld1.key" 2>"$WORK/pub.err" || fail "broker refused the LDevID: $(cat "$WORK/pub.err")"
stop_broker
ok "a mosquitto broker (require_certificate, CRL) accepts the enrolled LDevID"

# --- cr (signed with the LDevID) and p10cr (a PKCS#10 request, signed with an
# IDevID), both waiting at once and carried in one bundle round trip
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/cr.key" 2>/dev/null
cmp_client "$WORK/cr.log" -cmd cr -cert "$WORK/ld1.pem" -key "$WORK/ld1.key" \
  -extracerts "$WORK/line3.pem" -newkey "$WORK/cr.key" \
  -subject "/O=Acme Plant/CN=pump-1/serialNumber=SN-0001" -san_nodefault \
  -certout "$WORK/cr.pem" -reqout "$WORK/cr.der" &
CR=$!
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$WORK/p10.key" \
  -subj "/O=Acme Plant/CN=pump-4/serialNumber=SN-0004" -out "$WORK/p10.csr" 2>/dev/null
cmp_client "$WORK/p10cr.log" -cmd p10cr -cert "$WORK/dev4.pem" -key "$WORK/dev4.key" \
  -extracerts "$M/ca.pem" -csr "$WORK/p10.csr" -certout "$WORK/p10.pem" -implicit_confirm &
P10=$!
for i in $(seq 1 600); do
  grep -q 'cr txid=.* -> cp waiting' "$WORK/serve.log" && grep -q 'p10cr txid=.* -> cp waiting' "$WORK/serve.log" && break
  sleep 0.1
done
grep -q ' cr txid=.* -> cp waiting' "$WORK/serve.log" || fail "cr not queued: $(tail -3 "$WORK/serve.log")"
grep -q 'p10cr txid=.* -> cp waiting' "$WORK/serve.log" || fail "p10cr not queued: $(tail -3 "$WORK/serve.log")"
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "2 CMP request"
expect 0 pc import "$(newest request)"
out_has "2 pending"
for rid in $(pc --json requests --status pending | python3 -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin)))'); do
  expect 0 pc approve "$rid"
done
expect 0 pc sign
expect 0 pc export line3 "$USB"
out_has "2 CMP answer"
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
wait "$CR" || fail "openssl cmp cr: $(cat "$WORK/cr.log")"
wait "$P10" || fail "openssl cmp p10cr: $(cat "$WORK/p10cr.log")"
grep -q 'received CP' "$WORK/cr.log" || fail "cr log: $(cat "$WORK/cr.log")"
grep -q 'received CP' "$WORK/p10cr.log" || fail "p10cr log: $(cat "$WORK/p10cr.log")"
# p10cr asked for implicit confirmation: granted in the cp, so no certConf follows
grep -q 'sending CERTCONF' "$WORK/p10cr.log" && fail "implicit confirmation not granted: $(cat "$WORK/p10cr.log")"
grep -q 'p10cr txid=.* -> cp waiting' "$WORK/serve.log" || fail "p10cr"
for c in cr p10; do
  openssl verify -x509_strict -CAfile "$WORK/pki/trust.pem" "$WORK/$c.pem" >/dev/null || fail "verify $c.pem"
done
[ "$(openssl x509 -in "$WORK/cr.pem" -noout -pubkey)" = "$(openssl pkey -in "$WORK/cr.key" -pubout)" ] \
  || fail "cr: not the new key"
[ "$(openssl x509 -in "$WORK/p10.pem" -noout -pubkey)" = "$(openssl pkey -in "$WORK/p10.key" -pubout)" ] \
  || fail "p10cr: not the CSR's key"
openssl x509 -in "$WORK/p10.pem" -noout -subject | grep -q 'CN = pump-4, serialNumber = SN-0004' \
  || fail "p10cr subject: $(openssl x509 -in "$WORK/p10.pem" -noout -subject)"
expect 0 pc show "$(serial_of "$WORK/p10.pem")"
out_has "IDevID" "SN-0004" "acme"
ok "cr signed with the LDevID and p10cr signed with an IDevID: waiting, one round trip, cp, certConf (p10cr: implicit confirmation granted), exit 0; openssl verify -x509_strict; the p10cr's IDevID recorded"

# --- a second ir of the same device is refused (renewal is kur's)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/dup.key" 2>/dev/null
cmp_client "$WORK/dup.log" -cmd ir -cert "$WORK/dev1.pem" -key "$WORK/dev1.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/dup.key" -subject "/O=Acme Plant/CN=pump-1" -san_nodefault \
  -certout "$WORK/dup.pem" &
CLIENT=$!
for i in $(seq 1 600); do [ "$(grep -c 'ir txid=.* -> ip waiting' "$WORK/serve.log")" -ge 2 ] && break; sleep 0.1; done
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$(newest request)"
out_has "1 rejected" "already has request"
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
if wait "$CLIENT"; then fail "duplicate ir was granted"; fi
grep -q 'already has request' "$WORK/dup.log" || fail "reason not delivered: $(cat "$WORK/dup.log")"
ok "a second ir of the device is rejected at import; the reason reaches the device in its ip (rejection)"

# --- kur: renewal with a new key, signed with the current LDevID
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld2.key" 2>/dev/null
cmp_client "$WORK/kur.log" -cmd kur -cert "$WORK/ld1.pem" -key "$WORK/ld1.key" \
  -extracerts "$WORK/line3.pem" -newkey "$WORK/ld2.key" -certout "$WORK/ld2.pem" &
CLIENT=$!
for i in $(seq 1 600); do grep -q 'kur txid=.* -> kup waiting' "$WORK/serve.log" && break; sleep 0.1; done
grep -q 'kur txid=.* -> kup waiting' "$WORK/serve.log" || fail "kur: $(tail -3 "$WORK/serve.log")"
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$(newest request)"
expect 0 pc requests --status pending
out_has "  CMP      kur, transaction " "  signer   LDevID, issuer " "  renews   $(serial_of "$WORK/ld1.pem")"
rid=$(pc --json requests --status pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect 0 pc approve "$rid"
expect 0 pc sign
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
wait "$CLIENT" || fail "openssl cmp kur: $(cat "$WORK/kur.log")"
openssl verify -x509_strict -CAfile "$WORK/pki/trust.pem" "$WORK/ld2.pem" >/dev/null || fail "verify ld2"
[ "$(serial_of "$WORK/ld2.pem")" != "$ld1" ] || fail "kur gave the same serial"
ld2=$(serial_of "$WORK/ld2.pem")
expect 0 pc show "$ld1"
out_has "superseded by $ld2"
ok "kur signed with the LDevID renews it with the new key; the old one is recorded as superseded"

# the store upgrade (t_upgrade) indexes kur renewals a schema 1 store holds:
# a copy of this home, turned back into schema 1, upgraded again
cp -a "$CAHOME" "$WORK/ca-v1"
rm -f "$WORK/ca-v1/lock"
"$STORE_DOWNGRADE" "$WORK/ca-v1/db" || fail "store_downgrade"
expect 2 "$PLANTCA" --home "$WORK/ca-v1" show "$ld1"
err_has "store schema 1 is older than this plantca"
expect 0 "$PLANTCA" --home "$WORK/ca-v1" migrate
err_has "1 renewal(s) by kur indexed"
expect 0 "$PLANTCA" --home "$WORK/ca-v1" show "$ld1"
out_has "superseded by $ld2"
expect 0 "$PLANTCA" --home "$WORK/ca-v1" audit verify
ok "a schema 1 copy of this store upgrades with the kur renewal indexed (superseded by $ld2), audit verify passes"

# --- rr: signed by the certificate it revokes; answered at once, queued
cmp_client "$WORK/rr.log" -cmd rr -cert "$WORK/ld2.pem" -key "$WORK/ld2.key" \
  -extracerts "$WORK/line3.pem" -oldcert "$WORK/ld2.pem" || fail "openssl cmp rr: $(cat "$WORK/rr.log")"
grep -q 'rr txid=.* -> rp queued' "$WORK/serve.log" || fail "rr log: $(tail -3 "$WORK/serve.log")"
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$(newest request)"
expect 0 pc --json certs --revoked
[[ "$OUT" == *"$ld2"* ]] || fail "ld2 not revoked: $OUT"
expect 0 pc crl --ca line3 -o "$WORK/line3.crl"
openssl crl -in "$WORK/line3.crl" -noout -text | tr -d ': \n' | tr A-F a-f | grep -q "$ld2" \
  || fail "the CRL does not list $ld2"
start_broker
if publish "$WORK/ld2.pem" "$WORK/ld2.key" 2>/dev/null; then fail "broker accepted the revoked LDevID"; fi
stop_broker
ok "rr signed by the LDevID: rp at once, revoked at import, the next CRL lists it, the broker refuses it"

# --- refusals: each a CMP error with its PKIFailureInfo, nothing queued
post() {  # FILE OUT: POST FILE as application/pkixcmp; the reply in OUT
  python3 - "$PORT" "$1" "$2" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
c.request("POST", "/", open(sys.argv[2], "rb").read(), {"Content-Type": "application/pkixcmp"})
r = c.getresponse()
assert r.status == 200 and r.getheader("Content-Type") == "application/pkixcmp", (r.status, r.getheader("Content-Type"))
open(sys.argv[3], "wb").write(r.read())
PY
}
refused() {  # FAILINFO FRAGMENT: the last reply ($WORK/rsp.der) is that error
  "$CMP_DUMP" "$WORK/rsp.der" >"$WORK/rsp.txt" || fail "reply does not parse: $(cat "$WORK/rsp.txt")"
  grep -q "^body error" "$WORK/rsp.txt" || fail "not an error: $(cat "$WORK/rsp.txt")"
  grep -q "failInfo $1" "$WORK/rsp.txt" || fail "want $1: $(cat "$WORK/rsp.txt")"
  grep -q -- "$2" "$WORK/rsp.txt" || fail "want '$2': $(cat "$WORK/rsp.txt")"
}
ntx() { ls "$ST"/cmp/*.tx | wc -l; }
before=$(ntx)
# a replayed transaction: the saved ir, sent again
post "$WORK/ir.der" "$WORK/rsp.der"; refused transactionIdInUse "already in use"
# unknown manufacturer, expired IDevID, IDevID of another segment (made below)
try_ir() {  # NAME CERT KEY EXTRA: an ir signed with CERT, its request saved in $WORK/NAME.der
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/$1.new" 2>/dev/null
  rm -f "$WORK/rsp.der"
  cmp_client "$WORK/$1.log" -cmd ir -cert "$2" -key "$3" -extracerts "$4" -newkey "$WORK/$1.new" \
    -subject "/CN=$1" -san_nodefault -certout "$WORK/$1.out" -reqout "$WORK/$1.der" \
    -rspout "$WORK/rsp.der" && fail "$1 enrolled"
  true
}
try_ir stranger "$WORK/stranger.pem" "$WORK/stranger.key" "$M/other/ca.pem"
refused signerNotTrusted "IDevID not accepted"
try_ir expired "$WORK/expired.pem" "$WORK/expired.key" "$M/ca.pem"
refused signerNotTrusted "IDevID not accepted"
# unprotected and MAC-protected
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/u.key" 2>/dev/null
rm -f "$WORK/rsp.der"
cmp_client "$WORK/unprot.log" -cmd ir -unprotected_requests -newkey "$WORK/u.key" -subject /CN=u \
  -certout "$WORK/u.pem" -rspout "$WORK/rsp.der" && fail "unprotected ir enrolled"
refused badMessageCheck "not protected"
rm -f "$WORK/rsp.der"
cmp_client "$WORK/mac.log" -cmd ir -secret pass:secret -ref device -newkey "$WORK/u.key" -subject /CN=u \
  -certout "$WORK/u.pem" -rspout "$WORK/rsp.der" && fail "MAC ir enrolled"
refused wrongIntegrity "MAC-based protection"
# wrong recipient
timeout 60 openssl cmp -server "$URL" -trusted "$CAHOME/public/root.pem" -recipient "/CN=somebody else" \
  -cmd ir -cert "$WORK/dev2.pem" -key "$WORK/dev2.key" -extracerts "$M/ca.pem" -newkey "$WORK/u.key" \
  -subject /CN=u -san_nodefault -certout "$WORK/u.pem" -rspout "$WORK/rsp.der" >"$WORK/rcpt.log" 2>&1 && fail "wrong recipient enrolled"
refused wrongAuthority "recipient"
# bad protection: the last byte of a saved ir's signature changed, sent with
# curl as a raw HTTP POST; the protection is checked before anything else
protflip() {  # IN OUT: the PKIMessage with the last byte of its protection flipped
  python3 - "$1" "$2" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
def tlv(i):                      # (start of content, end) of the TLV at i
    n = d[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(d[i:i + k], "big"); i += k
    return i, i + n
c, _ = tlv(0)
_, h = tlv(c)                    # header
_, b = tlv(h)                    # body
assert d[b] == 0xa0, "no protection"
_, p = tlv(b)
d[p - 1] ^= 0x01
open(sys.argv[2], "wb").write(d)
PY
}
curl_post() {  # FILE OUT: POST FILE with curl; HTTP 200, application/pkixcmp
  curl -sS --max-time 20 -o "$2" -w '%{http_code} %{content_type}\n' -H 'Content-Type: application/pkixcmp' \
    --data-binary "@$1" "http://$URL" >"$WORK/curl.out" || fail "curl: $(cat "$WORK/curl.out")"
  [ "$(cat "$WORK/curl.out")" = "200 application/pkixcmp" ] || fail "curl: $(cat "$WORK/curl.out")"
}
protflip "$WORK/stranger.der" "$WORK/bad.der"
curl_post "$WORK/bad.der" "$WORK/rsp.der"; refused badMessageCheck "message protection does not verify"
protflip "$WORK/ir.der" "$WORK/bad2.der"
curl_post "$WORK/bad2.der" "$WORK/rsp.der"; refused badMessageCheck "message protection does not verify"
# garbage, truncated DER, oversize
head -c 300 /dev/urandom >"$WORK/garbage.der"
post "$WORK/garbage.der" "$WORK/rsp.der"; refused badDataFormat "not a DER PKIMessage"
head -c 200 "$WORK/ir.der" >"$WORK/trunc.der"
post "$WORK/trunc.der" "$WORK/rsp.der"; refused badDataFormat "not a DER PKIMessage"
head -c 30000 /dev/zero >"$WORK/big.der"
post "$WORK/big.der" "$WORK/rsp.der"; refused badRequest "more than 20000"
# the station's own checks, with the real client: no proof of possession,
# an RA-verified one, a kur whose oldCertID is not its signer, an rr signed
# by another certificate than the one it revokes, genm
bad_client() {  # NAME ARGS...: a client run that must fail; its last reply in rsp.der
  rm -f "$WORK/rsp.der"
  cmp_client "$WORK/$1.log" "${@:2}" -rspout "$WORK/rsp.der" && fail "$1: the client succeeded"
  true
}
bad_client nopop -cmd ir -cert "$WORK/dev2.pem" -key "$WORK/dev2.key" -extracerts "$M/ca.pem" \
  -newkey "$WORK/u.key" -subject /CN=u -san_nodefault -certout "$WORK/u.pem" -popo -1
refused badPOP "no proof of possession"
bad_client rapop -cmd ir -cert "$WORK/dev2.pem" -key "$WORK/dev2.key" -extracerts "$M/ca.pem" \
  -newkey "$WORK/u.key" -subject /CN=u -san_nodefault -certout "$WORK/u.pem" -popo 0
refused badPOP "proof of possession of kind \[0\] is not supported"
bad_client kurother -cmd kur -cert "$WORK/cr.pem" -key "$WORK/cr.key" -extracerts "$WORK/line3.pem" \
  -oldcert "$WORK/p10.pem" -newkey "$WORK/u.key" -certout "$WORK/u.pem"
refused badCertId "oldCertID is not the certificate that signs the request"
bad_client rrother -cmd rr -cert "$WORK/cr.pem" -key "$WORK/cr.key" -extracerts "$WORK/line3.pem" \
  -oldcert "$WORK/p10.pem"
refused notAuthorized "rr must be signed by the certificate it revokes"
bad_client genm -cmd genm -cert "$WORK/cr.pem" -key "$WORK/cr.key" -extracerts "$WORK/line3.pem"
refused badRequest "genm and pkiConf requests are not supported"
# the first enrollment's own pollReq and certConf, sent again: it is over
for f in "$WORK"/irseq-*.der; do
  b=$("$CMP_DUMP" "$f" | sed -n 's/^body //p')
  case $b in pollReq) pollf=$f ;; certConf) conff=$f ;; esac
done
[ -n "${pollf:-}" ] && [ -n "${conff:-}" ] || fail "no pollReq or certConf saved: $(ls "$WORK"/irseq-*.der)"
post "$pollf" "$WORK/rsp.der"; refused badRequest "the transaction is closed"
post "$conff" "$WORK/rsp.der"; refused badRequest "certConf without a delivered certificate"
[ "$(ntx)" = "$before" ] || fail "a refused request was queued"
grep -c 'failInfo=' "$WORK/serve.log" >/dev/null
ok "refusals: replayed transactionID, unknown manufacturer, expired IDevID, unprotected, MAC, wrong recipient, bad protection, garbage, truncated, oversize, no POP, RA-verified POP, kur oldCertID of another certificate, rr by another certificate, genm, a finished transaction's pollReq and certConf: CMP errors with failInfo, logged, nothing queued"

# --- an IDevID of another segment's manufacturer
expect 0 pc manufacturer add other "$M/other/ca.pem" --segment line9
expect 0 pc manufacturer add revo "$M/revo/ca+crl.pem" --segment line3
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
grep -q "Other Corp" "$ST/manufacturers.pem" 2>/dev/null && fail "line9's manufacturer delivered to line3"
try_ir stranger2 "$WORK/stranger.pem" "$WORK/stranger.key" "$M/other/ca.pem"
refused signerNotTrusted "IDevID not accepted"
grep -q "BEGIN X509 CRL" "$ST/manufacturers.pem" || fail "the manufacturer's CRL was not delivered"
try_ir revoked "$WORK/revoked.pem" "$WORK/revoked.key" "$M/revo/ca.pem"
refused certRevoked "IDevID not accepted"
grep -q 'ir txid=.* -> error refused failInfo=certRevoked' "$WORK/serve.log" || fail "certRevoked not logged"
[ "$(ntx)" = "$before" ] || fail "a refused request was queued"
ok "a manufacturer accepted for another segment is not delivered to this station, and its IDevID is refused; an IDevID on its manufacturer's CRL is refused with certRevoked"

# --- slow and half-open connections: closed after --timeout, logged, serve goes on
python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\nContent-Length: 500\r\n\r\nab")
s.settimeout(15)
try:
    d = s.recv(100)
except socket.timeout:
    sys.exit("server did not close the slow connection")
PY
grep -q 'timed out\|closed the connection early' "$WORK/serve.log" || fail "slow client not logged"
ok "a slow client is cut off after --timeout and logged"

# --- serve --expire: an enrollment the CA has not answered in time.  The
# transaction's creation time is set back two hours in its file (serve was
# started with --expire 1, hours); the device's next poll gets an ip with
# status rejection and the reason, and the client gives up with it.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld5.key" 2>/dev/null
cmp_client "$WORK/exp.log" -cmd ir -cert "$WORK/dev5.pem" -key "$WORK/dev5.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/ld5.key" -subject "/O=Acme Plant/CN=pump-5" -san_nodefault \
  -certout "$WORK/ld5.pem" &
CLIENT=$!
tx5=
for i in $(seq 1 600); do
  tx5=$(grep -l 'hwSerialNum SN-0005' "$ST"/cmp/*.tx 2>/dev/null | head -1 || true)
  [ -n "$tx5" ] && break
  sleep 0.1
done
[ -n "$tx5" ] || fail "SN-0005 not queued: $(tail -3 "$WORK/serve.log")"
python3 - "$tx5" <<'PY'
import os, sys, time
p = sys.argv[1]
lines = open(p).read().splitlines(True)
lines = ["created: %d\n" % (int(time.time()) - 7200) if l.startswith("created: ") else l for l in lines]
open(p + ".new", "w").writelines(lines)
os.rename(p + ".new", p)
PY
if wait "$CLIENT"; then fail "an expired enrollment succeeded"; fi
grep -q 'expired: no answer from the CA within 1 hours' "$WORK/exp.log" || fail "client: $(cat "$WORK/exp.log")"
grep -q 'rejection' "$WORK/exp.log" || fail "client: $(cat "$WORK/exp.log")"
[ ! -e "$WORK/ld5.pem" ] || fail "a certificate was written"
grep -q 'state: expired' "$tx5" || fail "transaction: $(cat "$tx5")"
grep -q 'pollReq .* -> ip expired failInfo=none' "$WORK/serve.log" || fail "expiry not logged: $(tail -3 "$WORK/serve.log")"
ok "serve --expire: a waiting enrollment past its time gets an ip rejection with the reason on its next poll; the client exits non-zero with it"

# --- SIGTERM with an open transaction, then restart: nothing lost
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld3.key" 2>/dev/null
# (the device is stopped once its transaction is on disk: no fixed wait;
# timeout passes the TERM on to openssl)
timeout 120 openssl cmp -server "$URL" -trusted "$CAHOME/public/root.pem" \
  -recipient "/O=plantca/OU=line3/CN=CMP RA $kid" -cmd ir -cert "$WORK/dev2.pem" -key "$WORK/dev2.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/ld3.key" -subject "/O=Acme Plant/CN=pump-2" -san_nodefault \
  -certout "$WORK/ld3.pem" >"$WORK/ir3.log" 2>&1 &
CLIENT=$!
tx3=
for i in $(seq 1 600); do
  tx3=$(grep -l 'hwSerialNum SN-0002' "$ST"/cmp/*.tx 2>/dev/null | xargs -r grep -l 'state: queued' | head -1 || true)
  [ -n "$tx3" ] && break
  sleep 0.1
done
kill "$CLIENT" 2>/dev/null || true
wait "$CLIENT" 2>/dev/null || true
[ ! -e "$WORK/ld3.pem" ] || fail "enrolled without the CA"
[ -n "$tx3" ] && grep -q 'state: queued' "$tx3" || fail "open transaction not on disk"
stop_serve
grep -q 'stopped by signal 15' "$WORK/serve.log" || fail "no clean stop"
start_serve
grep -q 'state: queued' "$tx3" || fail "transaction lost over the restart"
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "1 CMP request"
ok "SIGTERM stops serve cleanly; the open transaction survives the restart and goes into the next bundle"

stop_serve
done_testing
