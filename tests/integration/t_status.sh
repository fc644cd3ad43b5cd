#!/usr/bin/env bash
# plantca status: a segment is flagged when the CRL it was last given
# expires within the margin, and when it never got one.  Time moves with
# faketime; nothing about wall-clock speed is asserted.
. "$(dirname "$0")/lib.sh"
need faketime "the status margins are tested by moving the clock (scripts/setup installs it)"

make_ca
err_has "warning: CA line3 expires" "before the certificates it is meant to issue: profile ldevid gives 7300 days"
ok "ca new warns that ldevid certificates (7300 days) would outlive a 3650-day CA"
minisign -G -W -p "$WORK/st.pub" -s "$WORK/st.key" >/dev/null 2>&1 || fail "minisign -G"
expect 0 pc station add line3 "$WORK/st.pub" --ca line3
expect 0 pc --json status
python3 -c 'import json,sys; d=json.load(sys.stdin)["segments"]; assert d[0]["flag"]=="NEVER-EXPORTED" and d[0]["flagged"], d' <<<"$OUT" \
  || fail "never exported: $OUT"
ok "a segment never exported is flagged"

mkdir "$WORK/usb"
expect 0 pc export line3 "$WORK/usb"
err_has "has no CRL yet"
expect 0 pc --json status
python3 -c 'import json,sys; d=json.load(sys.stdin)["segments"]; assert d[0]["flag"]=="NO-CRL-DELIVERED", d' <<<"$OUT" \
  || fail "no CRL: $OUT"
ok "an export without CRLs warns and the segment stays flagged"

expect 0 pc crl
rm -f "$WORK"/usb/*
expect 0 pc export line3 "$WORK/usb"
tar tf "$WORK"/usb/*.tar >"$WORK/members"     # no pipe into grep -q: SIGPIPE under pipefail
grep -qx line3.crl "$WORK/members" || fail "export lacks line3.crl"
grep -qx root.crl "$WORK/members" || fail "export lacks root.crl"
expect 0 pc --json status
python3 -c 'import json,sys; d=json.load(sys.stdin)["segments"]; assert d[0]["flag"]=="" and d[0]["days_left"] in (6,7) and d[0]["sequence"]==2, d' <<<"$OUT" \
  || fail "fresh CRL: $OUT"
ok "after export with fresh CRLs: not flagged, 7 days left (device CA cadence)"

# the current CRL's DER lives in HOME/crl/current, pinned by its SHA-256 in
# the store: a changed file is refused, never exported
cur=$(ls "$CAHOME"/crl/current/line3.*.der)
[ "$(ls "$CAHOME"/crl/current | wc -l)" -eq 2 ] || fail "superseded CRL files are not removed: $(ls "$CAHOME"/crl/current)"
cp "$cur" "$WORK/cur.bak"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-10] ^= 1; open(sys.argv[1], "wb").write(d)' "$cur"
mkdir "$WORK/usb-bad"
expect 2 pc export line3 "$WORK/usb-bad"
err_has "does not match the SHA-256"
[ -z "$(ls "$WORK/usb-bad")" ] || fail "an export with a tampered CRL wrote files"
cp "$WORK/cur.bak" "$cur"
ok "a tampered current CRL file is refused at export (${ERR#plantca: })"

expect 0 ft -f '+5d' "$PLANTCA" --home "$CAHOME" --json status
python3 -c 'import json,sys; d=json.load(sys.stdin)["segments"]; assert d[0]["flag"]=="CRL-STALE-SOON" and d[0]["days_left"] in (1,2), d' <<<"$OUT" \
  || fail "5 days later: $OUT"
expect 0 ft -f '+5d' "$PLANTCA" --home "$CAHOME" --json status --margin 1
python3 -c 'import json,sys; d=json.load(sys.stdin)["segments"]; assert d[0]["flag"]=="", d' <<<"$OUT" \
  || fail "margin 1: $OUT"
expect 0 ft -f '+8d' "$PLANTCA" --home "$CAHOME" status
out_has "CRL-EXPIRED"
ok "5 days later the segment is flagged (not with --margin 1); 8 days later its CRL is expired"
# the coming expiry events, soonest first, each with what to do
expect 0 pc ca new short --subject "/C=DE/O=Acme Plant/CN=Short CA" --days 7400
err_has "warning: CA short expires" "with the root" "not the 7400 asked for"
mkcsr p256 dev1 "$WORK/dev1.csr" "DNS:dev1.line3.plant.local"
mkcsr p256 dev2 "$WORK/dev2.csr" "DNS:dev2.line3.plant.local"
expect 0 pc issue "$WORK/dev1.csr" --ca line3 --profile tls-client --days 100 -o "$WORK/d1.pem"
expect 0 pc issue "$WORK/dev2.csr" --ca line3 --profile tls-client --days 105 -o "$WORK/d2.pem"
expect 0 pc --json status
python3 - "$OUT" <<'PY' || fail "status events: $OUT"
import json, sys
d = json.loads(sys.argv[1])
ev = d["events"]
kinds = [e["kind"] for e in ev]
for k in ("root", "ca", "ca-window", "ca-short", "crl", "segment-crl", "certificates"):
    assert k in kinds, (k, kinds)
dates = [e["date"] for e in ev]
assert dates == sorted(dates), dates
root = [e for e in ev if e["kind"] == "root"][0]
assert "rollover" in root["action"] and root["days"] in (7299, 7300), root
cas = {e["object"]: e for e in ev if e["kind"] == "ca"}
assert set(cas) == {"line3", "short"} and "replace CA line3" in cas["line3"]["action"], cas
win = [e for e in ev if e["kind"] == "ca-window" and e["object"] == "line3"][0]
assert "opcua-app" in win["what"] and win["days"] in (3649 - 1825, 3650 - 1825), win
certs = [e for e in ev if e["kind"] == "certificates"]
assert sum(int(e["what"].split()[0]) for e in certs) == 2, certs
assert all("plantca renew --expiring" in e["action"] for e in certs), certs
PY
expect 0 pc status
out_has "EVENT" "ca-window" "-> plantca renew --expiring"
ok "status lists root, CAs, issuing windows, CRLs, the segment's CRLs and certificates by month, soonest first, with what to do (text and --json)"
done_testing
