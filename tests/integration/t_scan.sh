#!/usr/bin/env bash
# plantca-station scan against real servers on loopback, each finding
# asserted (issue 16 point 4):
#   S1  openssl s_server, an expired, self-signed RSA-1024 certificate
#       signed with SHA-1, no SAN
#   S2  openssl s_server, a certificate from the plant's own CA (chain
#       sent), SAN IP:127.0.0.1, ending in 10 days
#   S3  openssl s_server, a self-signed "vendor default" certificate whose
#       key the broker uses too
#   M   mosquitto, MQTT over TLS, self-signed, SAN DNS:localhost only
#   A   node-opcua, its own self-signed application certificate, policies
#       None, Basic256Sha256, Basic256, Basic128Rsa15
#   B   node-opcua, a certificate whose URI SAN is not its ApplicationUri
#   S5  openssl s_server, RSA-2048 signed with MD5, SAN DNS:LOCALHOST,
#       scanned by the name localhost (the SAN matches, case aside)
#   S6  openssl s_server, SAN DNS:panel.line3.example and IP:127.0.0.1,
#       scanned by the name localhost (not in its SAN)
#   H   hostile fakes (tests/tools/uafake.py): random bytes, a 100 MB TLS
#       certificate, replies trickled a byte at a time, a 100 MB OPC UA
#       message, GetEndpoints chunks without end; openssl s_server sending
#       a chain of 200 and of 1000 certificates
# and a dir: target over A's PKI folder, an address range, the limits.
# The report's certificates are compared with openssl's view of the files
# served; request --scan carries the report, checked with tar and minisign.
# No time is asserted; the hostile scan's duration is printed.
#
# Environment: STATION, SRCDIR, OPCUA_NODE_DIR (where node-opcua is
# installed from tests/integration/opcua/package-lock.json).
. "$(dirname "$0")/lib.sh" --no-token
: "${STATION:?}"
need openssl "the test PKI and the TLS servers"
need minisign "the station's CA transfer key"
need python3 "the hostile servers and the JSON checks"
cd "$WORK"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # PORT PID LOG
  local i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || fail "server on $1 died: $(tail -5 "$3")"
    sleep 0.1
  done
  fail "nothing listens on $1: $(tail -5 "$3")"
}
PIDS=()
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
at_exit stop_all
# s_server reads commands from stdin and stops at its end: its stdin is a
# FIFO whose write end this shell holds open until it exits
sserver() {  # PORT CERT KEY [CHAIN]
  local port=$1 cert=$2 key=$3 chain=${4:-} fd
  mkfifo "s_server.$port.in"
  openssl s_server -accept "127.0.0.1:$port" -cert "$cert" -key "$key" \
    ${chain:+-cert_chain "$chain"} -cipher 'DEFAULT@SECLEVEL=0' -quiet \
    <"s_server.$port.in" >"s_server.$port.out" 2>"s_server.$port.err" &
  PIDS+=($!)
  exec {fd}>"s_server.$port.in"
  wait_port "$port" "${PIDS[-1]}" "s_server.$port.err"
}
j() { python3 -c "import json,sys; d=json.load(open('scan.json')); $1" || fail "scan.json: $1"; }

# ---------------------------------------------------------------- the PKI
printf 'pass\n' >pass && chmod 600 pass
minisign -G -W -p ca-transfer.pub -s ca-transfer.key >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
  -subj "/O=Acme Plant/CN=Acme Plant Root CA" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out root.pem 2>/dev/null
cat >ext.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout line3.key \
  -subj "/O=Acme Plant/CN=Line 3 CA" -out line3.csr 2>/dev/null
openssl x509 -req -in line3.csr -CA root.pem -CAkey root.key -set_serial 0x51 -days 1000 \
  -extfile ext.cnf -extensions ca -out line3.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout plc.key \
  -subj "/O=Acme Plant/CN=plc-4" -out plc.csr 2>/dev/null
openssl x509 -req -in plc.csr -CA line3.pem -CAkey line3.key -set_serial 0x52 -days 10 \
  -extfile ext.cnf -extensions leaf -out plc.pem 2>/dev/null
# S1: expired (2020), RSA-1024, SHA-1, self-signed: openssl ca -selfsign sets the dates
mkdir oldca && : >oldca/index.txt && echo 01 >oldca/serial
cat >oldca/ca.cnf <<EOF
[ca]
default_ca = c
[c]
database = $WORK/oldca/index.txt
serial = $WORK/oldca/serial
new_certs_dir = $WORK/oldca
unique_subject = no
policy = p
[p]
commonName = supplied
EOF
openssl req -new -newkey rsa:1024 -nodes -keyout old.key -subj "/CN=old-hmi" -out old.csr 2>/dev/null
openssl ca -batch -config oldca/ca.cnf -selfsign -keyfile old.key -in old.csr -md sha1 \
  -startdate 20200101000000Z -enddate 20210101000000Z -out old.pem 2>/dev/null
# the vendor default key, in two devices
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out vendor.key 2>/dev/null
openssl req -x509 -key vendor.key -subj "/CN=hmi-07" -days 365 -out hmi.pem 2>/dev/null
openssl req -x509 -key vendor.key -subj "/CN=broker" -days 365 \
  -addext "subjectAltName=DNS:localhost" -out broker.pem 2>/dev/null
openssl x509 -in old.pem -noout -text | grep -q "sha1WithRSAEncryption" || fail "old.pem is not SHA-1"
# S4: a serial of 25 octets (RFC 5280 §4.1.2.2 allows 20): OpenSSL serves it,
# plantca's reader refuses it
openssl req -x509 -key vendor.key -subj "/CN=long-serial" -days 30 \
  -set_serial 0x7f0102030405060708090a0b0c0d0e0f101112131415161718 -out long.pem 2>/dev/null
# a folder of certificate files: one not valid before 2090, one expired
mkdir -p files/sub files/private
openssl ca -batch -config oldca/ca.cnf -selfsign -keyfile old.key -in old.csr -md sha256 \
  -startdate 20900101000000Z -enddate 20910101000000Z -out files/sub/future.pem 2>/dev/null
openssl x509 -in old.pem -outform DER -out files/old.der
cp old.key files/old.key
cp old.key files/private/should-not-be-read.pem
printf 'not a certificate\n' >files/notes.txt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec-sha1.key -sha1 \
  -subj "/CN=ec-sha1" -days 365 -out files/ec-sha1.pem 2>/dev/null
openssl x509 -in files/ec-sha1.pem -noout -text | grep -q "ecdsa-with-SHA1" || fail "ec-sha1.pem is not SHA-1"
# S5, S6: reached by the name localhost
openssl req -x509 -newkey rsa:2048 -nodes -keyout md5.key -md5 -subj "/CN=md5-panel" -days 365 \
  -addext "subjectAltName=DNS:LOCALHOST" -out md5.pem 2>/dev/null
openssl x509 -in md5.pem -noout -text | grep -q "md5WithRSAEncryption" || fail "md5.pem is not MD5"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout panel.key \
  -subj "/CN=panel" -days 365 -addext "subjectAltName=DNS:panel.line3.example,IP:127.0.0.1" \
  -out panel.pem 2>/dev/null
expect 0 st init "$WORK/st" --segment line3 --ca-key ca-transfer.pub --trust root.pem \
  --passphrase-file pass
ok "test PKI: plant root, issuing CA, a plant leaf; an expired RSA-1024 SHA-1 one; a shared vendor key"

# ---------------------------------------------------------------- servers
P1=$(free_port); sserver "$P1" old.pem old.key
P2=$(free_port); sserver "$P2" plc.pem plc.key line3.pem
P3=$(free_port); sserver "$P3" hmi.pem vendor.key
P4=$(free_port); sserver "$P4" long.pem vendor.key
# the scanner connects to the first address the resolver gives for a name
P5= P6=
if [ "$(python3 -c 'import socket; print(socket.getaddrinfo("localhost", 1, 0, socket.SOCK_STREAM)[0][4][0])')" = 127.0.0.1 ]; then
  P5=$(free_port); sserver "$P5" md5.pem md5.key
  P6=$(free_port); sserver "$P6" panel.pem panel.key
else
  skip_part "localhost does not resolve to 127.0.0.1 first: the host-name targets S5, S6"
fi
PM=
if command -v mosquitto >/dev/null; then
  PM=$(free_port)
  cat >mosquitto.conf <<EOF
user $(id -un)
persistence false
log_dest file $WORK/mosquitto.log
log_type all
listener $PM 127.0.0.1
allow_anonymous true
certfile $WORK/broker.pem
keyfile $WORK/vendor.key
EOF
  mosquitto -c mosquitto.conf 2>>mosquitto.err &
  PIDS+=($!)
  wait_port "$PM" $! mosquitto.err
else
  skip_part "mosquitto not installed: the MQTT broker (scripts/setup installs it)"
fi
PA= PB=
if command -v node >/dev/null && command -v npm >/dev/null && [ -n "${OPCUA_NODE_DIR:-}" ]; then
  if [ ! -d "$OPCUA_NODE_DIR/node_modules/node-opcua-server" ]; then
    mkdir -p "$OPCUA_NODE_DIR"
    cp "$SRCDIR/tests/integration/opcua/package.json" "$SRCDIR/tests/integration/opcua/package-lock.json" \
      "$OPCUA_NODE_DIR/"
    (cd "$OPCUA_NODE_DIR" && timeout 600 npm ci --no-audit --no-fund >npm.log 2>&1) \
      || echo "# npm ci failed: $(tail -3 "$OPCUA_NODE_DIR/npm.log")"
  fi
  if [ -d "$OPCUA_NODE_DIR/node_modules/node-opcua-server" ]; then
    mkdir -p ua/b/pki/own/certs ua/b/pki/own/private
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ua/b/pki/own/private/private_key.pem \
      -subj "/CN=opcua-b" -days 365 -addext "subjectAltName=URI:urn:wrong-uri,IP:127.0.0.1" \
      -addext "keyUsage=digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment" \
      -addext "extendedKeyUsage=serverAuth,clientAuth" -out ua/b/pki/own/certs/certificate.pem 2>/dev/null
    PA=$(free_port); PB=$(free_port)
    cp "$SRCDIR/tests/integration/opcua/server.js" "$OPCUA_NODE_DIR/server.js"
    node "$OPCUA_NODE_DIR/server.js" "$PA" "$PB" "$WORK/ua" >ua.log 2>&1 &
    PIDS+=($!)
    wait_port "$PA" $! ua.log
    wait_port "$PB" $! ua.log
  else
    skip_part "node-opcua could not be installed with npm: the OPC UA servers"
  fi
else
  skip_part "node and npm not installed: the OPC UA servers (scripts/setup installs them)"
fi
ok "servers up: s_server x$((${P5:+2}+4))${PM:+, mosquitto}${PA:+, node-opcua x2}"

# ---------------------------------------------------------------- the scan
T=(tls://127.0.0.1:"$P1" 127.0.0.1:"$P2" tls://127.0.0.1:"$P3" tls://127.0.0.1:"$P4" dir:"$WORK/files")
[ -z "$P5" ] || T+=(tls://localhost:"$P5" tls://localhost:"$P6")
[ -z "$PM" ] || T+=(mqtts://127.0.0.1:"$PM")
[ -z "$PA" ] || T+=(opc.tcp://127.0.0.1:"$PA" opc.tcp://127.0.0.1:"$PB" dir:"$WORK/ua/a/pki")
expect 0 st scan "$WORK/st" "${T[@]}" --timeout 20 -o report.scan --json
printf '%s\n' "$OUT" >scan.json
expect 0 st scan "$WORK/st" "${T[@]}" --timeout 20
printf '%s\n' "$OUT" >scan.txt
# findings of endpoint URL (its certificates' and its own), as a set
cat >f.py <<'PY'
import json, sys
d = json.load(open("scan.json"))
def eps(url): return [e for e in d["endpoints"] if e["endpoint"] == url]
def certs(url): return [c for e in eps(url) for c in e["certificates"]]
def has(url, *want, no=()):
    got = set(f for c in certs(url) for f in c["findings"]) | set(f for e in eps(url) for f in e["findings"])
    miss = [w for w in want if w not in got]
    bad = [n for n in no if n in got]
    assert eps(url) and not miss and not bad, (url, "missing", miss, "unwanted", bad, "got", sorted(got))
PY
f() { python3 -c "exec(open('f.py').read()); $1" || fail "findings: $1"; }
f "has('tls://127.0.0.1:$P1', 'self-signed', 'expired', 'weak-key', 'weak-signature', 'not-plant', 'name-mismatch', no=('expiring', 'shared-key'))"
f "c = certs('tls://127.0.0.1:$P1')[0]; assert c['key'] == 'rsa-1024' and c['signature'] == 'sha1WithRSAEncryption' and not c['plant'], c"
ok "S1: self-signed, expired, weak-key (rsa-1024), weak-signature (sha1WithRSAEncryption), not-plant, name-mismatch"
f "has('tls://127.0.0.1:$P2', 'expiring', no=('self-signed', 'not-plant', 'name-mismatch', 'expired', 'weak-key', 'weak-signature'))"
f "assert certs('tls://127.0.0.1:$P2')[0]['plant']"
ok "S2: a plant certificate (chains to DIR/root.pem), address in its SAN, expiring within 30 days"
if [ -n "$PM" ]; then
  f "has('tls://127.0.0.1:$P3', 'self-signed', 'not-plant', 'shared-key')"
  f "has('mqtts://127.0.0.1:$PM', 'self-signed', 'not-plant', 'shared-key', 'name-mismatch')"
  f "assert certs('mqtts://127.0.0.1:$PM')[0]['shared'] == 1"
  ok "S3 and the mosquitto broker: the same key at two endpoints, both self-signed; the broker's SAN lacks 127.0.0.1"
  grep -q "New client connected" mosquitto.log && fail "the broker saw an MQTT CONNECT: $(grep 'New client' mosquitto.log)"
  grep -q "New connection from 127.0.0.1" mosquitto.log || fail "mosquitto.log shows no connection: $(cat mosquitto.log)"
  ok "the broker saw a TLS connection and no MQTT CONNECT"
fi
f "has('tls://127.0.0.1:$P4', 'unreadable', 'not-plant')"
f "c = certs('tls://127.0.0.1:$P4')[0]; assert 'serial number is missing or longer than 20 octets' in c['why'], c"
f "has('dir:$WORK/files/sub/future.pem', 'not-yet-valid', 'self-signed', no=('name-mismatch', 'expired'))"
f "has('dir:$WORK/files/old.der', 'expired', 'weak-key', 'weak-signature', no=('name-mismatch',))"
f "has('dir:$WORK/files/ec-sha1.pem', 'weak-signature', 'self-signed', no=('weak-key', 'expired'))"
f "assert certs('dir:$WORK/files/ec-sha1.pem')[0]['signature'] == 'ecdsa-with-SHA1'"
j "u = [e['endpoint'] for e in d['endpoints'] if e['endpoint'].startswith('dir:$WORK/files')]; assert u == ['dir:$WORK/files/ec-sha1.pem', 'dir:$WORK/files/old.der', 'dir:$WORK/files/sub/future.pem'], u"
ok "S4: a certificate plantca's reader refuses is unreadable, with the reason; dir: finds DER and PEM files in name order, not-yet-valid, ECDSA with SHA-1, skips the key, the notes and private/"
if [ -n "$P5" ]; then
  f "has('tls://localhost:$P5', 'weak-signature', 'self-signed', 'not-plant', no=('weak-key', 'name-mismatch', 'shared-key'))"
  f "c = certs('tls://localhost:$P5')[0]; assert c['signature'] == 'md5WithRSAEncryption' and c['key'] == 'rsa-2048', c"
  f "has('tls://localhost:$P6', 'name-mismatch', 'self-signed', no=('weak-signature', 'weak-key'))"
  ok "S5, S6 by host name: MD5 is weak-signature on an RSA-2048 key; DNS:LOCALHOST matches localhost; a SAN with another name and 127.0.0.1 does not"
fi
for p in "$P1" "$P2" "$P3" "$P4" $P5 $P6; do
  [ ! -s "s_server.$p.out" ] || fail "s_server on $p received data after the handshake: $(head -c 200 "s_server.$p.out")"
done
ok "no s_server received a byte of application data (no data after the handshake)"
if [ -n "$PA" ]; then
  f "has('opc.tcp://127.0.0.1:$PA', 'policy-none', 'deprecated-policy', 'self-signed', 'not-plant', no=('uri-mismatch',))"
  f "e = eps('opc.tcp://127.0.0.1:$PA')[0]; assert 'None' in e['why'] and 'Basic256' in e['why'] and 'Basic128Rsa15' in e['why'], e['why']"
  ok "node-opcua A: SecurityPolicy None and the deprecated Basic256, Basic128Rsa15 offered; self-signed application certificate"
  f "has('opc.tcp://127.0.0.1:$PB', 'uri-mismatch', 'self-signed', no=('policy-none', 'deprecated-policy', 'name-mismatch'))"
  ok "node-opcua B: its ApplicationUri urn:plantca-test:b is not the certificate's URI SAN"
  j "assert any(e['endpoint'].startswith('dir:') and e['endpoint'].endswith('/own/certs/certificate.pem') for e in d['endpoints']), [e['endpoint'] for e in d['endpoints']]"
  j "assert not any('private' in e['endpoint'] for e in d['endpoints'])"
  key_b64=$(openssl pkey -in ua/a/pki/own/private/private_key.pem -outform DER | base64 -w0)
  grep -qF "${key_b64:0:64}" report.scan && fail "the private key reached the report"
  ok "dir: finds the application certificate in the PKI folder; private/ is not read, the key is in no output"
fi
grep -q "to enroll" scan.txt || fail "the table names nothing to enroll: $(cat scan.txt)"
j "s = d['summary']; assert s['plant'] == 1 and s['to_enroll'] >= 2, s"
ok "table and --json agree: one certificate from the plant CA, the rest to enroll"

# the report holds exactly the certificates served (openssl's view of them)
for c in old plc hmi ${P5:+md5 panel}; do
  want=$(openssl x509 -in $c.pem -outform DER | base64 -w0)
  grep -q "^cert: [0-9]* $want\$" report.scan || fail "report.scan lacks $c.pem"
done
line=$(grep -n "^endpoint: tls://127.0.0.1:$P2\$" report.scan | cut -d: -f1)
chain=$(sed -n "$((line + 3))p" report.scan)
[[ "$chain" == "chain: "*" "* ]] || fail "S2 did not record its chain: $chain"
n=$(sed -n 's/^cert: \([0-9]*\) .*/\1/p' report.scan | wc -l)
sed -n 's/^cert: [0-9]* //p' report.scan | while read -r b; do
  echo "$b" | base64 -d | openssl x509 -inform DER -noout 2>/dev/null || fail "a report certificate openssl cannot read"
done
ok "report.scan: $n certificates, byte for byte the ones served (openssl x509 reads each), S2 with its chain"

# -------------------------------------------------------- to the CA
mkdir usb
expect 0 st request "$WORK/st" --scan report.scan -o usb --passphrase-file pass
b=usb/line3-request-000001.tar
tar tf "$b" | grep -qx report.scan || fail "no report.scan in $(tar tf "$b")"
tar xOf "$b" BUNDLE | grep -qx "scan: report.scan" || fail "BUNDLE has no scan line"
cmp <(tar xOf "$b" report.scan) report.scan || fail "the bundle's report differs from the file"
minisign -V -q -p st/station.pub -m "$b" || fail "minisign -V refused the bundle"
mkdir x && tar -C x -xf "$b" && (cd x && sha256sum --strict -c SHA256SUMS >/dev/null) || fail "sha256sum -c"
ok "request --scan: a bundle with no CSR and report.scan, checked with tar, minisign -V, sha256sum -c"
sed 's/^segment: line3$/segment: line4/' report.scan >other.scan
expect 1 st request "$WORK/st" --scan other.scan -o usb --passphrase-file pass
err_has "other.scan: a scan of segment line4, this station is line3's"
printf 'plantca-scan: 1\nsegment: line3\n' >cut.scan
expect 1 st request "$WORK/st" --scan cut.scan -o usb --passphrase-file pass
err_has "cut.scan: report ends inside its header"
[ "$(ls usb | wc -l)" -eq 2 ] || fail "a refused request wrote something: $(ls usb)"
ok "request --scan refuses another segment's report and a broken one, as the CA would, writing nothing"

# -------------------------------------------------------- hostile servers
H=()
for mode in garbage tls-huge trickle-tls trickle-ua ua-huge ua-endless; do
  p=$(free_port)
  python3 "$SRCDIR/tests/tools/uafake.py" serve "$mode" "$p" >"fake.$mode.log" 2>&1 &
  PIDS+=($!)
  wait_port "$p" $! "fake.$mode.log"
  eval "H_${mode//-/_}=$p"
done
start=$(date +%s%N)
expect 0 st scan "$WORK/st" tls://127.0.0.1:"$H_garbage" opc.tcp://127.0.0.1:"$H_garbage" \
  tls://127.0.0.1:"$H_tls_huge" tls://127.0.0.1:"$H_trickle_tls" opc.tcp://127.0.0.1:"$H_trickle_ua" \
  opc.tcp://127.0.0.1:"$H_ua_huge" opc.tcp://127.0.0.1:"$H_ua_endless" tls://127.0.0.1:"$H_ua_endless" \
  --timeout 6 --connect-timeout 2 --json -o hostile.scan
took=$((($(date +%s%N) - start) / 1000000))
printf '%s\n' "$OUT" >scan.json
# the trickled replies never complete, so at 5 s the scan is still running
err_has "plantca-station: scan: " " of 8 endpoints done"
r() {  # URL RESULT REASON-FRAGMENT
  python3 -c "
import json; d = json.load(open('scan.json'))
e = [e for e in d['endpoints'] if e['endpoint'] == '$1']
assert e and e[0]['result'] == '$2' and '$3' in e[0]['reason'], e" || fail "hostile $1: want $2 '$3'"
}
r "tls://127.0.0.1:$H_garbage" error "TLS handshake failed"
r "opc.tcp://127.0.0.1:$H_garbage" error "OPC UA: expected message type ACK"
r "tls://127.0.0.1:$H_tls_huge" error "TLS handshake failed: excessive message size"
r "tls://127.0.0.1:$H_trickle_tls" timeout "no complete handshake within 6000 ms"
r "opc.tcp://127.0.0.1:$H_trickle_ua" timeout "no complete answer within 6000 ms"
r "opc.tcp://127.0.0.1:$H_ua_huge" error "OPN message of 104857600 bytes"
r "opc.tcp://127.0.0.1:$H_ua_endless" error "more than 64 chunks"
j "assert all(e['findings'] for e in d['endpoints']), 'an endpoint without its finding'"
expect 0 st request "$WORK/st" --scan hostile.scan -o usb --passphrase-file pass
ok "hostile servers: garbage, a 100 MB certificate, trickled replies, a 100 MB OPC UA message, endless chunks: each a timeout or protocol-error finding, a progress line on stderr, the report still valid (scan took $took ms with --timeout 6)"

# an endless chain from a real TLS server: 200 links fit in the 128 KiB
# Certificate message (the leaf and 15 of them are kept), 1000 do not
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout link.key \
  -subj "/CN=link" -days 365 -out link.pem 2>/dev/null
for i in $(seq 200); do cat link.pem; done >chain200.pem
for i in $(seq 5); do cat chain200.pem; done >chain1000.pem
PC1=$(free_port); sserver "$PC1" hmi.pem vendor.key chain200.pem
PC2=$(free_port); sserver "$PC2" hmi.pem vendor.key chain1000.pem
expect 0 st scan "$WORK/st" tls://127.0.0.1:"$PC1" tls://127.0.0.1:"$PC2" --timeout 10 --json -o chain.scan
printf '%s\n' "$OUT" >scan.json
r "tls://127.0.0.1:$PC1" ok ""
r "tls://127.0.0.1:$PC2" error "TLS handshake failed: excessive message size"
line=$(grep -n "^endpoint: tls://127.0.0.1:$PC1\$" chain.scan | cut -d: -f1)
chain=$(sed -n "$((line + 3))p" chain.scan)
[ "$chain" = "chain: 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1" ] || fail "the 200-link chain recorded as: $chain"
[ "$(grep -c '^cert: ' chain.scan)" -eq 2 ] || fail "chain.scan: $(grep -c '^cert: ' chain.scan) certificates, want the leaf and the link once"
expect 0 st request "$WORK/st" --scan chain.scan -o usb --passphrase-file pass
ok "an endless chain (openssl s_server): 200 links kept as the leaf and 15, each certificate once; 1000 links a protocol-error; the report valid"

# --concurrency bounds the connections open at once: 8 listeners that
# accept and never answer, a scan with --concurrency 3 and a deadline
# far away; no connection ends before it, so a 4th would be a breach
python3 "$SRCDIR/tests/tools/uafake.py" hold 8 held.count >held.ports 2>held.log &
PIDS+=($!)
for i in $(seq 1 100); do [ -s held.ports ] && break; sleep 0.1; done
read -r -a HP <held.ports
[ "${#HP[@]}" -eq 8 ] || fail "uafake hold: ports '${HP[*]:-}': $(cat held.log)"
HT=()
for p in "${HP[@]}"; do HT+=(tls://127.0.0.1:"$p"); done
"$STATION" scan "$WORK/st" "${HT[@]}" --concurrency 3 --timeout 120 >held.out 2>&1 &
scan_pid=$!
for i in $(seq 1 200); do [ "$(cat held.count)" -ge 3 ] && break; sleep 0.1; done
[ "$(cat held.count)" -eq 3 ] || fail "with --concurrency 3: $(cat held.count) connections accepted"
sleep 2
n=$(cat held.count)
kill "$scan_pid" 2>/dev/null || true
wait "$scan_pid" 2>/dev/null || true
[ "$n" -eq 3 ] || fail "--concurrency 3, none finished: $n connections open at once"
ok "--concurrency 3: 3 connections open at once of 8 endpoints that never answer, no 4th while none ends"

# -------------------------------------------------------- ranges and limits
expect 0 st scan "$WORK/st" 127.0.0.1/30:"$P1" --json
printf '%s\n' "$OUT" >scan.json
j "u = sorted(e['endpoint'] for e in d['endpoints']); assert u == ['tls://127.0.0.1:$P1', 'tls://127.0.0.2:$P1'], u"
j "assert [e['result'] for e in d['endpoints']] == ['ok', 'refused']"
ok "127.0.0.1/30: its two hosts (network and broadcast left out), the listener answers, 127.0.0.2 refuses"
expect 0 st scan "$WORK/st" 127.0.0.0/22:"$P1" --concurrency 32 --connect-timeout 1 --timeout 2
out_has "1022 endpoints: 1 answered, 0 timed out, 0 protocol errors, 1021 refused"
ok "a /22 of loopback: 1022 endpoints, one answers"
expect 0 st scan "$WORK/st" 127.0.0.1/30:"$P1,$P2" --json
printf '%s\n' "$OUT" >scan.json
j "u = [(e['endpoint'], e['result']) for e in d['endpoints']]; assert u == [('tls://127.0.0.1:$P1', 'ok'), ('tls://127.0.0.1:$P2', 'ok'), ('tls://127.0.0.2:$P1', 'refused'), ('tls://127.0.0.2:$P2', 'refused')], u"
j "assert len(certs := [c for e in d['endpoints'] for c in e['certificates']]) == 2 and [c['plant'] for c in certs] == [False, True], certs"
# the kind of a bare port (4840 OPC UA, 8883 MQTT, any other TLS); whatever answers there
expect 0 st scan "$WORK/st" 127.0.0.3/32:4840,8883,443 127.0.0.1:"$P1,$P3" --connect-timeout 1 --timeout 2 --json
printf '%s\n' "$OUT" >scan.json
j "u = [e['endpoint'] for e in d['endpoints']]; assert u == ['opc.tcp://127.0.0.3:4840', 'mqtts://127.0.0.3:8883', 'tls://127.0.0.3:443', 'tls://127.0.0.1:$P1', 'tls://127.0.0.1:$P3'], u"
j "assert [e['result'] for e in d['endpoints']][3:] == ['ok', 'ok']"
ok "a range with a port list (10.3.0.0/24:443,4840,8883 style): every address x every port, the kind by port; HOST:PORT,PORT"
expect 0 st scan "$WORK/st" "tls://[::1]:$P1" "[::1/126]:$P1" --connect-timeout 1 --timeout 2 --json -o v6.scan
printf '%s\n' "$OUT" >scan.json
j "u = [e['endpoint'] for e in d['endpoints']]; assert u == ['tls://[::1]:$P1', 'tls://[::]:$P1', 'tls://[::2]:$P1', 'tls://[::3]:$P1'], u"
expect 0 st request "$WORK/st" --scan v6.scan -o usb --passphrase-file pass
ok "IPv6: [::1] and the range [::1/126] (its 4 addresses, the duplicate probed once), the report reads back"
expect 1 st scan "$WORK/st" 127.0.0.0/19:"$P1"
err_has "127.0.0.0/19:$P1: /19 holds more than 4096 addresses"
expect 2 st scan "$WORK/st" "tls://127.0.0.1:$P1" --concurrency 0
err_has "--concurrency '0': expected 1..256"
expect 2 st scan "$WORK/st" "tls://127.0.0.1:$P1" --timeout 301
err_has "--timeout '301': expected 1..300"
expect 2 st scan "$WORK/st" "tls://127.0.0.1:$P1" --timeout 2 --connect-timeout 3
err_has "--connect-timeout at most --timeout"
expect 2 st scan "$WORK/st" "ftp://127.0.0.1:21"
err_has "ftp://127.0.0.1:21: unknown scheme"
expect 2 st scan "$WORK/st" "127.0.0.1"
err_has "127.0.0.1: no port"
expect 2 st scan "$WORK/st" "tls://127.0.0.1:$P1" "tls://127.0.0.1:0"
err_has "port '0' is not 1..65535"
ok "limits: a range of more than 4096 addresses, concurrency, timeouts, schemes and ports refused before anything is contacted"
done_testing
