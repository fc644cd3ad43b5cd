#!/usr/bin/env bash
# The store's indexes (issue 14 item 4): certs --segment/--expiring/
# --revoked, requests --status, status's expiring column and its
# certificate events, sign and export read indexes and counts instead of
# every record.  Proved here:
#   1. a schema 2 store made by the previous release (tests/fixtures/
#      store-v2.tar.gz, tests/fixtures/mkstore-v2.sh) migrates to schema 3
#      and this release says what that one said, at two times;
#   2. on a live store, every indexed answer equals the same question put
#      to the full listing (certs --json, requests --json), after issue,
#      revoke, renew (supersede), export, and with the clock moved past
#      notAfter (expiry); audit verify checks every index entry each time;
#   3. the indexes kept record by record equal the ones the migration
#      builds from scratch, and a stale entry is found by audit verify.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}" "${STORE_DOWNGRADE:?}"
need faketime "the answers are compared at fixed times and past notAfter"
need mdb_dump "index databases are compared (lmdb-utils)"
need mdb_load "a stale index entry is written (lmdb-utils)"

# normalize KIND: a JSON answer in a form both releases share (listings
# sorted by serial or id; --expiring lists soonest first now, by serial
# before; the segments of a month's event are named in key order now; a
# ca-short event is dated when the command runs; what to do about a CA,
# the advice of an event that is not the certificates', changes between
# releases (plantca ca roll came after the fixture))
norm() {
  python3 -c '
import json, re, sys
d = json.loads(sys.stdin.read())
def segs(m):
    parts = sorted(m.group(1).split(", "))
    return "(" + ", ".join(parts) + ")"
if isinstance(d, list):
    d.sort(key=lambda x: x.get("serial") or str(x.get("id")))
else:
    for ev in d.get("events", []):
        if ev["kind"] == "certificates":
            ev["what"] = re.sub(r"\(([^()]*)\)$", segs, ev["what"])
        if ev["kind"] == "ca-short":     # dated "now": the second the command ran
            del ev["date"], ev["days"]
        if ev["kind"] != "certificates":  # advice about CAs changes with releases
            ev.pop("action", None)
print(json.dumps(d, sort_keys=True))'
}

# --- 1. the previous release's store, migrated
tar -C "$WORK" -xzf "$SRCDIR/tests/fixtures/store-v2.tar.gz"
OLD=$WORK/ca-v2
mv "$WORK/ca" "$OLD"
chmod 700 "$OLD" "$OLD/db"
T0='2026-06-01 10:00:00'
expect 2 ft "$T0" "$PLANTCA" --home "$OLD" certs
err_has "store schema 2 is older than this plantca (3): run plantca migrate"
expect 0 ft "$T0" "$PLANTCA" --home "$OLD" migrate
err_has "store upgraded from schema 2 to 3" "8 request(s), 5 not yet exported" \
  "expiry counts of 6 of 9 certificate(s)"
n=0
while IFS=$'\t' read -r when verb want; do
  # shellcheck disable=SC2086
  got=$(ft "$when" "$PLANTCA" --home "$OLD" --json $verb) || fail "$verb at $when: exit $?"
  [ "$(norm <<<"$got")" = "$(norm <<<"$want")" ] ||
    fail "$verb at $when differs from the schema 2 release:
old: $(norm <<<"$want")
new: $(norm <<<"$got")"
  n=$((n + 1))
done <"$SRCDIR/tests/fixtures/store-v2.expect"
[ "$n" -eq 14 ] || fail "the fixture's answers: $n lines"
expect 0 ft "$T0" "$PLANTCA" --home "$OLD" audit verify
out_has "store consistent: 9 certificates, 8 requests"
ok "a schema 2 store of the previous release migrates; certs (all, --segment, --expiring, --revoked), status and requests say what that release said, now and 714 days on; audit verify checks the new indexes"

# --- 2. a live store: the index answers against the full listings
make_ca >/dev/null 2>&1
printf 'index test passphrase\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
for s in line3 line4; do
  expect 0 st init "$WORK/st-$s" --segment $s --ca-key "$CAHOME/public/transfer.pub" \
    --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass" --kdf-memory 16 --kdf-ops 524288
  expect 0 pc station add $s "$WORK/st-$s/station.pub" --ca line3
  mkdir -p "$WORK/dev-$s" "$WORK/usb-$s" "$WORK/resp-$s"
  for d in 1 2 3 4; do
    mkcsr p256 dev-$d "$WORK/dev-$s/$d.csr" "DNS:dev-$d.line3.plant.local"
  done
  expect 0 st request "$WORK/st-$s" --passphrase-file "$WORK/pass" --profile tls-client \
    "$WORK/dev-$s"/*.csr -o "$WORK/usb-$s"
  expect 0 pc import "$WORK/usb-$s"/*.tar
done
mkcsr p256 hmi "$WORK/hmi.csr" "DNS:hmi.line3.plant.local"
expect 0 pc issue "$WORK/hmi.csr" --ca line3 --profile tls-server --days 20 --out-dir "$WORK"

# agree WHEN LABEL: at time WHEN (faketime's -f offset), every indexed
# answer equals the full listing filtered the same way
agree() {
  local when=$1 label=$2 v
  for v in certs "certs --segment line3" "certs --segment line4" "certs --expiring 30" \
      "certs --expiring 800" "certs --revoked" requests "status --expiring 30"; do
    # shellcheck disable=SC2086
    ft -f "$when" "$PLANTCA" --home "$CAHOME" --json $v >"$WORK/a.$(tr ' ' _ <<<"$v")" ||
      fail "$label: $v"
  done
  for s in pending approved rejected signing issued; do
    ft -f "$when" "$PLANTCA" --home "$CAHOME" --json requests --status $s >"$WORK/a.requests_$s" ||
      fail "$label: requests --status $s"
  done
  ft -f "$when" date -u +%s >"$WORK/a.now"
  python3 - "$WORK" "$label" <<'PY' || fail "$label: an indexed answer differs from the full listing"
import calendar, json, sys, time
w, label = sys.argv[1], sys.argv[2]
ld = lambda n: json.load(open(f"{w}/a.{n}"))
now = int(open(f"{w}/a.now").read())
ts = lambda s: calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
certs, reqs = ld("certs"), ld("requests")
def same(name, got, want, key="serial"):
    g, x = sorted(c[key] for c in got), sorted(c[key] for c in want)
    assert g == x, (label, name, g, x)
for s in ("line3", "line4"):
    same("segment " + s, ld("certs_--segment_" + s), [c for c in certs if c["segment"] == s])
    # the segment index keeps serial order, as the full listing
    assert [c["serial"] for c in ld("certs_--segment_" + s)] == \
        [c["serial"] for c in certs if c["segment"] == s], (label, s)
for d in (30, 800):
    got = ld(f"certs_--expiring_{d}")
    same(f"expiring {d}", got, [c for c in certs if c["status"] == "valid" and ts(c["not_after"]) <= now + d * 86400])
    assert [ts(c["not_after"]) for c in got] == sorted(ts(c["not_after"]) for c in got), (label, "soonest first")
    # the records are the same records: whole entries equal
    full = {c["serial"]: c for c in certs}
    assert all(full[c["serial"]] == c for c in got), (label, "entries differ")
same("revoked", ld("certs_--revoked"), [c for c in certs if c["status"] == "revoked"])
for s in ("pending", "approved", "rejected", "signing", "issued"):
    got = ld("requests_" + s)
    same("requests " + s, got, [r for r in reqs if r["status"] == s], key="id")
    assert [r["id"] for r in got] == sorted(r["id"] for r in got), (label, "id order")
st = ld("status_--expiring_30")
for seg in st["segments"]:
    want = sum(1 for c in certs if c["segment"] == seg["segment"] and
               now < ts(c["not_after"]) <= now + 30 * 86400)
    assert seg["expiring"] == want, (label, seg, want)
# certificate events: valid leaf certificates not renewed, by month of notAfter
months = {}
for c in certs:
    if c["kind"] != "leaf" or c["status"] != "valid" or "superseded_by" in c:
        continue
    m = c["not_after"][:7]
    n, first = months.get(m, (0, None))
    months[m] = (n + 1, min(first or c["not_after"], c["not_after"]))
evs = {e["object"]: e for e in st["events"] if e["kind"] == "certificates"}
assert sorted(evs) == sorted(months), (label, sorted(evs), sorted(months))
for m, (n, first) in months.items():
    assert evs[m]["what"].startswith(f"{n} certificate(s) expire in {m}"), (label, evs[m], n)
    assert evs[m]["date"] == first, (label, evs[m], first)
print(f"{label}: {len(certs)} certificates, {len(reqs)} requests, {len(months)} month(s) agree")
PY
  expect 0 ft -f "$when" "$PLANTCA" --home "$CAHOME" audit verify
  out_has "store consistent"
}

agree +0d "imported"
expect 0 pc sign
agree +0d "signed"
line4=$(pc --json certs --segment line4 | python3 -c 'import json,sys; print(" ".join(c["serial"] for c in json.load(sys.stdin)))')
read -r a b c _ <<<"$line4"
expect 0 pc revoke "$a" --reason keyCompromise
agree +0d "revoked"
expect 0 pc renew --serial "$b"
expect 0 pc sign
expect 0 pc show "$b"
out_has "superseded by"
agree +0d "renewed"
expect 0 pc crl
expect 0 pc export line4 "$WORK/resp-line4"
[ "$(tar tf "$WORK"/resp-line4/*.tar | grep -c '\.crt$')" -eq 4 ] ||
  fail "export line4: $(tar tf "$WORK"/resp-line4/*.tar | grep '\.crt$')"
agree +0d "exported"
rm -rf "$WORK/resp-line4"/*
expect 0 pc export line4 "$WORK/resp-line4"
[ "$(tar tf "$WORK"/resp-line4/*.tar | grep -c '\.crt$' || true)" -eq 0 ] || fail "a second export carried certificates again"
agree +25d "the direct issue expired"
agree +700d "most expire within 30 days"
agree +740d "all expired"
ok "certs --segment/--expiring/--revoked, requests --status, status (expiring, certificate events) equal the full listings after issue, revoke ($a), renew ($b), export (4 then 0 certificates) and past notAfter; audit verify passes each time"

# --- 3. kept record by record == built from scratch; a stale entry is found
idx() {   # the index databases, expiry counts of zero left out
  for d in req-by-status req-unexported expiry-months by-segment by-expiry by-segment-expiry; do
    echo "== $d"
    mdb_dump -s $d "$CAHOME/db" | sed '1,/^HEADER=END$/d' | paste - - | grep -v $'\t 0000000000000000$' || true
  done
}
idx >"$WORK/idx.kept"
grep -q '^== req-unexported' "$WORK/idx.kept" || fail "no index dump"
"$STORE_DOWNGRADE" "$CAHOME/db" 2 || fail "store_downgrade"
expect 0 pc migrate
err_has "store upgraded from schema 2 to 3"
idx >"$WORK/idx.built"
diff -u "$WORK/idx.kept" "$WORK/idx.built" || fail "the indexes kept by the record writes differ from the migration's"
ok "the indexes kept record by record equal those the 2 -> 3 migration builds from the records ($(wc -l <"$WORK/idx.kept") lines)"

issued=$(pc --json requests --status issued | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n %s00%016x\n \nDATA=END\n' \
  "$(printf approved | od -An -tx1 | tr -d ' \n')" "$issued" >"$WORK/stale.dump"
mdb_load -s req-by-status -f "$WORK/stale.dump" "$CAHOME/db" || fail "mdb_load"
expect 1 pc audit verify
out_has "the request status index has" "the records imply"
err_has "store check failed: 1 finding(s)"
ok "a stale status index entry (request $issued listed as approved) is found by audit verify"
done_testing
