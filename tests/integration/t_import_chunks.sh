#!/usr/bin/env bash
# A large bundle is imported in chunks (ca/import.h, issue 14 item 3): its
# requests are stored CA_IMPORT_CHUNK (4096) at a time, each chunk in its
# own commit, and the station's sequence, the audit event and every other
# effect of the bundle in the last transaction.  A crash between chunks
# leaves an import-in-progress record; the next command that changes the
# CA home rolls the partial import back (audit event import.rollback), and
# importing the bundle again stores each request exactly once.  Here,
# with a bundle of 8,500 distinct-key P-256 CSRs made by plantca-station:
#   - every fault point import reaches in a store commit or between
#     chunks (store.commit, import.chunk), each time, killed and failed
#     (EIO): a failed import leaves the store exactly as it was (mdb_dump);
#     after a kill the next command removes what the kill left; either
#     way `audit verify` passes and the import again gives all 8,500
#     requests once, each with its member's SHA-256 (hashlib, from the
#     CSR files);
#   - a read-only command leaves a partial import alone and says so;
#   - a rollback killed half way is finished by the next command;
#   - the bundle, once in, is refused as a replay and changes nothing.
# Tests assert no time or memory figure.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
[ "${FAULT_POINTS:-false}" = true ] || { echo "SKIP: built without -Dfault_points=true" >&2; exit 77; }
python3 -c 'import cryptography' 2>/dev/null \
  || { echo "SKIP: python3-cryptography not installed: it makes the CSRs" >&2; exit 77; }
need mdb_stat "to count the stored requests independently"

N=8500   # two chunk commits of 4096, then 308 requests in the last transaction
make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
h=$((N / 2))
python3 "$SRCDIR/tests/tools/mkcsrs.py" "$h" "$WORK/dev" 1 &
python3 "$SRCDIR/tests/tools/mkcsrs.py" $((N - h)) "$WORK/dev" $((h + 1)) &
wait %1 && wait %2 || fail "mkcsrs.py"
mkdir "$WORK/usb"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev" -o "$WORK/usb"
B=$(echo "$WORK"/usb/*.tar)
[ -f "$B" ] || fail "no request bundle: $B"
# the member each CSR file became and its SHA-256, from the files
python3 - "$WORK/dev" >"$WORK/want.json" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
print(json.dumps({f: hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
                  for f in os.listdir(d) if f.endswith(".csr")}))
PY

nreq() { mdb_stat -s requests "$CAHOME/db" | awk '/Entries:/ {print $2}'; }
last_seq() { pc --json station list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["last_sequence"])'; }
# whole CONTEXT: the store holds the bundle's N requests, each member once
# with its CSR's hash, in N consecutive ids, and the bundle's sequence used
whole() {
  [ "$(nreq)" = "$N" ] || fail "$1: $(nreq) requests in the store, not $N"
  pc --json requests >"$WORK/reqs.json" || fail "$1: requests --json"
  python3 - "$WORK/reqs.json" "$WORK/want.json" "$(basename "$B" .tar)" <<'PY' || fail "$1: the requests are not the bundle's, once each"
import json, sys
reqs, want, bundle = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
got = {}
for r in reqs:
    assert r["bundle"] == bundle, r
    assert r["member"] not in got, "member %s twice" % r["member"]
    got[r["member"]] = r["csr_sha256"]
    assert r["status"] in ("pending", "approved"), r
assert got == want, "members lost or changed: %d of %d" % (len(set(got) & set(want)), len(want))
ids = sorted(r["id"] for r in reqs)
assert ids == list(range(ids[0], ids[0] + len(ids))), "ids not consecutive"
PY
  [ "$(last_seq)" = 1 ] || fail "$1: the station's last sequence is $(last_seq), not 1"
  expect 0 pc audit verify
  [ "$(pc audit log | grep -c " import line3-request-000001 ok ")" = 1 ] \
    || fail "$1: not one import event for the bundle"
}
# untouched CONTEXT: no request, the sequence unused, no marker
untouched() {
  [ "$(nreq)" = 0 ] || fail "$1: $(nreq) requests left in the store"
  [ "$(last_seq)" = 0 ] || fail "$1: sequence $(last_seq) used"
  ! mdb_dump -p -s meta "$CAHOME/db" | grep -qx ' import.partial' \
    || fail "$1: the import-in-progress record is still there"
  expect 0 pc audit verify
}

snapshot() { rm -rf "$WORK/snap"; cp -a "$CAHOME" "$WORK/snap"; }
restore() { rm -rf "$CAHOME"; cp -a "$WORK/snap" "$CAHOME"; }
snapshot
before=$(store_dump)

# the points and how often import reaches them
rm -f "$WORK/points"
PLANTCA_FAULT_LOG=$WORK/points expect 0 pc import "$B"
out_has "0 rejected"
whole "a clean import"
[ "$(grep -c '^import.chunk$' "$WORK/points")" = 2 ] || fail "not 2 chunk commits: $(sort "$WORK/points" | uniq -c)"
ok "$N requests imported in three transactions, each once"
expect 1 pc import "$B"
err_has "is not newer than"
after=$(store_dump)
expect 1 pc import "$B"
[ "$(store_dump)" = "$after" ] || fail "a replayed bundle changed the store"
ok "the bundle once in is refused as a replay, the store unchanged"

runs=0
grep -E '^(store\.commit|import\.chunk)$' "$WORK/points" | sort | uniq -c >"$WORK/targets"
while read -r count point; do
  for ((n = 1; n <= count; n++)); do
    for how in kill eio; do
      restore
      rc=0
      PLANTCA_FAULT=$point:$n:$how "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" import "$B" \
        >"$WORK/f.out" 2>"$WORK/f.err" || rc=$?
      runs=$((runs + 1))
      [ "$rc" -ne 0 ] || fail "$point:$n:$how: exited 0"
      if [ "$how" = eio ]; then
        grep -q "injected at fault point $point" "$WORK/f.err" || fail "$point:$n:$how: $(cat "$WORK/f.err")"
        [ "$(store_dump)" = "$before" ] || fail "$point:$n:eio: a failed import changed the store"
      else
        # a read-only command leaves the partial import as it is
        expect 0 pc audit verify
        # the next command that changes the CA home undoes it
        expect 0 pc crl
        untouched "$point:$n:kill, then crl"
      fi
      expect 0 pc import "$B"
      whole "$point:$n:$how, imported again"
    done
  done
done <"$WORK/targets"
ok "every commit of import and every chunk, killed and failed ($runs runs): nothing lost, nothing twice"

# killed after the second chunk: 8192 requests stored, the bundle not in
restore
rc=0
PLANTCA_FAULT=import.chunk:2:kill "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" import "$B" \
  >/dev/null 2>&1 || rc=$?
[ "$rc" = 137 ] || fail "import.chunk:2:kill: exit $rc, not 137 (SIGKILL)"
[ "$(nreq)" = 8192 ] || fail "after the second chunk: $(nreq) requests, not 8192"
expect 0 pc requests
err_has "the import of line3-request-000001" "was interrupted with 8192 of its requests stored" \
  "the next command that changes the CA home removes them"
[ "$(nreq)" = 8192 ] || fail "a read-only command changed the partial import"
ok "a read-only command leaves a partial import alone and says so"
# its record damaged (a trailing byte): a changing command refuses the
# store (exit 2), a read-only one warns and goes on
mdb_dump -a "$CAHOME/db" >"$WORK/partial.dump" || fail "mdb_dump"
python3 - "$WORK/partial.dump" >"$WORK/bad.dump" <<'PY' || fail "no import.partial key in the dump"
import sys
lines = open(sys.argv[1]).read().split("\n")
i = lines.index(" " + b"import.partial".hex())
lines[i + 1] += "00"
print("\n".join(lines), end="")
PY
mkdir "$WORK/bad"
(cd "$CAHOME" && tar --exclude=./db -cf - .) | (cd "$WORK/bad" && tar -xf -)
mkdir -m 700 "$WORK/bad/db"
mdb_load -f "$WORK/bad.dump" "$WORK/bad/db" || fail "mdb_load"
chmod 600 "$WORK/bad/db/data.mdb" "$WORK/bad/db/lock.mdb"
expect 2 "$PLANTCA" --home "$WORK/bad" --pin-file "$PIN" crl
err_has "META import.partial: import in progress record"
expect 0 "$PLANTCA" --home "$WORK/bad" status
err_has "warning: META import.partial: import in progress record"
ok "a damaged import-in-progress record: refused by a changing command, a warning for a read-only one"
# the rollback goes in chunks too: killed after its first, the next
# command finishes it
rc=0
PLANTCA_FAULT=import.rollback:1:kill "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" crl \
  >/dev/null 2>&1 || rc=$?
[ "$rc" = 137 ] || fail "import.rollback:1:kill: exit $rc, not 137"
[ "$(nreq)" = 4096 ] || fail "after the first rollback chunk: $(nreq) requests, not 4096"
expect 0 pc crl
err_has "rolled back the interrupted import of line3-request-000001" "4096 request(s) removed"
untouched "a rollback killed half way, finished"
expect 0 pc --json audit log
python3 -c '
import json, sys
ev = [e for e in json.load(sys.stdin) if e["action"] == "import.rollback"]
assert len(ev) == 1, ev
assert ev[0]["object"] == "line3-request-000001", ev
assert "sequence 1" in ev[0]["detail"] and "import the bundle again" in ev[0]["detail"], ev
' <<<"$OUT" || fail "not one import.rollback event naming the bundle: $OUT"
expect 0 pc import "$B"
whole "imported after the rollback"
ok "a rollback killed half way is finished by the next command; the bundle then imports whole"
done_testing
