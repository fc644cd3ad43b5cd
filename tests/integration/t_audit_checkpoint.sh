#!/usr/bin/env bash
# Signed audit checkpoints: the chain head signed in the token by the audit
# key at every export and every N events; each response bundle carries the
# latest; the station keeps them; `plantca audit verify` checks every
# signature and `plantca-station audit-check` proves a CA trail still holds
# what the plant was shown.  An insider with write access to the store
# rewrites the tail of the chain with a consistent new head (the edit
# tests/integration/audit_rewrite.py makes, hashes recomputed): the chain
# alone no longer shows it, both checks do.  Signatures are checked with
# OpenSSL (Ed25519, pkeyutl -rawin), not with our verifier.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need mdb_load "lmdb-utils: the insider's edit of the store"

make_ca
expect 0 pc --json audit log
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["action"]=="init" and "audit key" in d[0]["detail"], d[0]' <<<"$OUT" \
  || fail "init's event does not name the audit key: $OUT"
expect 0 pc audit verify
out_has "0 signed checkpoints verified"
ok "init made the audit key (named in its event); no checkpoint yet"

printf 'correct horse battery staple\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb" "$WORK/media"
mkcsr p256 pump-12 "$WORK/dev/pump-12.csr" "DNS:pump-12.line3.plant.local" 2>/dev/null
mkcsr p256 pump-13 "$WORK/dev/pump-13.csr" "DNS:pump-13.line3.plant.local" 2>/dev/null
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev/pump-12.csr" "$WORK/dev/pump-13.csr" -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/line3-request-000001.tar
expect 0 pc sign
expect 0 pc crl
expect 0 pc export line3 "$WORK/media"
resp=$WORK/media/line3-response-000001.tar
mkdir "$WORK/x"; tar xf "$resp" -C "$WORK/x" audit-checkpoint.txt || fail "no audit-checkpoint.txt in $resp: $(tar tf "$resp")"
cp_file=$WORK/x/audit-checkpoint.txt
head -1 "$cp_file" | grep -qx 'plantca audit checkpoint 1' || fail "checkpoint: $(cat "$cp_file")"

# OpenSSL checks the signature: SPKI of the raw key, the five signed lines
osslcheck() {  # osslcheck CHECKPOINT-FILE -> 0 when the signature verifies
  local f=$1 d; d=$(mktemp -d "$WORK/ossl.XXXX")
  head -5 "$f" >"$d/msg"
  sed -n 's/^signature: //p' "$f" | xxd -r -p >"$d/sig"
  { printf '302a300506032b6570032100'; sed -n 's/^key: //p' "$f"; } | xxd -r -p >"$d/spki.der"
  openssl pkey -pubin -inform DER -in "$d/spki.der" -out "$d/key.pem" 2>/dev/null
  openssl pkeyutl -verify -pubin -inkey "$d/key.pem" -rawin -in "$d/msg" -sigfile "$d/sig" >/dev/null 2>&1
}
need xxd "to turn the checkpoint's hex into bytes for openssl"
osslcheck "$cp_file" || fail "openssl does not verify the checkpoint's Ed25519 signature"
sed 's/^time: \(.*\)$/time: 1\1/' "$cp_file" >"$WORK/forged.txt"
! osslcheck "$WORK/forged.txt" || fail "openssl verifies a checkpoint with another time: the check cannot fail"
seq1=$(sed -n 's/^sequence: //p' "$cp_file")
expect 0 pc --json audit log
python3 - "$OUT" "$seq1" "$(sed -n 's/^head: //p' "$cp_file")" <<'PY' || fail "the checkpoint does not sign the head of event $seq1"
import json, sys
d = json.loads(sys.argv[1]); seq = int(sys.argv[2]); head = sys.argv[3]
ev = [e for e in d if e["seq"] == seq][0]
assert ev["hash"] == head, (ev, head)
nxt = [e for e in d if e["seq"] == seq + 1][0]
assert nxt["action"] == "audit.checkpoint" and nxt["object"] == "event %d" % seq, nxt
assert d[-1]["action"] == "export", d[-1]
PY
ok "export: the response carries the head of event $seq1 signed by the audit key; openssl verifies it"

expect 0 "$STATION" accept "$WORK/st" "$resp" --out "$WORK/pki" --layout opcua
kept=$(printf '%s/st/audit/%020d.checkpoint' "$WORK" "$seq1")
cmp "$kept" "$cp_file" || fail "the station did not keep the checkpoint: $(ls "$WORK/st/audit" 2>&1)"
ok "the station keeps the checkpoint in DIR/audit/"

# every 100 events by default: 120 requests imported and signed (an event
# each, and more), then sign, which holds the token, signs the head itself
mkdir "$WORK/many"
for i in $(seq 1 120); do cp "$WORK/dev/pump-12.csr" "$WORK/many/$i.csr"; done
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/many" -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/line3-request-000002.tar
expect 0 pc sign
expect 0 pc --json audit log
python3 - "$OUT" "$seq1" <<'PY' || fail "no checkpoint after 100 events: $(pc audit log | tail -3)"
import json, sys
d = json.loads(sys.argv[1]); seq1 = int(sys.argv[2])
cps = [e for e in d if e["action"] == "audit.checkpoint" and e["seq"] > seq1 + 1]
assert len(cps) == 1, [e["object"] for e in cps]
signed = int(cps[0]["object"].split()[1])
assert signed - seq1 >= 100, (signed, seq1)
assert not any(e["action"] == "export" for e in d if e["seq"] > seq1 + 2), "an export in between"
assert d[-1]["action"] == "audit.checkpoint", d[-1]
PY
ok "default interval: sign signed a checkpoint by itself once 100 events had passed"

# every N events: with N = 2, the next command using the token signs
expect 0 pc audit interval 2
expect 0 pc crl
expect 0 pc crl
expect 0 pc --json audit log
ncp=$(python3 -c 'import json,sys; print(sum(e["action"]=="audit.checkpoint" for e in json.load(sys.stdin)))' <<<"$OUT")
[ "$ncp" -ge 2 ] || fail "no checkpoint after the interval: $ncp"
expect 0 pc audit checkpoint
out_has "audit checkpoint: event"
expect 0 pc audit verify
out_has "signed checkpoints verified"
ok "interval 2: crl signs checkpoints by itself; audit checkpoint on demand; verify: $OUT"

# the second export brings the newer checkpoint to the station
expect 0 pc revoke "$(pc --json certs | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin) if c["profile"] == "tls-client"][0]["serial"])')" --reason keyCompromise
expect 0 pc crl
expect 0 pc export line3 "$WORK/media"
expect 0 "$STATION" accept "$WORK/st" "$WORK/media/line3-response-000002.tar" --out "$WORK/pki" --layout opcua
[ "$(ls "$WORK/st/audit" | wc -l)" = 2 ] || fail "station keeps $(ls "$WORK/st/audit")"
expect 0 pc audit export "$WORK/trail"
head -1 "$WORK/trail" | grep -qx 'plantca audit trail 1' || fail "trail: $(head -2 "$WORK/trail")"
expect 0 "$STATION" audit-check "$WORK/st" "$WORK/trail"
out_has "hash chain intact" "all 2 checkpoints"
ok "audit-check: the CA's trail holds both heads the plant was shown"

# ------------------------------------------------ the insider's rewrite
insider() {  # insider HOME-COPY ARGS...: the store of HOME-COPY rewritten by audit_rewrite.py
  local h=$1; shift
  rm -rf "$h"; cp -a "$CAHOME" "$h"
  mdb_dump -a "$CAHOME/db" >"$WORK/dump" || return 1
  python3 "$SRCDIR/tests/integration/audit_rewrite.py" "$@" <"$WORK/dump" >"$WORK/dump.t" || return 1
  rm -f "$h/db/data.mdb" "$h/db/lock.mdb"
  mdb_load -f "$WORK/dump.t" "$h/db" || return 1
  chmod 600 "$h/db/data.mdb" "$h/db/lock.mdb" 2>/dev/null || true
}
ph() { "$PLANTCA" --home "$1" --pin-file "$PIN" "${@:2}"; }
# the edit tool is sound: with no change its output verifies
insider "$WORK/same" 999999 2>/dev/null && fail "audit_rewrite.py accepted an event that does not exist"
insider "$WORK/ins" 3 || fail "the insider's edit failed"
# the chain alone is consistent again: with the stored checkpoints deleted
# too, the hash chain passes (the refusal comes from the checkpoint step,
# which runs only on an intact chain): the audit.checkpoint events still
# name checkpoints the store no longer holds
insider "$WORK/nocp" 3 --drop-checkpoints || fail "the insider's edit failed"
expect 1 ph "$WORK/nocp" audit verify
err_has "records a signed checkpoint of event $seq1, which is not in the store: the checkpoints were deleted"
[[ "$ERR" != *"(modified)"* && "$ERR" != *"link broken"* ]] || fail "the edit broke the hash chain: $ERR"
ok "the insider's edit (event 3, hashes and head recomputed) passes the hash chain; with the checkpoints deleted too, verify names the missing checkpoints"

expect 1 ph "$WORK/ins" audit verify
err_has "checkpoint signature mismatch" "event $seq1" "rewritten"
ok "CA side: audit verify names the checkpoint mismatch: ${ERR#plantca: }"

for h in ins nocp; do
  expect 0 ph "$WORK/$h" audit export "$WORK/trail.$h"
  expect 1 "$STATION" audit-check "$WORK/st" "$WORK/trail.$h"
  err_has "event $seq1 has hash" "rewritten after the plant was shown it"
done
ok "station side: audit-check catches the rewrite, with the checkpoints in the store or without: ${ERR#plantca-station: }"

# a trail cut short before a kept checkpoint
head -n "$((seq1))" "$WORK/trail" >"$WORK/trail.cut"
expect 1 "$STATION" audit-check "$WORK/st" "$WORK/trail.cut"
err_has "events were removed"
ok "a trail cut before a kept checkpoint is refused"
done_testing
