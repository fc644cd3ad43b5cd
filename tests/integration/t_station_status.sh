#!/usr/bin/env bash
# plantca-station status: the fingerprints plantca init printed, the
# sequences, each CRL's nextUpdate and each certificate's notAfter, and what
# to tell the CA officer, on a station fed by a real CA.  Later days come
# from faketime; nothing about time is asserted but the dates themselves.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need faketime "the officer's notes are tested by moving the clock (scripts/setup installs it)"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3

# before any response: the trust, and "nothing accepted yet"
snap_before=$(snap "$WORK/st")
expect 0 "$STATION" status "$WORK/st" --json
echo "$OUT" >"$WORK/s0.json"
python3 - "$WORK/s0.json" "$(openssl x509 -in "$CAHOME/public/root.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr A-F a-f)" \
  "$(head -1 "$WORK/st/station.pub" | awk '{print $NF}')" \
  "$(head -1 "$CAHOME/public/transfer.pub" | awk '{print $NF}')" <<'PY' || fail "status before any response: $OUT"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["root_sha256"] == sys.argv[2], (d["root_sha256"], sys.argv[2])
assert d["station_key_id"] == sys.argv[3] and d["ca_transfer_key_id"] == sys.argv[4], d
assert d["segment"] == "line3" and d["next_request_sequence"] == 1 and d["last_response_sequence"] == 0
assert [i["kind"] for i in d["items"]] == ["root"], d["items"]
assert any("no response bundle accepted yet" in t for t in d["tell_officer"]), d["tell_officer"]
PY
[ "$(snap "$WORK/st")" = "$snap_before" ] || fail "status changed the station directory"
ok "before any response: root SHA-256 = openssl's, key ids = the .pub files', 'no response yet'; nothing written"

# one trip: a device certificate, CRLs, accepted into PKI
mkdir "$WORK/dev" "$WORK/usb"
mkcsr p256 pump-12 "$WORK/dev/pump-12.csr" "DNS:pump-12.line3.plant.local"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" \
  --profile tls-client "$WORK/dev/pump-12.csr" -o "$WORK/usb"
expect 0 pc import "$WORK/usb/line3-request-000001.tar"
expect 0 pc sign
expect 0 pc crl
expect 0 pc export line3 "$WORK/usb"
resp=$(ls "$WORK"/usb/line3-response-*.tar)
expect 0 "$STATION" accept "$WORK/st" "$resp" --out "$WORK/pki"
serial=$(serial_of "$WORK"/pki/certs/*.pem)
crl_next=$(openssl crl -in "$WORK/pki/crl/line3.crl" -noout -nextupdate | cut -d= -f2)

expect 0 "$STATION" status "$WORK/st" --pki "$WORK/pki" --json
echo "$OUT" >"$WORK/s1.json"
python3 - "$WORK/s1.json" "$serial" "$(basename "$resp" .tar)" \
  "$(date -u -d "$crl_next" +%Y-%m-%dT%H:%M:%SZ)" <<'PY' || fail "status after the response: $OUT"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["last_response_sequence"] == 1 and d["last_response_bundle"] == sys.argv[3], d
assert d["next_request_sequence"] == 2, d
kinds = sorted(i["kind"] for i in d["items"])
assert kinds == ["ca", "crl", "crl", "device", "root"], kinds
dev = [i for i in d["items"] if i["kind"] == "device"][0]
assert dev["serial"] == sys.argv[2] and dev["name"] == "pump-12" and dev["days_left"] in (729, 730), dev
crl = [i for i in d["items"] if i["kind"] == "crl" and i["name"] == "Line 3 Issuing CA"]
assert len(crl) == 1 and crl[0]["until"] == sys.argv[4] and crl[0]["days_left"] in (6, 7), crl
assert d["tell_officer"] == [], d["tell_officer"]
PY
expect 0 "$STATION" status "$WORK/st"
out_has "root SHA-256:" "last response:         1 (" "Nothing to tell the CA officer."
ok "after one response: last sequence 1, the CA, both CRLs (nextUpdate = openssl's), pump-12 (serial = openssl's), nothing to tell"

# five days on: the issuing CA's CRL is within 3 days of its nextUpdate
expect 0 ft -f '+5d' "$STATION" status "$WORK/st" --pki "$WORK/pki"
out_has "Tell the CA officer:" "CRL of Line 3 Issuing CA" "plantca export"
# 1 or 2 whole days left, depending on where in the second faketime's
# offset lands against the CRL's nextUpdate: within the 3-day margin either way
[[ "$OUT" == *"expires in 1 day:"* || "$OUT" == *"expires in 2 days:"* ]] ||
  fail "the CRL note does not say 1 or 2 days: $OUT"
# ten days on: expired
expect 0 ft -f '+10d' "$STATION" status "$WORK/st"
out_has "CRL of Line 3 Issuing CA (" "expired (nextUpdate passed)"
# two years on: the device certificate needs renewal, then is expired
expect 0 ft -f '+710d' "$STATION" status "$WORK/st" --pki "$WORK/pki" --json
python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
t = [x for x in d["tell_officer"] if "device certificate pump-12" in x]
assert len(t) == 1 and "renewal request" in t[0], d["tell_officer"]' <<<"$OUT" || fail "+710d: $OUT"
expect 0 ft -f '+740d' "$STATION" status "$WORK/st" --pki "$WORK/pki"
out_has "device certificate pump-12" "expired at"
ok "+5d: CRL expiring soon; +10d: CRL expired; +710d: renew pump-12; +740d: pump-12 expired"

# refusals name the file
expect 1 "$STATION" status "$WORK/nostation"
err_has "$WORK/nostation"
cp -a "$WORK/st" "$WORK/st-bad"
echo garbage >"$WORK/st-bad/crls.pem"
expect 1 "$STATION" status "$WORK/st-bad"
err_has "$WORK/st-bad/crls.pem"
expect 2 "$STATION" status "$WORK/st" --out "$WORK/x"
err_has "does not apply"
ok "a missing station, a damaged crls.pem and a stray option are refused, naming what"
done_testing
