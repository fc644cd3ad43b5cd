#!/usr/bin/env bash
# Findings travel to the CA (issue 16 point 3): a station scans real TLS
# servers on loopback, `request --scan` carries the report, `plantca
# import` stores it in the import transaction, `plantca discovered` shows
# the plant-wide view judged by the CA itself (a certificate it issued is
# the plant's even when the device sends no chain), `discovered expect`
# turns a finding into an expected enrollment, `status` counts it until a
# later scan shows a certificate of ours there; changes since the previous
# scan.  A bad report refuses the whole bundle and leaves the store as it
# was (mdb_dump).  Certificates and serials are compared with openssl's.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need openssl "the TLS servers and the certificates"
need minisign "the hand-made bundles"
need mdb_dump "the store is compared before and after a refusal"
cd "$WORK"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A SPID
stop_srv() { [ -z "${SPID[$1]:-}" ] || { kill "${SPID[$1]}" 2>/dev/null || true; wait "${SPID[$1]}" 2>/dev/null || true; SPID[$1]=; }; }
stop_all() { local p; for p in "${!SPID[@]}"; do stop_srv "$p"; done; }
at_exit stop_all
sserver() {  # PORT CERT KEY: openssl s_server on 127.0.0.1:PORT (stdin: a FIFO held open)
  local fd i
  [ -p "in.$1" ] || mkfifo "in.$1"
  openssl s_server -accept "127.0.0.1:$1" -cert "$2" -key "$3" -quiet <"in.$1" >"srv.$1.out" 2>"srv.$1.err" &
  SPID[$1]=$!
  exec {fd}>"in.$1"
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "s_server on $1: $(cat "srv.$1.err")"
}
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); $1" <<<"$OUT" || fail "json: $1: $OUT"; }

# ------------------------------------------------------------ CA, station
expect 0 pc init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
  --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA"
expect 0 pc ca new line3 --subject "/C=DE/O=Acme Plant/CN=Line 3 Issuing CA"
printf 'correct horse battery staple\n' >pass && chmod 600 pass
expect 0 "$STATION" init st --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file pass
expect 0 pc station add line3 st/station.pub --ca line3
# a second station key of line3, unencrypted, for hand-made bundles (mkbundle.py)
minisign -G -W -p st2.pub -s st2.key >/dev/null
expect 0 pc station add line3 st2.pub --ca line3
mkbundle() { python3 "$SRCDIR/tests/integration/mkbundle.py" --key st2.key --pub st2.pub --segment line3 "$@"; }

# device A: a vendor's self-signed certificate; device B: one of ours
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout a-old.key \
  -subj "/CN=press-07 vendor default" -days 365 -out a-old.pem 2>/dev/null
mkcsr p256 hmi-02 b.csr "IP:127.0.0.1"
expect 0 pc issue b.csr --ca line3 --profile tls-server -o b.pem
PA=$(free_port); PB=$(free_port); PC=$(free_port)
sserver "$PA" a-old.pem a-old.key
sserver "$PB" b.pem b.csr.key
ok "CA with issuing CA line3, station enrolled; device A self-signed, device B from our CA (no chain sent)"

# ------------------------------------------------------------ scan 1
expect 0 "$STATION" scan st "tls://127.0.0.1:$PA" "tls://127.0.0.1:$PB" -o r1.scan --json
jq_ "e = {x['endpoint']: x for x in d['endpoints']}; assert not e['tls://127.0.0.1:$PB']['certificates'][0]['plant']"
mkdir usb
expect 0 "$STATION" request st --scan r1.scan -o usb --passphrase-file pass
before=$(store_dump)
expect 0 pc import usb/line3-request-000001.tar
out_has "scan report: stored as scan 1 (2 endpoints); 0 expected enrollments fulfilled"
[ "$before" != "$(store_dump)" ] || fail "import changed nothing"
expect 0 pc --json discovered
jq_ "s = d['segments']; assert len(s) == 1 and s[0]['segment'] == 'line3' and s[0]['scan']['id'] == 1 and s[0]['previous'] is None, s"
jq_ "e = {x['endpoint']: x for x in d['segments'][0]['endpoints']}; a = e['tls://127.0.0.1:$PA']['certificates'][0]; b = e['tls://127.0.0.1:$PB']['certificates'][0]; assert not a['plant'] and 'self-signed' in a['findings'] and 'not-plant' in a['findings'], a; assert b['plant'] and 'not-plant' not in b['findings'], b"
jq_ "assert d['segments'][0]['summary']['to_enroll'] == 1 and d['segments'][0]['summary']['plant'] == 1"
fp=$(openssl x509 -in a-old.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr A-F a-f)
jq_ "e = {x['endpoint']: x for x in d['segments'][0]['endpoints']}; assert e['tls://127.0.0.1:$PA']['certificates'][0]['sha256'] == '$fp'"
expect 0 pc discovered
out_has "segment line3: scan 1 by station" "to enroll" "issued by the plant CA" "expected enrollments: 0"
ok "import stores the scan; discovered: A to enroll (self-signed), B the plant's though it sent no chain (the CA issued exactly it); fingerprint as openssl prints it"

# ------------------------------------------------------------ expect
expect 0 pc discovered expect "tls://127.0.0.1:$PA" --segment line3 --reason "replace the vendor default"
out_has "expected: tls://127.0.0.1:$PA (segment line3) must come back with a plant certificate"
expect 1 pc discovered expect "tls://127.0.0.1:$PA" --segment line3
err_has "already expected in segment line3"
expect 1 pc discovered expect "tls://127.0.0.1:$PB" --segment line3
err_has "presents no certificate, or only certificates of the plant CA"
expect 1 pc discovered expect "tls://127.0.0.1:1" --segment line3
err_has "not answered in segment line3's latest scan (scan 1)"
expect 2 pc discovered expect "tls://127.0.0.1:$PA"
expect 0 pc --json status
jq_ "d = d['segments']; assert d[0]['to_enroll'] == 1 and d[0]['enrolled'] == 0, d"
expect 0 pc status
out_has "TO ENROLL" " 1/1 "
ok "discovered expect: A expected; twice, a plant endpoint, an unknown one refused; status shows 1 open of 1"

# ------------------------------------------------------------ scan 2
# A comes back with a plant certificate, B is gone, C is new
mkcsr p256 press-07 a.csr "IP:127.0.0.1"
expect 0 pc issue a.csr --ca line3 --profile tls-server -o a-new.pem
stop_srv "$PA"; stop_srv "$PB"
sserver "$PA" a-new.pem a.csr.key
sserver "$PC" a-old.pem a-old.key
expect 0 "$STATION" scan st "tls://127.0.0.1:$PA" "tls://127.0.0.1:$PB" "tls://127.0.0.1:$PC" -o r2.scan
expect 0 "$STATION" request st --scan r2.scan -o usb --passphrase-file pass
expect 0 pc import usb/line3-request-000002.tar
out_has "1 expected enrollment fulfilled"
expect 0 pc --json discovered --segment line3
jq_ "c = sorted((x['change'], x['endpoint']) for x in d['segments'][0]['changes']); assert c == sorted([('changed', 'tls://127.0.0.1:$PA'), ('gone', 'tls://127.0.0.1:$PB'), ('new', 'tls://127.0.0.1:$PC')]), c"
jq_ "assert d['segments'][0]['previous'] == 1 and d['segments'][0]['scan']['id'] == 2"
jq_ "c = [x for x in d['segments'][0]['endpoints'] if x['endpoint'] == 'tls://127.0.0.1:$PC'][0]['certificates'][0]; assert 'shared-key' not in c['findings'] and not c['plant']"
serial=$(serial_of a-new.pem)
jq_ "x = d['expected']; assert len(x) == 1 and x[0]['status'] == 'enrolled' and x[0]['enrolled_scan'] == 2 and x[0]['serial'] == '$serial' and x[0]['note'] == 'replace the vendor default', x"
expect 0 pc --json status
jq_ "d = d['segments']; assert d[0]['to_enroll'] == 0 and d[0]['enrolled'] == 1, d"
expect 0 pc discovered
out_has "since scan 1: 1 new, 1 gone, 1 changed" "enrolled: certificate $serial of the plant CA seen in scan 2"
ok "scan 2: A changed, B gone, C new; the expectation closed by A's new certificate (serial $serial, as openssl reads it); status 0 open"

expect 0 pc audit verify
expect 0 pc audit log
out_has "scan.import" "discovered.expect" "discovered.enrolled"
ok "audit: scan.import, discovered.expect, discovered.enrolled in an intact chain"

# ------------------------------------------------------------ refusals
mkdir bad
seq=100
refuse() {  # NAME MESSAGE mkbundle-args...
  local name=$1 msg=$2; shift 2
  seq=$((seq + 1))
  local b; b=$(mkbundle --sequence "$seq" -o bad "$@")
  local d; d=$(store_dump)
  expect 1 pc import "$b"
  err_has "$msg"
  [ "$d" = "$(store_dump)" ] || fail "$name: the refused import changed the store"
}
sed 's/^result: ok$/result: fine/' r2.scan >bad1.scan
refuse "bad result" "report.scan:8: result: unknown result" report.scan=bad1.scan
sed 's/^segment: line3$/segment: line4/' r2.scan >bad2.scan
refuse "other segment" "report.scan: a scan of segment line4 from station" report.scan=bad2.scan
head -c 100 r2.scan >bad3.scan
refuse "cut" "report.scan:5: last line does not end with LF" report.scan=bad3.scan
refuse "no scan line" "member x.scan has no scan line in BUNDLE" --unlisted x.scan=r2.scan
expect 0 pc --json discovered
jq_ "assert d['segments'][0]['scan']['id'] == 2"
ok "a bad report, another segment's, a cut one, a .scan member without its line: the whole bundle refused, the store unchanged"

# a hand-made bundle with a good report is read as the station's own
b=$(mkbundle --sequence 200 -o bad report.scan=r2.scan)
expect 0 pc import "$b"
out_has "stored as scan 3"
ok "a report in a bundle made with tar and minisign by hand (docs/bundle-format.md) is imported"
# ------------------------------------------------------------ a second segment
# line4's station scans a device whose key line3's C also uses, and sends
# a CSR with the report in one bundle
expect 0 "$STATION" init st4 --segment line4 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file pass
expect 0 pc station add line4 st4/station.pub --ca line3
PD=$(free_port)
sserver "$PD" a-old.pem a-old.key
mkcsr p256 valve-2 d.csr
expect 0 "$STATION" scan st4 "tls://127.0.0.1:$PD" -o r4.scan
mkdir usb4
expect 0 "$STATION" request st4 --profile tls-client d.csr --scan r4.scan -o usb4 --passphrase-file pass --json
jq_ "assert d['scan'] == 'report.scan' and len(d['csrs']) == 1, d"
expect 0 pc --json import usb4/line4-request-000001.tar
jq_ "assert len(d['requests']) == 1 and d['requests'][0]['status'] != 'rejected' and d['scan']['endpoints'] == 1, d"
scan4=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['scan']['id'])" "$OUT")
expect 0 pc --json discovered
jq_ "assert [s['segment'] for s in d['segments']] == ['line3', 'line4'], d['segments']"
jq_ "s = {x['segment']: x for x in d['segments']}; c = s['line4']['endpoints'][0]['certificates'][0]; assert 'shared-key' in c['findings'] and s['line4']['previous'] is None, c"
jq_ "s = {x['segment']: x for x in d['segments']}; c = [x for x in s['line3']['endpoints'] if x['endpoint'] == 'tls://127.0.0.1:$PC'][0]['certificates'][0]; assert 'shared-key' in c['findings'], c"
expect 0 pc --json discovered --segment line4
jq_ "assert [s['segment'] for s in d['segments']] == ['line4'] and d['segments'][0]['scan']['id'] == $scan4, d['segments']"
ok "line4: a CSR and a scan report in one bundle (the request not rejected, scan $scan4 stored); discovered shows both segments, the key line3's C uses flagged shared-key in both; --segment line4 shows line4 alone"

expect 0 pc discovered expect "tls://127.0.0.1:$PD" --segment line4
expect 0 "$STATION" scan st4 "tls://127.0.0.1:$PD" -o r5.scan
expect 0 "$STATION" request st4 --scan r5.scan -o usb4 --passphrase-file pass
expect 0 pc import usb4/line4-request-000002.tar
out_has "0 expected enrollments fulfilled"
expect 0 pc --json status
jq_ "s = {x['segment']: x for x in d['segments']}; assert s['line4']['to_enroll'] == 1 and s['line4']['enrolled'] == 0 and s['line3']['to_enroll'] == 0, d"
expect 0 pc --json discovered --segment line4
jq_ "s = d['segments'][0]; assert s['previous'] == $scan4 and s['changes'] == [], s"
jq_ "x = [x for x in d['expected'] if x['segment'] == 'line4']; assert len(x) == 1 and x[0]['status'] != 'enrolled', x"
ok "line4: expected, scanned again with the same vendor certificate: nothing changed, the expectation stays open in status"

# ------------------------------------------------------------ host names
# a hand-made report (docs/discovery.md section 3): one certificate with
# SAN DNS:*.line3.plant at four host names, judged by the CA (RFC 6125:
# the wildcard is one left-most label, case does not matter)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout w.key \
  -subj "/CN=line3 wildcard" -days 365 -addext "subjectAltName=DNS:*.line3.plant" -out w.pem 2>/dev/null
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  printf 'plantca-scan: 1\nsegment: line3\nstarted: %s\nfinished: %s\n' "$now" "$now"
  printf 'cert: 0 %s\n' "$(openssl x509 -in w.pem -outform DER | base64 -w0)"
  for h in plc.line3.plant PLC.Line3.Plant a.b.line3.plant line3.plant; do
    printf 'endpoint: tls://%s:443\nresult: ok\ntls: TLSv1.2\nchain: 0\n' "$h"
  done
} >w.scan
b=$(mkbundle --sequence 201 -o bad report.scan=w.scan)
expect 0 pc import "$b"
expect 0 pc --json discovered --segment line3
jq_ "m = {x['endpoint']: 'name-mismatch' in x['certificates'][0]['findings'] for x in d['segments'][0]['endpoints']}; assert m == {'tls://plc.line3.plant:443': False, 'tls://PLC.Line3.Plant:443': False, 'tls://a.b.line3.plant:443': True, 'tls://line3.plant:443': True}, m"
ok "name-mismatch by host name at the CA: *.line3.plant matches plc.line3.plant and PLC.Line3.Plant, not a.b.line3.plant nor line3.plant"
done_testing
