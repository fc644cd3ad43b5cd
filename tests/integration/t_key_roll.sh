#!/usr/bin/env bash
# Key rotation through the real programs (docs/lifecycle.md "Transfer and
# station keys"): plantca transfer roll, the announcement signed by the old
# transfer key, the station's word that it holds the new one, the switch at
# the first response the new key signs, and the old key refused after it;
# plantca-station rekey, the CA recording the new station key at import,
# the switch at the response that confirms it, and the old station key
# refused after it.  minisign checks every signature with the right public
# key; bad inputs leave the store and the station exactly as they were.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}" "${MKRESPONSE:?}"
need minisign "the signatures are checked with stock minisign"

make_ca
expect 0 pc crl
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
ST=$WORK/st PKI=$WORK/pki
expect 0 st init "$ST" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass" --kdf-memory 16
expect 0 pc station add line3 "$ST/station.pub" --ca line3
# a second segment, whose station confirms late
ST4=$WORK/st4
expect 0 st init "$ST4" --segment line4 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass" --kdf-memory 16
expect 0 pc station add line4 "$ST4/station.pub" --ca line3
# keyid PUBFILE: the key id as plantca prints it (16 hex digits), from the
# key itself: minisign -G writes it in the comment without leading zeros
keyid() { python3 -c 'import base64,sys
k=base64.b64decode(open(sys.argv[1]).read().splitlines()[1])
print("%016X" % int.from_bytes(k[2:10], "little"))' "$1"; }
SOLD=$(keyid "$ST/station.pub")
TOLD=$(keyid "$CAHOME/public/transfer.pub")
cp "$CAHOME/public/transfer.pub" "$WORK/transfer-old.pub"
mkdir "$WORK/dev"
n=0
csr() { n=$((n + 1)); mkcsr p256 "dev$n" "$WORK/dev/dev$n.csr" "DNS:dev$n.line3.plant.local"; echo "$WORK/dev/dev$n.csr"; }
media() { local d; d=$(mktemp -d "$WORK/usb.XXXX"); echo "$d"; }
one() { ls "$1"/*.tar; }
meta() { tar -xOf "$1" BUNDLE; }
# a station directory as a picture, without DIR/lock (it holds the pid of its last holder)
ssnap() { snap "$1" | grep -v '\./lock\b'; }

# sweep_accept NAME BUNDLE CHECK: accept BUNDLE in a copy of the station,
# killed at every fault point it reaches, every time it reaches it; then
# accepted again (or found recorded already), after which CHECK DIR holds
sweep_accept() {
  local name=$1 b=$2 check=$3 point count i rc runs=0
  if [ "${FAULT_POINTS:-false}" != true ]; then
    skip_part "built without -Dfault_points=true: $name, killed at every fault point"; return 0
  fi
  rm -rf "$WORK/sw.st" "$WORK/sw.pki"; cp -a "$ST" "$WORK/sw.st"; cp -a "$PKI" "$WORK/sw.pki"
  : >"$WORK/points"
  PLANTCA_FAULT_LOG=$WORK/points expect 0 st accept "$WORK/sw.st" "$b" --out "$WORK/sw.pki"
  sort "$WORK/points" | uniq -c | awk '{print $2, $1}' >"$WORK/points.n"
  grep -q '^keys\.\|^file\.write' "$WORK/points.n" || fail "$name: no key fault point reached: $(cat "$WORK/points.n")"
  while read -r point count; do
    for ((i = 1; i <= count; i++)); do
      rm -rf "$WORK/sw.st" "$WORK/sw.pki"; cp -a "$ST" "$WORK/sw.st"; cp -a "$PKI" "$WORK/sw.pki"
      rc=0; PLANTCA_FAULT=$point:$i:kill "$STATION" accept "$WORK/sw.st" "$b" --out "$WORK/sw.pki" \
        >/dev/null 2>&1 </dev/null || rc=$?
      [ "$rc" -ne 0 ] || [ "$point" = accept.cleanup ] || fail "$name: $point:$i: not killed"
      rc=0; "$STATION" accept "$WORK/sw.st" "$b" --out "$WORK/sw.pki" >"$WORK/o" 2>"$WORK/e" </dev/null || rc=$?
      [ "$rc" = 0 ] || grep -q "is not newer than" "$WORK/e" || fail "$name: $point:$i: accepting again: $(cat "$WORK/e")"
      "$check" "$WORK/sw.st" || fail "$name: killed at $point:$i, then accepted again: $check fails"
      runs=$((runs + 1))
    done
  done <"$WORK/points.n"
  ok "$name: $runs accepts killed at every fault point, each accepted again: always ends switched"
}

# a first round trip; a second response is exported and kept, not accepted
U=$(media); expect 0 st request "$ST" --passphrase-file "$WORK/pass" --profile tls-server "$(csr)" -o "$U"
expect 0 pc import "$(one "$U")"
expect 0 pc sign
U=$(media); expect 0 pc export line3 "$U"; expect 0 st accept "$ST" "$(one "$U")" --out "$PKI"
KEEP=$(media); expect 0 pc export line3 "$KEEP"
OLDRESP=$(one "$KEEP")
minisign -Vq -p "$WORK/transfer-old.pub" -m "$OLDRESP" || fail "the kept response does not verify with the old key"
ok "round trip; a response signed by transfer key $TOLD kept aside"

# --- transfer roll
expect 0 pc transfer roll
TNEW=$(keyid "$CAHOME/public/transfer.pub")
[ "$TNEW" != "$TOLD" ] || fail "transfer.pub still holds $TOLD"
out_has "CA transfer key $TNEW (generation 2" "replaces $TOLD"
cmp -s "$WORK/transfer-old.pub" "$CAHOME/public/transfer-$TOLD.pub" || fail "public/transfer-$TOLD.pub is not the old key"
# a second roll waits until every station holds the new key
before=$(store_dump)
expect 1 pc transfer roll
err_has "holds CA transfer key $TOLD, not yet the current one $TNEW"
[ "$(store_dump)" = "$before" ] || fail "a refused roll changed the store"
ok "transfer roll: new key $TNEW in the token; a second roll refused while the station holds $TOLD, store unchanged"

# --- the announcement: signed by the old key, the new key endorsed by it
U=$(media); expect 0 pc export line3 "$U"; R=$(one "$U")
minisign -Vq -p "$WORK/transfer-old.pub" -m "$R" || fail "the announcing response does not verify with the old key"
if minisign -Vq -p "$CAHOME/public/transfer.pub" -m "$R" 2>/dev/null; then fail "verifies with the new key"; fi
meta "$R" | grep -qx "transfer-key: $TNEW" || fail "BUNDLE: $(meta "$R")"
mkdir "$WORK/x1" && tar -xf "$R" -C "$WORK/x1"
minisign -Vq -p "$WORK/transfer-old.pub" -m "$WORK/x1/transfer-key.pub" -x "$WORK/x1/transfer-key.pub.minisig" \
  || fail "the endorsement does not verify with the old key"
minisign -V -p "$WORK/transfer-old.pub" -m "$WORK/x1/transfer-key.pub" -x "$WORK/x1/transfer-key.pub.minisig" \
  | grep -q "plantca-key-roll role=transfer old=$TOLD new=$TNEW" || fail "endorsement trusted comment"
[ "$(tail -1 "$WORK/x1/transfer-key.pub")" = "$(tail -1 "$CAHOME/public/transfer.pub")" ] || fail "announced key is not transfer.pub"
expect 0 st accept "$ST" "$R" --out "$PKI"
out_has "CA transfer key $TNEW announced and kept"
grep -q "^transfer-key-next: $(tail -1 "$CAHOME/public/transfer.pub")\$" "$ST/station.conf" || fail "station.conf: $(cat "$ST/station.conf")"
cmp -s "$ST/ca-transfer.pub" "$WORK/transfer-old.pub" || fail "ca-transfer.pub changed before the switch"
ok "export signed by $TOLD announces $TNEW (minisign verifies bundle and endorsement); the station keeps it beside the old key"

# --- the station says it holds it; the CA switches the segment
U=$(media); expect 0 st request "$ST" --passphrase-file "$WORK/pass" -o "$U"; Q=$(one "$U")
out_has "tells the CA this station holds its new transfer key $TNEW"
meta "$Q" | grep -qx "holds-transfer-key: $TNEW" || fail "request BUNDLE: $(meta "$Q")"
expect 0 pc import "$Q"
expect 0 pc audit log
out_has "station.transfer-key"
expect 0 pc station list
out_has "$SOLD  segment line3" "holds transfer key $TNEW"
U=$(media); expect 0 pc export line3 "$U"; R=$(one "$U")
minisign -Vq -p "$CAHOME/public/transfer.pub" -m "$R" || fail "the response after the confirmation does not verify with the new key"
if meta "$R" | grep -q '^transfer-key:'; then fail "still announces"; fi
transfer_switched() {
  [ "$(tail -1 "$1/ca-transfer.pub")" = "$(tail -1 "$CAHOME/public/transfer.pub")" ] || return 1
  ! grep -q '^transfer-key-next:' "$1/station.conf" || return 1
  grep -q "^transfer-key-replaced: $(tail -1 "$WORK/transfer-old.pub")\$" "$1/station.conf" || return 1
  if "$STATION" accept "$1" "$OLDRESP" --out "$WORK/sw.pki" >/dev/null 2>"$WORK/e2" </dev/null; then return 1; fi
  grep -q "signed by CA transfer key $TOLD, which this station replaced by $TNEW" "$WORK/e2"
}
sweep_accept "the transfer key switch" "$R" transfer_switched
expect 0 st accept "$ST" "$R" --out "$PKI"
out_has "CA transfer key is now $TNEW; bundles signed by $TOLD are refused from now on"
[ "$(tail -1 "$ST/ca-transfer.pub")" = "$(tail -1 "$CAHOME/public/transfer.pub")" ] || fail "ca-transfer.pub is not the new key"
grep -q '^transfer-key-next:' "$ST/station.conf" && fail "transfer-key-next left in station.conf"
grep -q "^transfer-key-replaced: $(tail -1 "$WORK/transfer-old.pub")\$" "$ST/station.conf" || fail "no transfer-key-replaced"
ok "the station's request says it holds $TNEW; the next response is signed by $TNEW and the station switches to it"

# --- the old key is refused after the switch, by name
sbefore=$(ssnap "$ST"); pbefore=$(snap "$PKI")
expect 1 st accept "$ST" "$OLDRESP" --out "$PKI"
err_has "$(basename "$OLDRESP"): signed by CA transfer key $TOLD, which this station replaced by $TNEW (plantca transfer roll): refused"
[ "$(ssnap "$ST")" = "$sbefore" ] && [ "$(snap "$PKI")" = "$pbefore" ] || fail "a refused bundle changed the station"
ok "a response signed by the old transfer key (kept from before the roll) is refused after the switch; nothing changed"

# --- meanwhile segment line4, whose station has not said so yet: the old key
for round in 1 2; do
  U=$(media); expect 0 pc export line4 "$U"; R=$(one "$U")
  minisign -Vq -p "$WORK/transfer-old.pub" -m "$R" || fail "line4's response $round is not signed by the old key"
  meta "$R" | grep -qx "transfer-key: $TNEW" || fail "line4's response $round does not announce $TNEW"
  expect 0 st accept "$ST4" "$R" --out "$WORK/pki4"
  out_has "CA transfer key $TNEW announced and kept"
done
ok "segment line4, whose station has not confirmed: its responses are still signed by $TOLD and announce $TNEW, while line3's are signed by $TNEW"

# --- a new transfer key that its predecessor did not endorse (mkresponse,
# a station that trusts a test key)
"$MKRESPONSE" genkey "$WORK/mk.sec" "$WORK/mk.pub" --raw
"$MKRESPONSE" genkey "$WORK/k2.sec" "$WORK/k2.pub" --raw
minisign -G -W -p "$WORK/k3.pub" -s "$WORK/k3.key" >/dev/null
K2=$(keyid "$WORK/k2.pub")
minisign -S -s "$WORK/k3.key" -m "$WORK/k2.pub" -x "$WORK/k2.pub.minisig" \
  -t "plantca-key-roll role=transfer old=$(keyid "$WORK/mk.pub") new=$K2" >/dev/null
expect 0 st init "$WORK/st2" --segment line3 --ca-key "$WORK/mk.pub" --trust "$CAHOME/public/root.pem" \
  --passphrase-file "$WORK/pass" --kdf-memory 16
U=$(media)
"$MKRESPONSE" build --key "$WORK/mk.sec" --pub "$WORK/mk.pub" --segment line3 --sequence 1 -o "$U" \
  --transfer-key "$K2" transfer-key.pub="$WORK/k2.pub" transfer-key.pub.minisig="$WORK/k2.pub.minisig" \
  chain.pem="$WORK/line3.pem"
sbefore=$(ssnap "$WORK/st2")
expect 1 st accept "$WORK/st2" "$(one "$U")" --out "$WORK/pki2"
err_has "line3-response-000001.tar: key $K2 is not endorsed by key $(keyid "$WORK/mk.pub"), which it is to replace: " \
  "transfer-key.pub.minisig: signed by unknown key $(keyid "$WORK/k3.pub")"
[ "$(ssnap "$WORK/st2")" = "$sbefore" ] && [ ! -e "$WORK/pki2" ] || fail "a refused announcement changed the station"
ok "an announced transfer key not endorsed by the station's key is refused, nothing written"

# --- station rekey: first killed at every fault point, in a copy; run
# again, it sends a new key and the old one still signs
if [ "${FAULT_POINTS:-false}" = true ]; then
  rm -rf "$WORK/rk.st"; cp -a "$ST" "$WORK/rk.st"; : >"$WORK/points"
  U=$(media); PLANTCA_FAULT_LOG=$WORK/points expect 0 st rekey "$WORK/rk.st" --passphrase-file "$WORK/pass" -o "$U"
  sort "$WORK/points" | uniq -c | awk '{print $2, $1}' >"$WORK/points.n"
  runs=0
  while read -r point count; do
    for ((i = 1; i <= count; i++)); do
      rm -rf "$WORK/rk.st"; cp -a "$ST" "$WORK/rk.st"
      U=$(media); rc=0
      PLANTCA_FAULT=$point:$i:kill "$STATION" rekey "$WORK/rk.st" --passphrase-file "$WORK/pass" -o "$U" \
        >/dev/null 2>&1 </dev/null || rc=$?
      [ "$rc" -ne 0 ] || fail "rekey $point:$i: not killed"
      U=$(media)
      expect 0 st rekey "$WORK/rk.st" --passphrase-file "$WORK/pass" -o "$U"
      nk=$(keyid "$WORK/rk.st/station.next.pub")
      grep -qx "station-key-next: $nk" "$WORK/rk.st/station.conf" || fail "rekey $point:$i: station.conf"
      meta "$(one "$U")" | grep -qx "rekey: $nk" || fail "rekey $point:$i: the bundle does not carry $nk"
      [ "$(keyid "$WORK/rk.st/station.pub")" = "$SOLD" ] || fail "rekey $point:$i: station.pub changed"
      minisign -Vq -p "$ST/station.pub" -m "$(one "$U")" || fail "rekey $point:$i: not signed by the old key"
      runs=$((runs + 1))
    done
  done <"$WORK/points.n"
  ok "rekey killed at every fault point ($runs runs): run again, it sends a new key, signed by the old one, which stays"
else
  skip_part "built without -Dfault_points=true: rekey killed at every fault point"
fi
U=$(media); expect 0 st rekey "$ST" --passphrase-file "$WORK/pass" -o "$U"; RK1=$(one "$U")
SNEW=$(keyid "$ST/station.next.pub")
out_has "new station key $SNEW" "$SOLD stays in use until the CA confirms it" "new station key $SNEW, endorsed by $SOLD"
[ "$(mode "$ST/station.next.key")" = 600 ] || fail "station.next.key mode $(mode "$ST/station.next.key")"
[ "$(keyid "$ST/station.pub")" = "$SOLD" ] || fail "station.pub changed before the CA confirmed"
grep -qx "station-key-next: $SNEW" "$ST/station.conf" || fail "station.conf: $(cat "$ST/station.conf")"
meta "$RK1" | grep -qx "rekey: $SNEW" || fail "rekey BUNDLE: $(meta "$RK1")"
minisign -Vq -p "$ST/station.pub" -m "$RK1" || fail "the rekey bundle does not verify with the old station key"
mkdir "$WORK/x2" && tar -xf "$RK1" -C "$WORK/x2"
minisign -V -p "$ST/station.pub" -m "$WORK/x2/station-key.pub" -x "$WORK/x2/station-key.pub.minisig" \
  | grep -q "plantca-key-roll role=station old=$SOLD new=$SNEW" || fail "station endorsement"
ok "rekey: new key $SNEW kept beside $SOLD; the bundle is signed by the old key and endorses the new one (minisign)"

# bad inputs at the CA: a rekey bundle whose signature is broken, and one
# whose new key the station key did not endorse
before=$(store_dump)
mkdir "$WORK/bad1" && cp "$RK1" "$RK1.minisig" "$WORK/bad1/"
B1=$WORK/bad1/$(basename "$RK1")
python3 - "$B1.minisig" <<'PY'
import base64, sys
p = sys.argv[1]; l = open(p).read().split("\n")
raw = bytearray(base64.b64decode(l[1])); raw[20] ^= 1
l[1] = base64.b64encode(bytes(raw)).decode(); open(p, "w").write("\n".join(l))
PY
expect 1 pc import "$B1"
err_has "$B1: bad signature (data altered or signed by another key)"
minisign -G -W -p "$WORK/k4.pub" -s "$WORK/k4.key" >/dev/null
K4=$(keyid "$WORK/k4.pub")
minisign -S -s "$WORK/k4.key" -m "$WORK/k4.pub" -x "$WORK/k4.pub.minisig" \
  -t "plantca-key-roll role=station old=$SOLD new=$K4" >/dev/null
U=$(media)
"$MKRESPONSE" build --kind request --key "$ST/station.key" --pub "$ST/station.pub" --passphrase-file "$WORK/pass" \
  --segment line3 --sequence 90 -o "$U" --rekey "$K4" station-key.pub="$WORK/k4.pub" \
  station-key.pub.minisig="$WORK/k4.pub.minisig"
expect 1 pc import "$(one "$U")"
err_has "line3-request-000090.tar: key $K4 is not endorsed by key $SOLD, which it is to replace: " \
  "station-key.pub.minisig: signed by unknown key $K4"
[ "$(store_dump)" = "$before" ] || fail "a refused rekey changed the store"
ok "a rekey bundle with a broken signature, and one whose new key is not endorsed, are refused; store unchanged"

# the rekey bundle is lost on the way: the next request carries the new key again
cp -a "$ST" "$WORK/st-old"
U=$(media); expect 0 st request "$ST" --passphrase-file "$WORK/pass" --profile tls-server "$(csr)" -o "$U"
RK2=$(one "$U")
meta "$RK2" | grep -qx "rekey: $SNEW" || fail "the next request does not carry the rekey again"
expect 0 pc import "$RK2"
expect 0 pc --json station list
python3 - "$OUT" "$SNEW" "$TNEW" <<'PY' || fail "station list: $OUT"
import json, sys
d = [s for s in json.loads(sys.argv[1]) if s["segment"] == "line3"]
assert [s["key_id"] for s in d] == [sys.argv[2]], d
assert d[0]["transfer_key"] == sys.argv[3] and d[0]["key_unconfirmed"] is True, d
PY
expect 0 pc audit log
out_has "station.rekey"
# the first rekey bundle, signed by the old key, now refused by name
before=$(store_dump)
expect 1 pc import "$RK1"
err_has "signed by station key $SOLD, which was replaced by $SNEW (plantca-station rekey, imported "
[ "$(store_dump)" = "$before" ] || fail "changed the store"
ok "rekey bundle lost: the next request (old key) carries the new key again, the CA records $SNEW; the old key is refused after"

# the CA's response confirms; the station switches; the new key is accepted
expect 0 pc sign
U=$(media); expect 0 pc export line3 "$U"; R=$(one "$U")
meta "$R" | grep -qx "station-keys: $SNEW" || fail "response BUNDLE: $(meta "$R")"
minisign -Vq -p "$CAHOME/public/transfer.pub" -m "$R" || fail "response does not verify with the new transfer key"
station_switched() {
  [ "$(keyid "$1/station.pub")" = "$SNEW" ] && [ ! -e "$1/station.next.key" ] && [ ! -e "$1/station.next.pub" ] || return 1
  # the settled directory signs with the new key
  local u; u=$(media)
  "$STATION" request "$1" --passphrase-file "$WORK/pass" --profile tls-server "$WORK/dev/dev1.csr" -o "$u" \
    >/dev/null 2>&1 </dev/null || return 1
  ! grep -q '^station-key-next:' "$1/station.conf" && minisign -Vq -p "$1/station.pub" -m "$(one "$u")"
}
sweep_accept "the station key switch" "$R" station_switched
expect 0 st accept "$ST" "$R" --out "$PKI"
out_has "station key change confirmed by the CA"
[ "$(keyid "$ST/station.pub")" = "$SNEW" ] || fail "station.pub is not the new key"
[ ! -e "$ST/station.next.key" ] && [ ! -e "$ST/station.next.pub" ] || fail "station.next.* left"
grep -q '^station-key-next:' "$ST/station.conf" && fail "station-key-next left in station.conf"
U=$(media); expect 0 st request "$ST" --passphrase-file "$WORK/pass" --profile tls-server "$(csr)" -o "$U"
Q=$(one "$U")
minisign -Vq -p "$ST/station.pub" -m "$Q" || fail "request does not verify with the new station key"
if minisign -Vq -p "$WORK/st-old/station.pub" -m "$Q" 2>/dev/null; then fail "verifies with the old station key"; fi
expect 0 pc import "$Q"
out_has "from station $SNEW"
expect 0 pc --json station list
python3 -c 'import json,sys; d=[s for s in json.loads(sys.argv[1]) if s["segment"] == "line3"]; assert d[0]["key_unconfirmed"] is False, d' "$OUT" \
  || fail "station list after the confirmation: $OUT"
expect 0 pc audit log
out_has "station.rekey.confirmed"
U=$(media); expect 0 pc export line3 "$U"
if meta "$(one "$U")" | grep -q '^station-keys:'; then fail "station-keys still sent after the confirmation"; fi
ok "the response confirms $SNEW, the station switches; its next request (new key) is imported"

# a request signed by the old station key (a copy of the station from before)
U=$(media); expect 0 st request "$WORK/st-old" --passphrase-file "$WORK/pass" --profile tls-server "$(csr)" -o "$U"
before=$(store_dump)
expect 1 pc import "$(one "$U")"
err_has "signed by station key $SOLD, which was replaced by $SNEW (plantca-station rekey, imported "
[ "$(store_dump)" = "$before" ] || fail "changed the store"
ok "a request signed by the old station key is refused by name"

# --- the next roll: refused until line4's station says it holds the key,
# then generation 3, announced with the signature of generation 2
before=$(store_dump)
expect 1 pc transfer roll
err_has "segment line4) holds CA transfer key $TOLD, not yet the current one $TNEW"
[ "$(store_dump)" = "$before" ] || fail "a refused roll changed the store"
U=$(media); expect 0 st request "$ST4" --passphrase-file "$WORK/pass" -o "$U"
expect 0 pc import "$(one "$U")"
expect 0 pc transfer roll
out_has "(generation 3" "replaces $TNEW"
T3=$(keyid "$CAHOME/public/transfer.pub")
U=$(media); expect 0 pc export line3 "$U"; R=$(one "$U")
minisign -Vq -p "$CAHOME/public/transfer-$TNEW.pub" -m "$R" || fail "not signed by generation 2"
expect 0 st accept "$ST" "$R" --out "$PKI"
out_has "CA transfer key $T3 announced and kept"
expect 0 pc audit verify
ok "a second roll once every station holds the current key: $T3 announced under $TNEW's signature; audit verify passes"

# the first key, pushed out of "previous" by the second roll, is still
# named by the store (retired), never shown as unused debris
pc --json keys >"$WORK/k.json" || fail "keys --json failed"
read -r RET NUNUSED < <(python3 - "$WORK/k.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
t = {r['state']: (k['label'], r) for k in j['keys'] for r in k['roles'] if r['kind'] == 'transfer'}
assert sorted(t) == ['current', 'previous', 'retired'], t
assert [r['generation'] for _, r in (t['retired'], t['previous'], t['current'])] == [1, 2, 3], t
print(t['retired'][0], j['unused'])
PY
) || fail "keys --json: transfer generations: $(cat "$WORK/k.json")"
[ "$NUNUSED" = 0 ] || fail "keys: $NUNUSED unused key(s) after two rolls"
expect 0 pc keys
out_has "transfer key generation 1 (retired: signs nothing; plantca keys remove LABEL may destroy it)" \
  "transfer key generation 2 (previous)" "transfer key generation 3 (current)" ", 0 unused"
PREV=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print([k["label"] for k in j["keys"] for r in k["roles"] if r["kind"] == "transfer" and r["state"] == "previous"][0])' "$WORK/k.json")
before=$(store_dump)
expect 1 pc keys remove "$PREV"
err_has "key $PREV is transfer key generation 2 (previous) (the store uses it): not removed"
[ "$(store_dump)" = "$before" ] || fail "a refused remove changed the store"
expect 0 pc keys remove "$RET"
out_has "removed key $RET"
expect 0 pc audit verify
pc --json audit log >"$WORK/audit.json" || fail "audit log"
python3 - "$RET" "$WORK/audit.json" <<'PY' || fail "no key.remove event naming the retired key $RET"
import json, sys
ev = [e for e in json.load(open(sys.argv[2])) if e['action'] == 'key.remove']
assert len(ev) == 1 and ev[0]['object'] == sys.argv[1], ev
assert ev[0]['detail'].startswith('transfer key generation 1 (retired'), ev[0]['detail']
PY
# p11tool (GnuTLS) as the witness: the previous key is there, the retired one gone
objs=$(p11tool --provider "$SOFTHSM_MODULE" --login --set-pin="$(cat "$PIN")" --list-all \
  "pkcs11:token=$TOKEN_LABEL" 2>/dev/null) || fail "p11tool --list-all failed"
[[ "$objs" == *"object=$PREV;"* ]] || fail "p11tool does not list the previous key $PREV"
[[ "$objs" != *"object=$RET;"* ]] || fail "p11tool still lists the removed key $RET"
expect 0 pc keys
out_has "transfer key generation 2 (previous)" "transfer key generation 3 (current)" ", 0 unused"
[[ "$OUT" != *"generation 1 (retired"* ]] || fail "keys still lists the removed generation 1"
U=$(media); expect 0 pc export line3 "$U"
expect 0 st accept "$ST" "$(one "$U")" --out "$PKI"
ok "after two rolls: keys names generations 1 (retired), 2 (previous), 3 (current), none unused; the previous key is kept, the retired one removed, and the segment still accepts the next response"
done_testing
