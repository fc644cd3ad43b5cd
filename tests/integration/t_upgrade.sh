#!/usr/bin/env bash
# Store upgrades (issue 12 item 6).  tests/fixtures/store-v1.tar.gz is a CA
# home written by the release with store schema 1 (made by
# tests/fixtures/mkstore-v1.sh with that release's binaries).  This
# release opens it, refuses to read it before it is upgraded, upgrades it
# once in one transaction that keeps every record of every database and
# adds one store.migrate audit event, lists exactly what the old release
# listed, passes audit verify, and keeps working (revoke, renew).  A store
# of a newer schema is refused by every command and left as it was.
. "$(dirname "$0")/lib.sh" --no-token
: "${PLANTCA:?}"
need faketime "the fixture's dates are compared at the fixture's time"
need mdb_dump "the store is compared database by database (lmdb-utils)"
FX=$SRCDIR/tests/fixtures
tar -C "$WORK" -xzf "$FX/store-v1.tar.gz"
H=$WORK/ca
chmod 700 "$H" "$H/db"
T='2026-06-01 12:00:00'
p() { "$PLANTCA" --home "$H" "$@"; }
pt() { ft "$T" "$PLANTCA" --home "$H" "$@"; }
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime "$@"; }
schema() { mdb_dump -s meta -p "$H/db" | grep -A1 '^ schema$' | tail -1 | tr -d ' '; }
dbdump() { mdb_dump -s "$1" "$H/db" | sed '/^db_pagesize=/d'; }
OLD_DBS=(cas certs by-segment by-expiry intents requests stations revocations crls)

[ "$(schema)" = '\00\00\00\01' ] || fail "the fixture is not schema 1: $(schema)"
for d in "${OLD_DBS[@]}" meta audit; do dbdump "$d" >"$WORK/before.$d"; done
mdb_dump -a "$H/db" | sha256sum >"$WORK/before.all"
ok "the fixture is a schema 1 store"

# read-only commands refuse until the store is upgraded, and change nothing
for v in certs requests "audit verify" "audit log" status "ca list"; do
  # shellcheck disable=SC2086
  expect 2 p $v
  err_has "store schema 1 is older than this plantca (3): run plantca migrate"
done
mdb_dump -a "$H/db" | sha256sum | cmp -s - "$WORK/before.all" || fail "a refused read changed the store"
ok "read-only verbs refuse the old store (${ERR#plantca: }) and leave it as it was"

expect 0 pt migrate
err_has "store upgraded from schema 1 to 3" "45 entries in 11 databases kept" "2 -> 3: request indexes"
out_has "store schema 3 (current)"
[ "$(schema)" = '\00\00\00\03' ] || fail "schema after migrate: $(schema)"
for d in "${OLD_DBS[@]}"; do
  dbdump "$d" | cmp -s - "$WORK/before.$d" || fail "database $d changed in the migration"
done
for d in superseded req-by-status req-unexported; do
  mdb_dump -s $d -p "$H/db" >/dev/null || fail "no database $d after the migration"
done
ok "migrate: schema 3, the new databases, every record of the nine record databases byte for byte as before"

# audit: the old events unchanged, one store.migrate event added
dbdump audit >"$WORK/after.audit"
python3 - "$WORK/before.audit" "$WORK/after.audit" <<'PY' || fail "audit events were changed"
import sys
def recs(f):
    lines = [l for l in open(f).read().split("HEADER=END\n", 1)[1].splitlines() if l != "DATA=END"]
    return list(zip(lines[0::2], lines[1::2]))
b, a = recs(sys.argv[1]), recs(sys.argv[2])
assert a[:len(b)] == b and len(a) == len(b) + 1, (len(b), len(a))
PY
expect 0 pt audit log
tail -1 <<<"$OUT" | grep -q 'store.migrate schema 1 -> 3 ok' || fail "no store.migrate event: $(tail -1 <<<"$OUT")"
expect 0 pt audit verify
out_has "audit trail intact: 13 events" "store consistent: 5 certificates, 4 requests"
ok "audit verify passes: the 12 old events untouched, one store.migrate event"

# the new release lists what the old one listed
{
  pt --json certs | python3 -c 'import json,sys
for c in sorted(json.load(sys.stdin), key=lambda c: c["serial"]):
    print("cert", c["serial"], c["kind"], c["profile"], c["ca"], c["status"], c["not_after"], c["subject"])'
  pt --json requests | python3 -c 'import json,sys
for r in json.load(sys.stdin):
    print("request", r["id"], r["status"], r["member"])'
  pt audit log | head -n -1 | awk '{print "audit", $0}'
} >"$WORK/now.expect"
diff -u "$FX/store-v1.expect" "$WORK/now.expect" || fail "the upgraded store lists something else"
ok "certs, requests and the audit log list exactly what schema 1's release listed ($(wc -l <"$WORK/now.expect") lines)"

# a second migrate does nothing
mdb_dump -a "$H/db" | sha256sum >"$WORK/mig.all"
expect 0 p migrate
[ -z "$ERR" ] || fail "second migrate said: $ERR"
mdb_dump -a "$H/db" | sha256sum | cmp -s - "$WORK/mig.all" || fail "a second migrate changed the store"
ok "migrate again: nothing to do, the store unchanged"

# the upgraded store keeps working: revoke (no token needed), show
s=$(grep '^cert .* CN=sensor-3' "$FX/store-v1.expect" | awk '{print $2}')
expect 0 pt revoke "$s" --reason cessationOfOperation
expect 0 pt show "$s"
out_has "revoked:"
expect 0 pt audit verify
ok "after the upgrade revoke works and audit verify still passes"

# a write command upgrades too: a fresh copy of the fixture, one revoke
rm -rf "$WORK/ca2"; mkdir "$WORK/x2"; tar -C "$WORK/x2" -xzf "$FX/store-v1.tar.gz"; mv "$WORK/x2/ca" "$WORK/ca2"
chmod 700 "$WORK/ca2" "$WORK/ca2/db"
expect 0 ft "$T" "$PLANTCA" --home "$WORK/ca2" revoke "$s" --reason superseded
err_has "store upgraded from schema 1 to 3"
expect 0 ft "$T" "$PLANTCA" --home "$WORK/ca2" audit verify
out_has "audit trail intact: 14 events"
ok "the first changing command upgrades the store before it does its work"

# a store of a newer schema (what an older plantca sees after an upgrade)
# is refused by every command and left as it was
mdb_dump -s meta "$H/db" | sed 's/^ 00000003$/ 00000004/' >"$WORK/meta4"
grep -qx ' 00000004' "$WORK/meta4" || fail "could not write schema 4"
mdb_load -s meta -f "$WORK/meta4" "$H/db" 2>/dev/null
[ "$(schema)" = '\00\00\00\04' ] || fail "schema 4 not written"
mdb_dump -a "$H/db" | sha256sum >"$WORK/new.all"
for v in certs migrate "revoke $s --reason superseded" "audit verify"; do
  # shellcheck disable=SC2086
  expect 2 p $v
  err_has "store schema 4 is newer than this plantca (3); upgrade plantca"
done
mdb_dump -a "$H/db" | sha256sum | cmp -s - "$WORK/new.all" || fail "a refused command changed the newer store"
ok "a schema 4 store is refused by reading and changing verbs alike (${ERR#plantca: }), unchanged"
done_testing
