#!/usr/bin/env bash
# plantca root roll under faults (common/fault.h; the build needs
# -Dfault_points=true): every fault point the roll reaches (LMDB commits,
# token signatures, file writes), each time it is reached, is hit once
# with SIGKILL and once with EIO.  After each: `audit verify` passes, and
# running `root roll` again completes the roll instead of starting another
# one: the root is generation 2 with one replaced generation, both
# cross-certificates are there and verify, both issuing CAs are
# certified by the new root, HOME/public holds the new root and every
# serial is in the store once.  Prints how many faulted runs it made.
. "$(dirname "$0")/lib.sh"
[ "${FAULT_POINTS:-false}" = true ] || { echo "SKIP: built without -Dfault_points=true" >&2; exit 77; }
make_ca
expect 0 pc ca new line4 --subject "/C=DE/O=Acme Plant/OU=Line 4/CN=Line 4 Issuing CA"
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :'; }
aki() { openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -1 | sed 's/keyid://' | tr -d ' :'; }
snapshot() { rm -rf "$WORK/snap"; cp -a "$CAHOME" "$WORK/snap"; }
restore() { rm -rf "$CAHOME"; cp -a "$WORK/snap" "$CAHOME"; }
rolled_once() {  # rolled_once CONTEXT
  local ctx=$1 p=$CAHOME/public n
  pc --json ca list | python3 -c '
import json, sys
l = {c["name"]: c for c in json.load(sys.stdin)}
r = l["root"]
assert r["generation"] == 2 and len(r["generations"]) == 1, r' || fail "$ctx: not exactly one root roll: $(pc ca list)"
  pc ca cert root >"$WORK/cur-root.pem"
  cmp -s "$WORK/cur-root.pem" "$p/root.pem" || fail "$ctx: public/root.pem is not the current root"
  cmp -s "$WORK/root.pem" "$p/root.gen1.pem" || fail "$ctx: public/root.gen1.pem is not the old root"
  openssl verify -x509_strict -partial_chain -CAfile "$p/root.gen1.pem" "$p/root-newwithold.gen2.pem" >/dev/null 2>&1 \
    || fail "$ctx: NewWithOld does not verify with the old root"
  openssl verify -x509_strict -partial_chain -CAfile "$p/root.pem" "$p/root-oldwithnew.gen2.pem" >/dev/null 2>&1 \
    || fail "$ctx: OldWithNew does not verify with the new root"
  for n in line3 line4; do
    pc ca cert "$n" >"$WORK/$n.now.pem"
    [ "$(aki "$WORK/$n.now.pem")" = "$(ski "$p/root.pem")" ] || fail "$ctx: $n is not certified by the new root"
    openssl verify -x509_strict -CAfile "$p/root.pem" "$WORK/$n.now.pem" >/dev/null 2>&1 || fail "$ctx: $n does not verify"
  done
  pc --json certs | python3 -c 'import json,sys; s=[c["serial"] for c in json.load(sys.stdin)]; assert len(s)==len(set(s)), s' \
    || fail "$ctx: a serial appears twice"
}

snapshot
PLANTCA_FAULT_LOG=$WORK/points expect 0 pc root roll
rolled_once "a clean roll"
sort "$WORK/points" | uniq -c | awk '{print $2, $1}' >"$WORK/points.n"
[ -s "$WORK/points.n" ] || fail "root roll reached no fault point"
runs=0
while read -r point count; do
  for ((n = 1; n <= count; n++)); do
    for how in kill eio; do
      restore
      rc=0
      PLANTCA_FAULT=$point:$n:$how "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" root roll \
        >"$WORK/f.out" 2>"$WORK/f.err" || rc=$?
      runs=$((runs + 1))
      [ "$rc" -ne 0 ] || fail "root roll $point:$n:$how: exited 0"
      if [ "$how" = eio ]; then
        grep -q "injected at fault point $point" "$WORK/f.err" || fail "root roll $point:$n:eio: $(cat "$WORK/f.err")"
      fi
      expect 0 pc audit verify
      expect 0 pc root roll
      expect 0 pc audit verify
      rolled_once "root roll $point:$n:$how, run again"
    done
  done
done <"$WORK/points.n"
echo "# root roll: $(wc -l <"$WORK/points.n") fault points, $runs faulted runs"
ok "root roll: every fault point, killed and failed; run again, it completes the one roll (generation 2, both cross-certificates, both CAs re-certified, public files), audit verify passes"
done_testing
