#!/usr/bin/env bash
# Deterministic faults in CA commands (common/fault.h; the build needs
# -Dfault_points=true): for sign, revoke, crl, export and backup, every
# fault point the command reaches (file writes, renames, fsyncs, LMDB
# commits, token signatures), each time it is reached, is hit once with
# SIGKILL and once with EIO.  After each: the store opens and `audit
# verify` passes (chain, checkpoints, store invariants), the output
# directory holds no bundle or a complete one that minisign verifies (no
# backup or a complete one that sha256sum -c accepts), and running the
# command again completes the work; every serial is in the store once.
# Prints how many distinct fault points and faulted runs it exercised.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
[ "${FAULT_POINTS:-false}" = true ] || { echo "SKIP: built without -Dfault_points=true" >&2; exit 77; }
need minisign "to verify bundles written under faults"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb"
for n in 1 2 3; do mkcsr p256 "d$n" "$WORK/dev/d$n.csr" "DNS:d$n.line3.plant.local" 2>/dev/null; done
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK"/dev/d*.csr -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/line3-request-000001.tar
expect 0 pc crl

points=$WORK/all-points
: >"$points"
runs=0
snapshot() { rm -rf "$WORK/snap"; mkdir "$WORK/snap"; cp -a "$CAHOME" "$WORK/snap/ca"; }
restore() { rm -rf "$CAHOME" "$WORK/media"; cp -a "$WORK/snap/ca" "$CAHOME"; mkdir "$WORK/media"; }
serials_once() {
  pc --json certs | python3 -c 'import json,sys; s=[c["serial"] for c in json.load(sys.stdin)]; assert len(s)==len(set(s)), s' \
    || fail "$1: a serial appears twice"
}
outputs_whole() {  # outputs_whole CONTEXT: $WORK/media holds nothing or complete outputs
  local f
  for f in "$WORK"/out/*.tar; do
    [ -e "$f" ] || continue
    [ -f "$f.minisig" ] || fail "$1: $f without its .minisig"
    minisign -V -q -p "$CAHOME/public/transfer.pub" -m "$f" >/dev/null || fail "$1: $f does not verify"
  done
  for f in "$WORK"/out/*.minisig; do [ -e "$f" ] || continue; [ -f "${f%.minisig}" ] || fail "$1: $f alone"; done
  if [ -d "$WORK/media/bk" ]; then
    (cd "$WORK/media/bk" && sha256sum -c --quiet MANIFEST) || fail "$1: an incomplete backup in place"
  fi
}
sweep() {  # sweep NAME CMD...: every point of CMD, killed and failed
  local name=$1; shift
  snapshot
  restore
  rm -f "$WORK/points.$name"
  PLANTCA_FAULT_LOG=$WORK/points.$name expect 0 pc "$@"
  sort "$WORK/points.$name" | uniq -c | awk '{print $2, $1}' >"$WORK/points.$name.n"
  sed "s/^/$name:/" "$WORK/points.$name.n" >>"$points"
  local point count n how rc
  while read -r point count; do
    for ((n = 1; n <= count; n++)); do
      for how in kill eio; do
        restore
        rc=0
        PLANTCA_FAULT=$point:$n:$how "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@" \
          >"$WORK/f.out" 2>"$WORK/f.err" || rc=$?
        runs=$((runs + 1))
        [ "$rc" -ne 0 ] || fail "$name $point:$n:$how: exited 0"
        if [ "$how" = eio ]; then
          grep -q "injected at fault point $point" "$WORK/f.err" || fail "$name $point:$n:eio: $(cat "$WORK/f.err")"
        fi
        expect 0 pc audit verify
        outputs_whole "$name $point:$n:$how"
        serials_once "$name $point:$n:$how"
        # the command again completes the work (a backup needs its DIR free)
        rm -rf "$WORK/media/bk"
        expect 0 pc "$@"
        expect 0 pc audit verify
        outputs_whole "$name $point:$n:$how, run again"
        serials_once "$name $point:$n:$how, run again"
      done
    done
  done <"$WORK/points.$name.n"
  # leave the state after one clean run for the next command
  restore
  expect 0 pc "$@"
}
sweep sign sign
[ "$(pc --json certs | python3 -c 'import json,sys; print(sum(c["profile"]=="tls-client" for c in json.load(sys.stdin)))')" = 3 ] \
  || fail "sign: not exactly 3 certificates after the sweep"
ok "sign: every fault point, killed and failed; then 3 certificates, each once"
victim=$(pc --json certs | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin) if c["profile"]=="tls-client"][0]["serial"])')
sweep revoke revoke "$victim" --reason keyCompromise
ok "revoke: every fault point"
sweep crl crl
ok "crl: every fault point"
sweep export export line3 "$WORK/media"
ok "export: every fault point; a bundle under a fault is complete and verifies, or absent"
sweep backup backup "$WORK/media/bk"
ok "backup: every fault point; a backup in place is complete"
distinct=$(cut -d' ' -f1 "$points" | wc -l)
total=$(awk '{s += $2} END {print s}' "$points")
echo "# fault sweep: $distinct (command, point) pairs, $total (point, occurrence) targets, $runs faulted runs"
ok "$runs faulted runs over $total fault targets"
done_testing
