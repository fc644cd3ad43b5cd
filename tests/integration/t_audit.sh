#!/usr/bin/env bash
# audit verify detects a modified, a deleted and a reordered event (exit 1),
# working on a copy of the store edited with the stock LMDB tools.
. "$(dirname "$0")/lib.sh"

make_ca
for i in 1 2 3; do
  mkcsr p256 "d$i" "$WORK/d$i.csr" "DNS:d$i.line3.plant.local"
  expect 0 pc issue "$WORK/d$i.csr" --ca line3 --profile tls-server -o "$WORK/d$i.pem"
done
expect 0 pc audit verify
out_has "5 events"
expect 0 pc --json audit log
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==5 and d[0]["action"]=="init", d' <<<"$OUT" \
  || fail "audit log --json"
ok "5 events, chain intact, JSON log"

mdb_dump -a "$CAHOME/db" >"$WORK/dump"

# tamper ACTION: write a modified copy of the store and point plantca at it
tamper() {   # EDIT EXPECTED-EXIT
  local what=$1 want=$2
  rm -rf "$WORK/t"; mkdir -p "$WORK/t/db"; chmod 700 "$WORK/t" "$WORK/t/db"
  python3 "$SRCDIR/tests/integration/dump_edit.py" "$what" <"$WORK/dump" >"$WORK/dump.t"
  mdb_load -f "$WORK/dump.t" "$WORK/t/db" || fail "mdb_load failed"
  expect "$want" "$PLANTCA" --home "$WORK/t" audit verify
}
tamper none 0
ok "an unedited copy of the store verifies (the edit tool itself is sound)"
tamper modify 1
err_has "event 3" "modified"
ok "modified event detected: ${ERR#plantca: }"
tamper delete 1
err_has "event"
ok "deleted event detected: ${ERR#plantca: }"
tamper swap 1
err_has "event"
ok "reordered events detected: ${ERR#plantca: }"
tamper drop-last 1
err_has "head"
ok "deleted newest event detected: ${ERR#plantca: }"
done_testing
