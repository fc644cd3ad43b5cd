#!/usr/bin/env bash
# Devices enroll themselves (docs/cmp.md), with the real client: Debian's
# `openssl cmp` (OpenSSL 3.0) is the device, a test manufacturer CA made
# with OpenSSL issues its IEEE 802.1AR IDevID (subject serialNumber,
# HardwareModuleName otherName, notAfter 99991231235959Z), and
# `plantca-station serve` answers on loopback.  While the client polls, the
# test carries the request bundle to the CA (import, approve, sign, export)
# and the response back (accept); the client gets its LDevID, confirms it
# and exits 0; `openssl verify -x509_strict` and a mosquitto broker accept
# it.  Then kur renews it and rr revokes it (the next CRL lists it, the
# broker refuses it).  The refusals of docs/cmp.md each get a CMP error
# with the right PKIFailureInfo and queue nothing; SIGTERM with open
# transactions, then a restart, loses none.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}" "${CMP_DUMP:?}"
need mosquitto "the broker judges the enrolled certificate (scripts/setup installs it)"
need mosquitto_pub "the broker's client (scripts/setup installs mosquitto-clients)"

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

# --- the manufacturer: a CA of its own and IDevIDs, made with OpenSSL
M=$WORK/mfg
export HWSN=none     # the config names it; idevid sets it per device
mkdir -p "$M/db" "$M/other/db"
cat >"$M/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[idevid]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = critical,otherName:1.3.6.1.5.5.7.8.4;SEQUENCE:hwmod
[hwmod]
hwType = OID:1.3.6.1.4.1.99999.1.1
hwSerialNum = FORMAT:ASCII,OCT:$ENV::HWSN
[ca]
default_ca = mfg
[mfg]
dir = .
database = db/index
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
O = optional
CN = optional
serialNumber = optional
EOF
# mfgca DIR NAME: a manufacturer CA in DIR
mfgca() {
  : >"$1/db/index"; echo 1000 >"$1/db/serial"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/ca.key" \
    -subj "/O=$2/CN=$2 IDevID CA" -days 3650 -config "$M/ca.cnf" -extensions v3_ca \
    -out "$1/ca.pem" 2>/dev/null
}
# idevid DIR SN OUT [ENDDATE]: an IDevID of manufacturer DIR for hardware serial SN
idevid() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$3.key" \
    -subj "/O=Acme Devices/CN=pump/serialNumber=$2" -config "$M/ca.cnf" -out "$3.csr" 2>/dev/null
  (cd "$1" && HWSN=$2 openssl ca -batch -config "$M/ca.cnf" -cert ca.pem -keyfile ca.key \
    -extensions idevid -in "$3.csr" -out "$3.pem" -notext ${4:+-startdate 20200101000000Z} \
    -enddate "${4:-99991231235959Z}" 2>/dev/null) || fail "openssl ca: IDevID $2"
}
mfgca "$M" "Acme Devices"
mfgca "$M/other" "Other Corp"
idevid "$M" SN-0001 "$WORK/dev1"
idevid "$M" SN-0002 "$WORK/dev2"
idevid "$M/other" SN-9999 "$WORK/stranger"
idevid "$M" SN-0003 "$WORK/expired" 20210101000000Z
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
expect 0 st request "$ST" --profile cmp-ra "$ST/ra.csr" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$USB/line3-request-000001.tar"
out_has "1 pending"
rid=$(pc --json requests --status pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect 0 pc approve --all
out_has "approved 0"
expect 0 pc approve "$rid"
expect 0 pc sign
expect 0 pc crl
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$USB/line3-response-000001.tar" --out "$WORK/pki"
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
  for i in $(seq 1 1200); do   # up to 2 minutes: the passphrase KDF takes 10 s on a loaded machine
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
  -certout "$WORK/ld1.pem" -reqout "$WORK/ir.der" &
CLIENT=$!
for i in $(seq 1 100); do ls "$ST"/cmp/*.tx >/dev/null 2>&1 && break; sleep 0.1; done
ls "$ST"/cmp/*.tx >/dev/null 2>&1 || fail "no transaction queued: $(cat "$WORK/serve.log")"
grep -q 'cmp .* ir txid=.* -> ip waiting' "$WORK/serve.log" || fail "log: $(cat "$WORK/serve.log")"
# carried across the air gap while the device polls
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
out_has "1 CMP request"
tar tf "$USB/line3-request-000002.tar" | grep -q '^cmp-[0-9a-f]*\.cmp$' || fail "no cmp member"
expect 0 pc import "$USB/line3-request-000002.tar"
out_has "1 pending"
expect 0 pc requests --status pending
out_has "pump-1" "ldevid"
rid=$(pc --json requests --status pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect 0 pc approve "$rid"
expect 0 pc sign
expect 0 pc export line3 "$USB"
out_has "1 CMP answer"
expect 0 st accept "$ST" "$USB/line3-response-000002.tar" --out "$WORK/pki"
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

# --- a second ir of the same device is refused (renewal is kur's)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/dup.key" 2>/dev/null
cmp_client "$WORK/dup.log" -cmd ir -cert "$WORK/dev1.pem" -key "$WORK/dev1.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/dup.key" -subject "/O=Acme Plant/CN=pump-1" -san_nodefault \
  -certout "$WORK/dup.pem" &
CLIENT=$!
for i in $(seq 1 100); do [ "$(grep -c 'ir txid=.* -> ip waiting' "$WORK/serve.log")" -ge 2 ] && break; sleep 0.1; done
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$USB/line3-request-000003.tar"
out_has "1 rejected" "already has request"
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$USB/line3-response-000003.tar" --out "$WORK/pki"
if wait "$CLIENT"; then fail "duplicate ir was granted"; fi
grep -q 'already has request' "$WORK/dup.log" || fail "reason not delivered: $(cat "$WORK/dup.log")"
ok "a second ir of the device is rejected at import; the reason reaches the device in its ip (rejection)"

# --- kur: renewal with a new key, signed with the current LDevID
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld2.key" 2>/dev/null
cmp_client "$WORK/kur.log" -cmd kur -cert "$WORK/ld1.pem" -key "$WORK/ld1.key" \
  -extracerts "$WORK/line3.pem" -newkey "$WORK/ld2.key" -certout "$WORK/ld2.pem" &
CLIENT=$!
for i in $(seq 1 100); do grep -q 'kur txid=.* -> kup waiting' "$WORK/serve.log" && break; sleep 0.1; done
grep -q 'kur txid=.* -> kup waiting' "$WORK/serve.log" || fail "kur: $(tail -3 "$WORK/serve.log")"
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$USB/line3-request-000004.tar"
rid=$(pc --json requests --status pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect 0 pc approve "$rid"
expect 0 pc sign
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$USB/line3-response-000004.tar" --out "$WORK/pki"
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
expect 0 pc import "$USB/line3-request-000005.tar"
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
# bad protection: one byte of the saved ir's signature changed
python3 - "$WORK/stranger.der" "$WORK/bad.der" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
# the protection BIT STRING follows the body: flip a byte near the end of it
i = d.rfind(b"\xa0") if False else None
d[len(d) // 2] ^= 0x01
open(sys.argv[2], "wb").write(d)
PY
post "$WORK/bad.der" "$WORK/rsp.der"; "$CMP_DUMP" "$WORK/rsp.der" | grep -q '^body error' || fail "bad.der"
# garbage, truncated DER, oversize
head -c 300 /dev/urandom >"$WORK/garbage.der"
post "$WORK/garbage.der" "$WORK/rsp.der"; refused badDataFormat "not a DER PKIMessage"
head -c 200 "$WORK/ir.der" >"$WORK/trunc.der"
post "$WORK/trunc.der" "$WORK/rsp.der"; refused badDataFormat "not a DER PKIMessage"
head -c 30000 /dev/zero >"$WORK/big.der"
post "$WORK/big.der" "$WORK/rsp.der"; refused badRequest "more than 20000"
[ "$(ntx)" = "$before" ] || fail "a refused request was queued"
grep -c 'failInfo=' "$WORK/serve.log" >/dev/null
ok "refusals: replayed transactionID, unknown manufacturer, expired IDevID, unprotected, MAC, wrong recipient, bad protection, garbage, truncated, oversize: CMP errors with failInfo, logged, nothing queued"

# --- an IDevID of another segment's manufacturer
expect 0 pc manufacturer add other "$M/other/ca.pem" --segment line9
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$USB/line3-response-000005.tar" --out "$WORK/pki"
grep -q "Other Corp" "$ST/manufacturers.pem" 2>/dev/null && fail "line9's manufacturer delivered to line3"
try_ir stranger2 "$WORK/stranger.pem" "$WORK/stranger.key" "$M/other/ca.pem"
refused signerNotTrusted "IDevID not accepted"
ok "a manufacturer accepted for another segment is not delivered to this station, and its IDevID is refused"

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

# --- SIGTERM with an open transaction, then restart: nothing lost
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ld3.key" 2>/dev/null
cmp_client "$WORK/ir3.log" -cmd ir -cert "$WORK/dev2.pem" -key "$WORK/dev2.key" \
  -extracerts "$M/ca.pem" -newkey "$WORK/ld3.key" -subject "/O=Acme Plant/CN=pump-2" -san_nodefault \
  -certout "$WORK/ld3.pem" -total_timeout 6 && fail "enrolled without the CA"
tx3=$(grep -l 'hwSerialNum SN-0002' "$ST"/cmp/*.tx | xargs grep -l 'state: queued' | head -1)
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
