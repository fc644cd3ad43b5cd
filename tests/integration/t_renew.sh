#!/usr/bin/env bash
# plantca renew (issue 12 item 1): near the end of their validity the
# segment's certificates get renewal requests for the same key and
# identity, where the profile says renewal = same-key; they are judged,
# approved and signed like any request, recorded as superseding the old
# certificate (certs, show), delivered by the next export, and the renewed
# certificate verifies (openssl verify -x509_strict -crl_check_all, with
# the station's delivered files) with the device's unchanged key after the
# old one expired.  Time moves with faketime, one command at a time.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need faketime "renewal is tested by moving the clock (scripts/setup installs it)"
# Under the sanitizer build, LeakSanitizer's exit-time scan under
# libfaketime aborts now and then ("The futex facility returned an
# unexpected error code"): runs under faketime leave leak checking out
# (the runs at the real clock at the end keep it)
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 faketime "$@"; }

T0='2027-01-10 09:00:00'
at() { local t=$1; shift; ft "$t" "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
# the station runs ten minutes after the CA command given the same time
# (faketime starts each command at the time given; the CA's last CRL must
# not be in the station's future)
sat() { local t; t=$(date -u -d "$1 UTC + 10 minutes" '+%Y-%m-%d %H:%M:%S'); shift; ft "$t" "$STATION" "$@"; }
d() { date -u -d "$T0 UTC + $1 days" '+%Y-%m-%d %H:%M:%S'; }

expect 0 at "$T0" init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
  --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA"
expect 0 at "$T0" ca new line3 --subject "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" \
  --permit dns:line3.plant.local
# this plant: tls-server keys are replaced, never renewed; mqtt-client not at all
sed -e '/^\[profile tls-server\]/,/^approval/ s/^approval = auto$/approval = auto\nrenewal = rekey-only/' \
    -e '/^\[profile mqtt-client\]/,/^approval/ s/^approval = auto$/approval = auto\nrenewal = none/' \
    "$SRCDIR/policy/default.policy" >"$WORK/p.policy"
grep -q 'renewal = rekey-only' "$WORK/p.policy" && grep -q 'renewal = none' "$WORK/p.policy" || fail "policy edit"
expect 0 at "$T0" policy set "$WORK/p.policy"
expect 0 at "$T0" policy show
out_has "renewal        rekey-only" "renewal        none" "renewal        same-key"
printf 'pw\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
expect 0 sat "$T0" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 at "$T0" station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb1" "$WORK/usb2" "$WORK/usb3"
mkcsr p256 plc-1 "$WORK/dev/plc-1.csr" "DNS:plc-1.line3.plant.local"
mkcsr ed25519 hmi-2 "$WORK/dev/hmi-2.csr" "DNS:hmi-2.line3.plant.local"
mkcsr p256 plc-3 "$WORK/dev/plc-3.csr" "DNS:plc-3.line3.plant.local"
mkcsr p256 broker "$WORK/dev/broker.csr" "DNS:broker.line3.plant.local"
mkcsr p256 sensor "$WORK/dev/sensor.csr"
expect 0 sat "$T0" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev/plc-1.csr" "$WORK/dev/hmi-2.csr" "$WORK/dev/plc-3.csr" --profile tls-server \
  "$WORK/dev/broker.csr" --profile mqtt-client "$WORK/dev/sensor.csr" -o "$WORK/usb1"
expect 0 at "$T0" import "$WORK"/usb1/line3-request-000001.tar
out_has "0 pending, 5 approved by policy, 0 rejected"
expect 0 at "$T0" sign
expect 0 at "$T0" --json certs
sn() { python3 -c 'import json,sys; print([c["serial"] for c in json.load(sys.stdin) if ("CN="+sys.argv[1]+",") in c["subject"]][0])' "$1" <<<"$OUT"; }
S1=$(sn plc-1); S2=$(sn hmi-2); S3=$(sn plc-3); SB=$(sn broker); SM=$(sn sensor)
expect 0 at "$T0" crl
mkdir "$WORK/usb0"
expect 0 at "$T0" export line3 "$WORK/usb0"
expect 0 sat "$T0" accept "$WORK/st" "$WORK"/usb0/*.tar --out "$WORK/pki" --layout flat
expect 0 at "$T0" revoke "$S3" --reason keyCompromise
ok "year 0: five certificates for 730 days (plc-3 revoked)"

# nothing is due a year later
expect 0 at "$(d 365)" renew
out_has "0 renewal request(s) queued"
ok "a year on: renew queues nothing (none expires within 30 days)"

# 710 days on: plc-1, hmi-2 renewed; plc-3 revoked; broker rekey-only; sensor none
store_before=$(store_dump)
expect 1 at "$(d 710)" renew --serial "$S1" --serial "$S3"
err_has "serial $S3: not renewed: revoked; nothing was queued"
[ "$(store_dump)" = "$store_before" ] || fail "a refused renew --serial changed the store"
expect 1 at "$(d 710)" renew --serial "$SB"
err_has "renewal = rekey-only: the device must send a new key"
expect 2 at "$(d 710)" renew --serial "$S1" --expiring 30
err_has "give one or the other"
expect 1 at "$(d 710)" renew --serial 1111111111111111111111111111111111111111
err_has "no such certificate"
[ "$(store_dump)" = "$store_before" ] || fail "a refused renew changed the store"
ok "renew --serial is all or nothing: revoked, rekey-only, unknown refused, the store unchanged"

expect 0 at "$(d 710)" --json renew --expiring 30
python3 - "$OUT" "$S1" "$S2" "$S3" "$SB" "$SM" <<'PY' || fail "renew --json: $OUT"
import json, sys
d = {r["serial"]: r for r in json.loads(sys.argv[1])}
s1, s2, s3, sb, sm = sys.argv[2:]
assert d[s1]["status"] == "approved" and d[s2]["status"] == "approved", d
assert s3 not in d, d                      # revoked: not even a candidate
assert "rekey-only" in d[sb]["skipped"], d[sb]
assert "renewal = none" in d[sm]["skipped"], d[sm]
PY
expect 0 at "$(d 711)" renew
out_has "$S1" "a renewal request for it is waiting" "0 renewal request(s) queued"
ok "710 days on: plc-1 and hmi-2 queued (approval = auto), broker (rekey-only) and sensor (none) skipped with why; a second renew queues nothing"

expect 0 at "$(d 712)" --json requests
python3 - "$OUT" <<'PY' || fail "requests: $OUT"
import json, sys
r = [x for x in json.loads(sys.argv[1]) if x["member"].startswith("renew-")]
assert len(r) == 2 and all(x["status"] == "approved" and x["bundle"] == "renew" for x in r), r
PY
expect 0 at "$(d 712)" sign
expect 0 at "$(d 712)" --json certs
python3 - "$OUT" "$S1" "$S2" >"$WORK/new" <<'PY' || fail "certs after sign: $OUT"
import json, sys
c = {x["serial"]: x for x in json.loads(sys.argv[1])}
for old in sys.argv[2:]:
    new = c[old]["superseded_by"]
    assert c[new]["subject"] == c[old]["subject"] and c[new]["san"] == c[old]["san"], (c[old], c[new])
    assert c[new]["status"] == "valid" and c[new]["not_after"] > c[old]["not_after"]
    print(new)
PY
N1=$(sed -n 1p "$WORK/new"); N2=$(sed -n 2p "$WORK/new")
expect 0 at "$(d 712)" certs
grep "^$S1 " <<<"$OUT" | grep -q "\[superseded by $N1\]" || fail "certs does not show $S1 superseded: $OUT"
grep "^$N1 " <<<"$OUT" | grep -q "\[renews $S1\]" || fail "certs does not show $N1 renewing: $OUT"
expect 0 at "$(d 712)" --json certs
python3 -c 'import json,sys; c={x["serial"]: x for x in json.load(sys.stdin)}; assert c[sys.argv[1]]["renews"] == sys.argv[2], c[sys.argv[1]]' "$N1" "$S1" <<<"$OUT" \
  || fail "certs --json: no renews on $N1"
expect 0 at "$(d 712)" show "$S1"
out_has "superseded by $N1"
expect 0 at "$(d 712)" show "$N1"
out_has "renews:     $S1"
ok "sign: two renewed certificates, same subject and SAN, later notAfter; certs (text, --json) and show name the supersession both ways"

at "$(d 712)" show "$S1" --pem >"$WORK/old1.pem"
at "$(d 712)" show "$N1" --pem >"$WORK/new1.pem"
at "$(d 712)" show "$N2" --pem >"$WORK/new2.pem"
[ "$(openssl x509 -in "$WORK/old1.pem" -noout -pubkey)" = "$(openssl x509 -in "$WORK/new1.pem" -noout -pubkey)" ] \
  || fail "the renewal has another key"
[ "$(openssl x509 -in "$WORK/old1.pem" -noout -subject)" = "$(openssl x509 -in "$WORK/new1.pem" -noout -subject)" ] \
  || fail "the renewal has another subject"
openssl x509 -in "$WORK/new1.pem" -noout -ext extendedKeyUsage | grep -q 'TLS Web Client Authentication' \
  || fail "the renewal lost its profile's EKU"
ok "the renewed certificate has the device's key and subject (openssl x509)"

expect 0 at "$(d 712)" crl
expect 0 at "$(d 712)" export line3 "$WORK/usb2"
resp=$(ls "$WORK"/usb2/*.tar)
tar tf "$resp" >"$WORK/members"
grep -qx "$N1.crt" "$WORK/members" && grep -qx "$N2.crt" "$WORK/members" || fail "the export lacks the renewals: $(cat "$WORK/members")"
expect 0 sat "$(d 712)" accept "$WORK/st" "$resp" --out "$WORK/pki" --layout flat
ok "the next export delivers both renewals; the station accepts it"

# after the old certificate expired (a fresh CRL went out meanwhile, as
# every week): the renewal verifies with the station's files (chain,
# CRLs) and the device's own key; the old does not
expect 0 at "$(d 733)" crl
expect 0 at "$(d 733)" export line3 "$WORK/usb3"
expect 0 sat "$(d 733)" accept "$WORK/st" "$WORK"/usb3/*.tar --out "$WORK/pki" --layout flat
cat "$WORK"/pki/trust.pem "$WORK"/pki/crl/*.crl >"$WORK/ca-crl.pem"
grep -q 'BEGIN X509 CRL' "$WORK/ca-crl.pem" || fail "no CRLs in the station's files"
cmp -s "$WORK/pki/certs/$N1.pem" "$WORK/new1.pem" || fail "the station's certs/$N1.pem is not the renewal"
when=$(date -u -d "$(d 735) UTC" +%s)
openssl verify -x509_strict -crl_check_all -attime "$when" -CAfile "$WORK/ca-crl.pem" "$WORK/pki/certs/$N1.pem" >/dev/null \
  || fail "the renewal does not verify 735 days on"
if openssl verify -x509_strict -attime "$when" -CAfile "$WORK/ca-crl.pem" "$WORK/old1.pem" >/dev/null 2>&1; then
  fail "the old certificate still verifies after its notAfter"
fi
openssl x509 -in "$WORK/new1.pem" -noout -pubkey >"$WORK/pub.pem"
openssl pkey -in "$WORK/dev/plc-1.csr.key" -pubout >"$WORK/keypub.pem"
cmp -s "$WORK/pub.pem" "$WORK/keypub.pem" || fail "the renewal is not for the device's key"
ok "735 days on the renewal verifies (-x509_strict -crl_check_all, the station's trust and CRLs), the old one does not"

expect 0 at "$(d 800)" renew --serial "$N1"
out_has "-> request"
expect 1 at "$(d 800)" renew --serial "$S1"
err_has "expired"
expect 0 at "$(d 800)" audit verify
out_has "audit trail intact"
expect 0 at "$(d 800)" audit log
out_has "renew $S1 ok request" "renew $S2 ok request"
ok "a renewal renews again; the expired original is refused; audit verify passes, renew events recorded"
# the same verbs at the real clock (under the sanitizer build: with leak checking)
expect 0 "$PLANTCA" --home "$CAHOME" --json renew --expiring 36500
expect 0 "$PLANTCA" --home "$CAHOME" certs
expect 0 "$PLANTCA" --home "$CAHOME" show "$N1"
expect 0 "$PLANTCA" --home "$CAHOME" --json status
expect 0 "$PLANTCA" --home "$CAHOME" status
ok "renew, certs, show and status also run at the real clock"
done_testing
