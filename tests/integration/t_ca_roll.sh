#!/usr/bin/env bash
# plantca ca roll (issue 12 item 2): an issuing CA gets a new key and a new
# certificate under the root with the same subject.  Certificates issued
# before the roll (generation 1) stay valid and are revoked through
# generation 1's own CRL; certificates issued after it come from
# generation 2.  Exports carry both CA certificates and both CRLs; the
# station accepts them (flat and OPC UA layouts) and OpenSSL verifies old
# and new device certificates (-x509_strict -crl_check) against the
# station's files; each CRL is signed by its own key, with CRL numbers that
# never go backwards; an old-generation server and a new-generation client
# complete a TLS handshake.  Past the expiry of the last generation-1
# certificate, plantca crl signs generation 1's final CRL and retires it,
# and the next export lets the station drop the old CA certificate.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need faketime "the roll's overlap ends by moving the clock (scripts/setup installs it)"
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 faketime "$@"; }

T0='2027-03-01 09:00:00'
d() { date -u -d "$T0 UTC + $1 days" '+%Y-%m-%d %H:%M:%S'; }
NOW=$T0
ca() { ft "$NOW" "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
sta() { ft "$(date -u -d "$NOW UTC + 10 minutes" '+%Y-%m-%d %H:%M:%S')" "$STATION" "$@"; }
later() { date -u -d "$NOW UTC + 20 minutes" '+%Y-%m-%d %H:%M:%S'; }

expect 0 ca init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
  --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA"
expect 0 ca ca new line3 --subject "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" \
  --permit dns:line3.plant.local
printf 'pw\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
for st in st st2; do
  expect 0 sta init "$WORK/$st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
    --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
  expect 0 ca station add line3 "$WORK/$st/station.pub" --ca line3
done
mkdir -p "$WORK/dev" "$WORK/usb"
for n in srv1 cli1 rev1 srv2 cli2 rev2; do
  mkcsr p256 "$n" "$WORK/dev/$n.csr" "DNS:$n.line3.plant.local"
done
ca ca cert line3 >"$WORK/gen1.pem"

# the certificate of CN=NAME in the store
sn() { ca --json certs | python3 -c '
import json, sys
print([c["serial"] for c in json.load(sys.stdin) if c["subject"].startswith("CN=" + sys.argv[1] + ",")][0])' "$1"; }
# keyid of a certificate: subject (ski) or authority (aki)
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :'; }
aki() { openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -1 | sed 's/keyid://' | tr -d ' :'; }
crl_aki() { openssl crl -in "$1" -noout -text | grep -A1 'Authority Key Identifier' | tail -1 | sed 's/keyid://' | tr -d ' :'; }
crl_no() { printf '%d' "$(openssl crl -in "$1" -noout -crlnumber | cut -d= -f2)"; }
exp_and_accept() {
  rm -rf "$WORK/usb"; mkdir "$WORK/usb"
  expect 0 ca export line3 "$WORK/usb"
  expect 0 sta accept "$WORK/st" "$WORK"/usb/line3-response-*.tar --out "$WORK/pki" --layout flat
  expect 0 sta accept "$WORK/st2" "$WORK"/usb/line3-response-*.tar --out "$WORK/ua" --layout opcua
}

# generation 1 issues three certificates
expect 0 sta request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-server \
  "$WORK/dev/srv1.csr" --profile tls-client "$WORK/dev/cli1.csr" "$WORK/dev/rev1.csr" -o "$WORK/usb"
expect 0 ca import "$WORK/usb/line3-request-000001.tar"
expect 0 ca sign
expect 0 ca crl
exp_and_accept
S_SRV1=$(sn srv1); S_CLI1=$(sn cli1); S_REV1=$(sn rev1)
G1=$(ski "$WORK/gen1.pem")
[ "$(aki "$WORK/pki/certs/$S_SRV1.pem")" = "$G1" ] || fail "srv1 not issued by generation 1"
expect 0 ca firmware signer new fw-a --ca line3 --subject "/O=Acme Plant/CN=Firmware Signer A" --days 700
ok "generation 1 issued srv1, cli1, rev1 and the station holds them, and firmware signer fw-a"

# refusals leave the store as it was
before=$(store_dump)
expect 1 ca ca roll line9
err_has "CA 'line9' does not exist"
expect 2 ca ca roll root
err_has "ca roll root: the root is rolled with its cross-certificates"
[ "$(store_dump)" = "$before" ] || fail "a refused ca roll changed the store"
ok "ca roll of an unknown CA and of the root is refused, the store unchanged"

# the roll, a month on
NOW=$(d 30)
expect 0 ca ca roll line3
out_has "issuing CA 'line3' generation 2 (ec-p256)" \
  "generation 1 signs only CRLs now, until its last certificate expires ($(date -u -d "$T0 UTC + 730 days" +%Y-%m-%d)"
# the default policy's ldevid profile (7300 days) outlives a 3650-day CA
err_has "warning: CA line3 expires" "before the certificates it is meant to issue: profile ldevid gives 7300 days"
ca ca cert line3 >"$WORK/gen2.pem"
G2=$(ski "$WORK/gen2.pem")
[ "$G1" != "$G2" ] || fail "the roll kept the key"
[ "$(openssl x509 -in "$WORK/gen1.pem" -noout -subject -nameopt RFC2253)" = \
  "$(openssl x509 -in "$WORK/gen2.pem" -noout -subject -nameopt RFC2253)" ] || fail "the roll changed the subject"
openssl x509 -in "$WORK/gen2.pem" -noout -text >"$WORK/gen2.txt"
grep -q 'Permitted:' "$WORK/gen2.txt" && grep -q 'DNS:line3.plant.local' "$WORK/gen2.txt" \
  || fail "the roll dropped the name constraints: $(cat "$WORK/gen2.txt")"
grep -q 'CA:TRUE, pathlen:0' "$WORK/gen2.txt" || fail "path length not kept"
ft "$(later)" openssl verify -x509_strict -CAfile "$CAHOME/public/root.pem" "$WORK/gen2.pem" >/dev/null \
  || fail "generation 2 does not verify under the root"
# run again (as after a crash whose output was lost): generation 2 has
# issued nothing, so a second roll is refused; --again is the officer's say
before=$(store_dump)
expect 1 ca ca roll line3
err_has "CA 'line3' was already rolled to generation 2" "which has not issued a certificate yet: not rolled again" "plantca ca roll line3 --again"
[ "$(store_dump)" = "$before" ] || fail "a refused repeat of ca roll changed the store"
ok "ca roll repeated before the new generation issued anything: refused, the store unchanged"
expect 0 ca ca list
out_has "generation 2 (current: signs certificates and its CRL)" "generation 1 (signs only its CRL"
expect 0 ca --json ca list
python3 - "$OUT" <<'PY' || fail "ca list --json: $OUT"
import json, sys
l = {c["name"]: c for c in json.loads(sys.argv[1])}
c = l["line3"]
assert c["generation"] == 2 and len(c["generations"]) == 1, c
g = c["generations"][0]
assert g["generation"] == 1 and g["state"] == "crl-only" and g["signs_crls_until"], g
assert l["root"]["generations"] == [], l["root"]
PY
expect 0 ca audit log
out_has "ca.roll line3 ok generation 2"
expect 0 ca --json status
python3 - "$OUT" <<'PY' || fail "status --json after the roll: $OUT"
import json, sys
ev = [x for x in json.loads(sys.argv[1])["events"] if x["kind"] == "ca-retire"]
assert len(ev) == 1 and ev[0]["object"] == "line3~1" and "plantca crl" in ev[0]["action"], ev
crl = [x for x in json.loads(sys.argv[1])["events"] if x["kind"] == "crl" and x["object"] == "line3~1"]
assert len(crl) == 1 and "generation 1" in crl[0]["what"], crl
PY
# a signer of generation 1 still signs firmware with its own chain; a new
# signer comes from generation 2
head -c 100000 /dev/urandom >"$WORK/fw.bin"
expect 0 ca firmware signer new fw-b --ca line3 --subject "/O=Acme Plant/CN=Firmware Signer B" --days 600
for sg in fw-a fw-b; do
  expect 0 ca firmware sign "$WORK/fw.bin" --signer "$sg" --fw-version 1.0.0 -o "$WORK/$sg.p7s"
  ft "$(later)" openssl cms -verify -binary -inform DER -in "$WORK/$sg.p7s" -content "$WORK/fw.bin" \
    -CAfile "$CAHOME/public/root.pem" -purpose any -out /dev/null 2>"$WORK/err" \
    || fail "openssl cms -verify $sg: $(cat "$WORK/err")"
done
# the root is the only anchor: the CMS itself must carry the signer's own CA generation
ok "after the roll a generation-1 firmware signer and a generation-2 one both sign firmware that openssl cms -verify accepts under the root"
ok "ca roll: new key, same subject, name constraints and path length, under the root; ca list and status show both generations; audited"

# generation 2 issues the next three
rm -rf "$WORK/usb"; mkdir "$WORK/usb"
expect 0 sta request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-server \
  "$WORK/dev/srv2.csr" --profile tls-client "$WORK/dev/cli2.csr" "$WORK/dev/rev2.csr" -o "$WORK/usb"
expect 0 ca import "$WORK"/usb/line3-request-*.tar
expect 0 ca sign
S_SRV2=$(sn srv2); S_CLI2=$(sn cli2); S_REV2=$(sn rev2)
expect 0 ca crl
exp_and_accept
NOW=$(date -u -d "$NOW UTC + 1 minute" '+%Y-%m-%d %H:%M:%S')
expect 0 ca revoke "$S_REV1" --reason keyCompromise
expect 0 ca revoke "$S_REV2" --reason keyCompromise
expect 0 ca crl
out_has "CRL 4 of CA 'line3'" "CRL 5 of CA 'line3' generation 1"
exp_and_accept
[ "$(aki "$WORK/pki/certs/$S_SRV2.pem")" = "$G2" ] || fail "srv2 not issued by generation 2"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem")" -eq 3 ] || fail "trust.pem: $(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem") certificates, expected root and both generations"
openssl pkcs7 -inform DER -in "$WORK/pki/trust.p7b" -print_certs -out "$WORK/p7.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/p7.pem")" -eq 3 ] || fail "trust.p7b lacks a generation"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/chain.pem")" -eq 3 ] || fail "chain.pem lacks a generation"
[ -f "$WORK/pki/crl/line3.crl" ] && [ -f "$WORK/pki/crl/line3.gen1.crl" ] || fail "the station lacks a CRL: $(ls "$WORK/pki/crl")"
ls "$WORK/ua/trusted/certs" >"$WORK/ua.ls"
[ "$(grep -c 'Line_3_Issuing_CA\|Line 3 Issuing CA' "$WORK/ua.ls")" -eq 2 ] || fail "OPC UA trusted/certs: $(cat "$WORK/ua.ls")"
[ -f "$WORK/ua/trusted/crl/line3.crl" ] && [ -f "$WORK/ua/trusted/crl/line3.gen1.crl" ] || fail "OPC UA trusted/crl: $(ls -R "$WORK/ua")"
ok "generation 2 issued srv2, cli2, rev2; the export carries both CA certificates (trust.pem, trust.p7b, chain.pem, OPC UA trusted/certs) and both CRLs"

# each CRL signed by its own key, entries by issuing key, numbers going up
C1=$WORK/pki/crl/line3.gen1.crl; C2=$WORK/pki/crl/line3.crl
ft "$(later)" openssl crl -in "$C1" -noout -CAfile <(cat "$WORK/gen1.pem") -verify 2>&1 | grep -q 'verify OK' || fail "gen 1 CRL does not verify with generation 1"
ft "$(later)" openssl crl -in "$C2" -noout -CAfile <(cat "$WORK/gen2.pem") -verify 2>&1 | grep -q 'verify OK' || fail "gen 2 CRL does not verify with generation 2"
[ "$(crl_aki "$C1")" = "$G1" ] && [ "$(crl_aki "$C2")" = "$G2" ] || fail "CRL AKIs: $(crl_aki "$C1") $(crl_aki "$C2")"
ft "$(later)" openssl crl -in "$C1" -noout -text >"$WORK/c1.txt"; openssl crl -in "$C2" -noout -text >"$WORK/c2.txt"
grep -qi "$S_REV1" "$WORK/c1.txt" && ! grep -qi "$S_REV2" "$WORK/c1.txt" || fail "gen 1 CRL entries: $(cat "$WORK/c1.txt")"
grep -qi "$S_REV2" "$WORK/c2.txt" && ! grep -qi "$S_REV1" "$WORK/c2.txt" || fail "gen 2 CRL entries: $(cat "$WORK/c2.txt")"
n1=$(crl_no "$C1"); n2=$(crl_no "$C2")
[ "$n2" -eq 4 ] && [ "$n1" -eq 5 ] || fail "CRL numbers: gen 2 $n2, gen 1 $n1"
ok "each CRL verifies with its own generation and names it (AKI); rev1 only in generation 1's, rev2 only in generation 2's; numbers 4 and 5 after 2 and 3 (one sequence for the name)"

# the station's files verify old and new device certificates
cat "$WORK/pki/crl"/*.crl >"$WORK/crls.pem"
vfy() { ft "$(later)" openssl verify -x509_strict -crl_check -CAfile "$WORK/pki/trust.pem" \
  -CRLfile "$WORK/crls.pem" "$WORK/pki/certs/$1.pem" 2>&1; }
for s in "$S_SRV1" "$S_CLI1" "$S_SRV2" "$S_CLI2"; do
  r=$(vfy "$s") || fail "openssl verify $s: $r"
done
for s in "$S_REV1" "$S_REV2"; do
  r=$(vfy "$s") && fail "revoked $s verifies: $r"
  grep -q 'certificate revoked' <<<"$r" || fail "revoked $s refused otherwise: $r"
done
ok "openssl verify -x509_strict -crl_check with the station's trust.pem and CRLs: old and new devices pass, revoked ones of both generations are refused as revoked"

# a generation-1 server and a generation-2 client shake hands
port=$((20000 + RANDOM % 20000))
handshake() {
  local srv=$1 srvkey=$2 cli=$3 clikey=$4 t
  t=$(later)
  cat "$WORK/pki/trust.pem" "$WORK/pki/crl"/*.crl >"$WORK/anchors.pem"
  port=$((port + 1))
  ft "$t" openssl s_server -accept "127.0.0.1:$port" -naccept 1 -cert "$WORK/pki/certs/$srv.pem" \
    -key "$WORK/dev/$srvkey.csr.key" -CAfile "$WORK/anchors.pem" \
    -Verify 2 -verify_return_error -crl_check -www >"$WORK/srv.log" 2>&1 &
  local sp=$! i rc=0
  for i in $(seq 1 100); do
    ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && break
    sleep 0.1
  done
  printf 'GET / HTTP/1.0\r\n\r\n' | ft "$t" openssl s_client -connect "127.0.0.1:$port" \
    -verify_hostname "$srvkey.line3.plant.local" -cert "$WORK/pki/certs/$cli.pem" \
    -key "$WORK/dev/$clikey.csr.key" -CAfile "$WORK/anchors.pem" -verify_return_error -crl_check \
    -quiet >"$WORK/cli.log" 2>&1 || rc=$?
  wait "$sp" 2>/dev/null || true
  if [ "$rc" -eq 0 ] && grep -q 'HTTP/1.0 200' "$WORK/cli.log"; then echo ok; else echo refused; fi
}
[ "$(handshake "$S_SRV1" srv1 "$S_CLI2" cli2)" = ok ] || fail "gen 1 server / gen 2 client: $(tail -5 "$WORK/cli.log" "$WORK/srv.log")"
[ "$(handshake "$S_SRV2" srv2 "$S_CLI1" cli1)" = ok ] || fail "gen 2 server / gen 1 client: $(tail -5 "$WORK/cli.log" "$WORK/srv.log")"
[ "$(handshake "$S_SRV1" srv1 "$S_REV2" rev2)" = refused ] || fail "the revoked gen 2 client was let in"
grep -qi revoked "$WORK/srv.log" || fail "refused, but not as revoked: $(cat "$WORK/srv.log")"
ok "TLS (s_server/s_client -verify_return_error -crl_check): generation 1 server with generation 2 client and the other way round; a revoked client is refused"

# renewal of a generation-1 certificate comes from generation 2
NOW=$(d 700)
expect 0 ca renew --serial "$S_CLI1"
expect 0 ca sign
expect 0 ca crl
out_has "CRL 6 of CA 'line3'" "CRL 7 of CA 'line3' generation 1"
[[ "$OUT" != *"final CRL"* ]] || fail "generation 1 retired while its certificates are valid: $OUT"
exp_and_accept
S_CLI1B=$(ca show "$S_CLI1" | sed -n 's/.*superseded by \([0-9a-f]*\).*/\1/p')
[ -n "$S_CLI1B" ] || fail "no renewal of cli1: $(ca show "$S_CLI1")"
[ "$(aki "$WORK/pki/certs/$S_CLI1B.pem")" = "$G2" ] || fail "the renewal of cli1 is not from generation 2"
ok "day 700: generation 1 still signs its CRL (not final); cli1's renewal is issued by generation 2"

# crl --ca NAME signs every generation of NAME that still signs CRLs, as
# plain crl does for it: the current one into FILE, generation 1 into
# HOME/crl/line3~1.crl, each said (text and --json).  Six days on, only
# crl --ca (as an officer who renews one CA's CRL does): four days later
# generation 1's CRL from day 700 has passed its nextUpdate, and only the
# one crl --ca signed keeps its devices verifiable
NOW=$(d 706)
expect 0 ca crl --ca line3 -o "$WORK/l3-a.crl"
out_has "CRL 8 of CA 'line3'" "CRL 9 of CA 'line3' generation 1" "$CAHOME/crl/line3~1.crl"
[ "$(crl_no "$WORK/l3-a.crl")" -eq 8 ] && [ "$(crl_no "$CAHOME/crl/line3~1.crl")" -eq 9 ] \
  || fail "crl --ca line3: numbers $(crl_no "$WORK/l3-a.crl") and $(crl_no "$CAHOME/crl/line3~1.crl")"
# (faketime starts each command at NOW: a minute on, after the last CRL)
tick() { NOW=$(date -u -d "$NOW UTC + 1 minute" '+%Y-%m-%d %H:%M:%S'); }
tick
expect 0 ca --json crl --ca line3 -o "$WORK/l3-b.crl"
python3 - "$OUT" "$CAHOME/crl/line3~1.crl" "$WORK/l3-b.crl" <<'PY' || fail "crl --ca line3 --json: $OUT"
import json, sys
l = json.loads(sys.argv[1])
assert [(x["ca"], x.get("generation"), x["number"]) for x in l] == [("line3", None, 10), ("line3", 1, 11)], l
assert l[1]["final"] is False and l[1]["file"] == sys.argv[2] and l[0]["file"] == sys.argv[3], l
PY
# on stdout: the current CRL alone, each generation said on stderr
tick
ca crl --ca line3 >"$WORK/l3-c.crl" 2>"$WORK/err" || fail "crl --ca line3 onto stdout: $(cat "$WORK/err")"
grep -q "CRL 13 of CA 'line3' generation 1" "$WORK/err" || fail "crl --ca line3 onto stdout: $(cat "$WORK/err")"
[ "$(crl_no "$WORK/l3-c.crl")" -eq 12 ] && [ "$(grep -c 'BEGIN X509 CRL' "$WORK/l3-c.crl")" -eq 1 ] \
  || fail "crl --ca line3 onto stdout: $(cat "$WORK/l3-c.crl")"
G1CRL=$CAHOME/crl/line3~1.crl
r=$(ft "$(later)" openssl crl -in "$G1CRL" -noout -CAfile "$WORK/gen1.pem" -verify 2>&1) && grep -q 'verify OK' <<<"$r" \
  || fail "crl --ca line3: generation 1's CRL does not verify with generation 1: $r"
[ "$(crl_aki "$G1CRL")" = "$G1" ] && [ "$(crl_aki "$WORK/l3-c.crl")" = "$G2" ] || fail "crl --ca line3: CRL AKIs"
ft "$(later)" openssl crl -in "$G1CRL" -noout -text | grep -qi "$S_REV1" || fail "crl --ca line3: rev1 not on generation 1's CRL"
expect 0 ca crl --ca root -o "$WORK/root-706.crl"
cat "$WORK/root-706.crl" "$G1CRL" >"$WORK/crls-g1.pem"
d710=$(date -u -d "$T0 UTC + 710 days" '+%Y-%m-%d %H:%M:%S')
g1v() { ft "$d710" openssl verify -x509_strict -crl_check -CAfile <(cat "$CAHOME/public/root.pem" "$WORK/gen1.pem") \
  -CRLfile "$WORK/crls-g1.pem" "$WORK/pki/certs/$1.pem" 2>&1; }
r=$(g1v "$S_SRV1") || fail "day 710: srv1 against generation 1's CRL from crl --ca: $r"
r=$(g1v "$S_REV1") && fail "day 710: rev1 verifies: $r"
grep -q 'certificate revoked' <<<"$r" || fail "day 710: rev1 refused otherwise: $r"
ok "crl --ca line3 signs generation 1's CRL too (text, --json and onto stdout, each generation said; numbers 8 to 13, one sequence); openssl crl -verify with generation 1; on day 710 openssl verify -x509_strict -crl_check passes srv1 and refuses rev1 as revoked with it"

# past the last generation-1 certificate: final CRL, retired, dropped
NOW=$(d 745)
expect 0 ca crl
out_has "CRL 14 of CA 'line3'" "CRL 15 of CA 'line3' generation 1" "its final CRL" "the generation is retired"
[ "$(crl_no "$CAHOME/crl/line3~1.crl")" -eq 15 ] || fail "final CRL number"
ft "$(later)" openssl crl -in "$CAHOME/crl/line3~1.crl" -noout -CAfile "$WORK/gen1.pem" -verify 2>&1 | grep -q 'verify OK' || fail "final CRL"
expect 0 ca ca list
out_has "generation 1 (retired $(date -u -d "$NOW UTC" +%Y-%m-%d): final CRL signed)"
expect 0 ca audit log
out_has "ca.retire line3 ok generation 1"
exp_and_accept
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem")" -eq 2 ] || fail "trust.pem still has generation 1"
openssl x509 -in "$WORK/pki/trust.pem" -noout >/dev/null
! grep -q "$(sed -n 2p "$WORK/gen1.pem")" "$WORK/pki/trust.pem" "$WORK/pki/chain.pem" || fail "generation 1 is still in the station's trust"
[ ! -e "$WORK/pki/crl/line3.gen1.crl" ] || fail "the station kept generation 1's CRL"
[ "$(grep -c 'Line_3_Issuing_CA\|Line 3 Issuing CA' <(ls "$WORK/ua/trusted/certs"))" -eq 1 ] || fail "OPC UA: $(ls "$WORK/ua/trusted/certs")"
cat "$WORK/pki/crl"/*.crl >"$WORK/crls.pem"
for s in "$S_SRV2" "$S_CLI2" "$S_CLI1B"; do
  r=$(vfy "$s") || fail "after retirement openssl verify $s: $r"
done
# (faketime starts each command at NOW: a minute on, after the last CRL)
NOW=$(date -u -d "$NOW UTC + 1 minute" '+%Y-%m-%d %H:%M:%S')
expect 0 ca crl
[[ "$OUT" != *"generation 1"* ]] || fail "a retired generation signed again: $OUT"
expect 0 ca --json status
[[ "$OUT" != *'"ca-retire"'* ]] || fail "status still lists the retired generation: $OUT"
ok "day 745: generation 1 signs its final CRL (number 15) and retires; the station drops its certificate and CRL; generation 2's certificates verify"

expect 0 ca audit verify
out_has "audit trail intact"
ok "audit verify passes"

# a store that holds key generations at schema 2 (as main wrote them
# between the ca roll and the schema 3 merge) is upgraded like any other,
# and then says schema 3, which every plantca that does not know key
# generations refuses by its number (docs/architecture.md)
if [ -n "${STORE_DOWNGRADE:-}" ]; then
  "$STORE_DOWNGRADE" "$CAHOME/db" 2 || fail "store_downgrade"
  expect 2 ca ca list
  err_has "store schema 2 is older than this plantca (3): run plantca migrate"
  expect 0 ca migrate
  err_has "store upgraded from schema 2 to 3"
  expect 0 ca --json ca list
  python3 -c 'import json,sys; c={x["name"]: x for x in json.loads(sys.argv[1])}["line3"]; assert c["generation"] == 2 and c["generations"][0]["state"] == "retired", c' "$OUT" \
    || fail "ca list after the upgrade: $OUT"
  [ "$(mdb_dump -s meta "$CAHOME/db" | grep -A1 '^ 736368656d61$' | tail -1)" = ' 00000003' ] || fail "the upgraded store's schema number"
  expect 0 ca audit verify
  ok "a rolled store at schema 2 refuses read-only commands until plantca migrate, which upgrades it to schema 3 with its generations kept; audit verify passes"
else
  skip_part "STORE_DOWNGRADE not set: the schema 2 rolled store is not upgraded"
fi
done_testing
