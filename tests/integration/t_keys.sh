#!/usr/bin/env bash
# plantca keys and keys remove: the CA home's key pairs on the token, their
# roles from the store, and the removal of the unused ones.  The unused keys
# are made the honest way: ca new, ca roll, transfer roll and firmware
# signer new are killed (fault points, common/fault.h) after the token made
# their key and before the store recorded it.  p11tool (GnuTLS) is the
# independent witness of what is on the token.
. "$(dirname "$0")/lib.sh"
[ "${FAULT_POINTS:-false}" = true ] || { echo "SKIP: built without -Dfault_points=true" >&2; exit 77; }
need p11tool "lists the token's objects independently of plantca (gnutls-bin)"
make_ca

PINV=$(cat "$PIN")
p11() { p11tool --provider "$SOFTHSM_MODULE" --login --set-pin="$PINV" "$@" 2>/dev/null; }
# every object label on the token, with its type, sorted: "LABEL private" ...
token_objects() {
  p11 --list-all "pkcs11:token=$TOKEN_LABEL" |
    sed -n 's/.*;object=\([^;]*\);type=\([a-z]*\).*/\1 \2/p' | sort
}
on_token() { token_objects | grep -q "^$1 $2\$"; }
# killed POINT:N CMD...: the command dies at that fault point (SIGKILL: 137)
killed() {
  local f=$1 rc=0; shift
  PLANTCA_FAULT=$f:kill "$@" >"$WORK/kout" 2>"$WORK/kerr" </dev/null || rc=$?
  [ "$rc" -eq 137 ] || fail "PLANTCA_FAULT=$f:kill $*: exit $rc, expected 137: $(cat "$WORK/kerr")"
}
# nth LOG POINT: the count of POINT up to the first POINT after hsm.keygen,
# i.e. the N that hits the first POINT once the token has made the key
nth() { awk -v p="$2" '$0 == "hsm.keygen" { k = 1 } $0 == p { n++; if (k) { print n; exit } }' "$1"; }
# keysj PY: run python over `plantca --json keys` (as j)
keysj() {
  pc --json keys >"$WORK/k.json" || fail "keys --json failed"
  python3 - "$WORK/k.json" "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
exec(sys.argv[2])
PY
}
# label_of PY-CONDITION: the one label whose entry k satisfies it
label_of() {
  keysj "m=[k['label'] for k in j['keys'] if $1]
assert len(m) == 1, m
print(m[0])"
}

expect 0 pc --json keys
HID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["prefix"])' <<<"$OUT")
[[ "$HID" == plantca-*- ]] || fail "prefix $HID"
expect 0 pc keys
out_has "${HID}root  ec-p384" "root generation 1 (current)" "${HID}transfer  ed25519" \
  "transfer key generation 1 (current)" "audit checkpoint key" "issuing CA line3 generation 1 (current)" \
  "4 key pairs of this CA home, 0 unused" "0 other objects on the token are not this CA home's"
ok "keys lists root, transfer, audit and line3 with their roles, none unused"

# the CKA_ID and SPKI SHA-256 are the token's and the certificate's
keysj "
import subprocess
k = [k for k in j['keys'] if k['role'] == 'root'][0]
spki = subprocess.run(['openssl', 'x509', '-in', '$WORK/root.pem', '-noout', '-pubkey'], capture_output=True, check=True).stdout
der = subprocess.run(['openssl', 'pkey', '-pubin', '-outform', 'DER'], input=spki, capture_output=True, check=True).stdout
import hashlib
assert k['spki_sha256'] == hashlib.sha256(der).hexdigest(), k
assert k['algorithm'] == 'ec-p384' and len(k['id']) == 32, k
assert k['roles'] == [{'kind': 'root', 'name': 'root', 'generation': 1, 'state': 'current', 'text': 'root generation 1 (current)'}], k
"
token_objects | grep -q "^${HID}root private$" || fail "p11tool does not see the root key"
RID=$(keysj "print(':'.join(a + b for a, b in zip(*[iter([k for k in j['keys'] if k['role'] == 'root'][0]['id'])] * 2)))")
[ ${#RID} -eq 47 ] || fail "root CKA_ID $RID"
p11 --list-all "pkcs11:token=$TOKEN_LABEL;object=${HID}root;type=public" >"$WORK/p11root"
grep -q "ID: $RID\$" "$WORK/p11root" || fail "p11tool shows another CKA_ID for the root key than $RID: $(cat "$WORK/p11root")"
ok "root's SPKI SHA-256 equals its certificate's public key, its CKA_ID the one p11tool shows"

# ------------------------------------------------------ leftovers, made honestly
# the points of each command, from a complete run of the same command
PLANTCA_FAULT_LOG=$WORK/log.new expect 0 pc ca new line9 --subject "/C=DE/O=Acme Plant/CN=Line 9 CA"
n=$(nth "$WORK/log.new" store.commit)
[ -n "$n" ] || fail "ca new reaches no store.commit after its key: $(cat "$WORK/log.new")"
killed "store.commit:$n" pc ca new line4 --subject "/C=DE/O=Acme Plant/CN=Line 4 CA"
expect 1 pc ca cert line4
L4=$(label_of "k['label'].startswith('${HID}ca-line4-')")
keysj "k = [k for k in j['keys'] if k['label'] == '$L4'][0]; assert k['role'] == 'unused' and k['roles'] == [] and k['spki_sha256'], k"
ok "ca new killed after the token made the key (store.commit:$n): its key $L4 is unused"

PLANTCA_FAULT_LOG=$WORK/log.roll expect 0 pc ca roll line9
n=$(nth "$WORK/log.roll" store.commit)
killed "store.commit:$n" pc ca roll line3
LR=$(label_of "k['label'].startswith('${HID}ca-line3-g2-') and k['role'] == 'unused'")
ok "ca roll killed before its intent (store.commit:$n): its key $LR is unused"

PLANTCA_FAULT_LOG=$WORK/log.tr expect 0 pc transfer roll
n=$(nth "$WORK/log.tr" hsm.sign)
killed "hsm.sign:$n" pc transfer roll
LT=$(label_of "k['label'].startswith('${HID}transfer-g3-')")
keysj "k = [k for k in j['keys'] if k['label'] == '$LT'][0]; assert k['role'] == 'unused', k
t = sorted((r['generation'], r['state']) for k in j['keys'] for r in k['roles'] if r['kind'] == 'transfer')
assert t == [(1, 'previous'), (2, 'current')], t"
ok "transfer roll killed before its record (hsm.sign:$n): $LT unused beside generations 1 (previous) and 2 (current)"

PLANTCA_FAULT_LOG=$WORK/log.fw expect 0 pc firmware signer new fw-z --ca line3 --subject "/O=Acme Plant/CN=FW Z"
n=$(nth "$WORK/log.fw" store.commit)
killed "store.commit:$n" pc firmware signer new fw-a --ca line3 --subject "/O=Acme Plant/CN=FW A"
LF=$(label_of "k['label'].startswith('${HID}fw-fw-a-')")
keysj "k = [k for k in j['keys'] if k['label'] == '$LF'][0]; assert k['role'] == 'unused', k
z = [k for k in j['keys'] if k['label'].startswith('${HID}fw-fw-z-')][0]
assert z['roles'][0]['kind'] == 'signer' and z['roles'][0]['text'] == 'firmware signer fw-z', z"
ok "firmware signer new killed after its key (store.commit:$n): $LF unused, fw-z a firmware signer"

# a pending intent: ca roll killed after its intent, before the certificate
n=$(nth "$WORK/log.roll" hsm.sign)
killed "hsm.sign:$n" pc ca roll line3
LP=$(label_of "k['label'].startswith('${HID}ca-line3-g2-') and k['role'] == 'pending'")
keysj "k = [k for k in j['keys'] if k['label'] == '$LP'][0]
assert k['roles'][0]['kind'] == 'pending' and k['roles'][0]['name'] == 'line3', k
assert 'the next command that uses the token completes' in k['roles'][0]['text'], k"
ok "ca roll killed after its intent (hsm.sign:$n): its key $LP is pending"

expect 0 pc keys
out_has "$L4  ec-p256" "$LP  ec-p256" "unused: no record of the store and no intent names it" \
  "issuing CA line9 generation 2 (current)" "issuing CA line9 generation 1 (replaced: signs only its CRL)" \
  "pending: the key of CA line3 in the intent of certificate" "firmware signer fw-z" \
  "transfer key generation 2 (current)" "transfer key generation 1 (previous)" \
  "13 key pairs of this CA home, 4 unused" "0 other objects on the token are not this CA home's"
ok "keys: 13 pairs, the 4 leftovers unused beside the used ones with their roles"

# ------------------------------------------------------------- refusals
store_before=$(store_dump)
tok_before=$(token_objects)
CKL3=$(label_of "k['roles'] and k['roles'][0]['text'] == 'issuing CA line3 generation 1 (current)'")
for row in "${HID}root|root generation 1 (current)" \
    "$CKL3|issuing CA line3 generation 1 (current)" \
    "${HID}transfer|transfer key generation 1 (previous)" \
    "${HID}audit|audit checkpoint key"; do
  l=${row%%|*} role=${row#*|}
  expect 1 pc keys remove "$l"
  # (the last line: the one before says an issuance is interrupted)
  [ "$(tail -n1 <<<"$ERR")" = "plantca: key $l is $role (the store uses it): not removed" ] ||
    fail "remove $l: $ERR"
  on_token "$l" private || fail "$l is gone from the token after a refused remove"
done
ok "remove of root, a CA, the transfer and the audit key is refused with the role; the token keeps them"
expect 1 pc keys remove "$LP"
err_has "plantca: key $LP is pending: the key of CA line3 in the intent of certificate " \
  "which the next command that uses the token completes: not removed"
on_token "$LP" private || fail "pending key gone"
ok "remove of the key a pending intent names is refused"

# bad LABEL arguments, a row each: exit status, exact message
long=$(printf 'x%.0s' $(seq 1 129))
while IFS='|' read -r arg rc msg; do
  arg=${arg//\\t/$'\t'}
  expect "$rc" pc keys remove "$arg"
  [ "$(tail -n1 <<<"$ERR")" = "$msg" ] || fail "keys remove '$arg': $ERR (expected $msg)"
done <<EOF
|2|plantca: keys remove: LABEL is empty
a\tb|2|plantca: keys remove: LABEL has a control character at byte 1
$long|2|plantca: keys remove: LABEL is longer than 128 bytes
other-key|1|plantca: key other-key: not this CA home's (its keys' labels start with $HID); plantca removes no other key
plantca-0000-root|1|plantca: key plantca-0000-root: not this CA home's (its keys' labels start with $HID); plantca removes no other key
${HID}ca-nosuch-00000000|1|plantca: key ${HID}ca-nosuch-00000000: no such key on token "$TOKEN_LABEL" (plantca keys lists them)
EOF
expect 2 pc keys remove
expect 2 pc keys remove "$L4" "$LR"
[ "$(store_dump)" = "$store_before" ] || fail "a refused remove changed the store"
[ "$(token_objects)" = "$tok_before" ] || fail "a refused remove changed the token"
ok "bad LABELs refused with exact messages; store and token unchanged by every refusal"

# ------------------------------------------------------------- removal
PLANTCA_FAULT_LOG=$WORK/log.rm expect 0 pc keys remove "$L4"
out_has "removed key $L4 (CKA_ID "
! on_token "$L4" private && ! on_token "$L4" public || fail "p11tool still lists $L4"
expect 0 pc keys
[[ "$OUT" != *"$L4"* ]] || fail "keys still lists $L4"
out_has "12 key pairs of this CA home, 3 unused"
pc --json audit log >"$WORK/audit.json" || fail "audit log"
python3 - "$L4" "$WORK/k.json" "$WORK/audit.json" <<'PY' || fail "no key.remove event for $L4"
import json, sys
ev = [e for e in json.load(open(sys.argv[3])) if e['action'] == 'key.remove']
assert len(ev) == 1 and ev[0]['object'] == sys.argv[1], ev
k = [k for k in json.load(open(sys.argv[2]))['keys'] if k['label'] == sys.argv[1]][0]
d = ev[0]['detail']
assert 'CKA_ID ' + k['id'] in d and 'SPKI SHA-256 ' + k['spki_sha256'] in d, d
PY
ok "keys remove destroys an unused key (p11tool no longer lists it), audited with label, CKA_ID and SPKI SHA-256"

# the audit event cannot be written: nothing is destroyed
before=$(store_dump)
rc=0; PLANTCA_FAULT=store.commit:1:eio pc keys remove "$LR" >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" -eq 2 ] || fail "remove with a failing commit: exit $rc: $(cat "$WORK/e")"
on_token "$LR" private && on_token "$LR" public || fail "$LR destroyed without its audit event"
[ "$(store_dump)" = "$before" ] || fail "a failed commit changed the store"
ok "remove whose audit event cannot be committed destroys nothing"

# killed between the event and the destroy: the rerun completes it
killed hsm.destroy:1 pc keys remove "$LR"
on_token "$LR" private || fail "killed before the destroy, yet $LR is gone"
expect 0 pc keys
out_has "$LR  ec-p256"
expect 0 pc keys remove "$LR"
out_has "completing an earlier removal"
! on_token "$LR" private && ! on_token "$LR" public || fail "$LR still on the token"
ok "remove killed between its audit event and the destroy leaves the key unused; the rerun destroys it"

# killed between the private and the public object
killed hsm.destroy:2 pc keys remove "$LF"
! on_token "$LF" private && on_token "$LF" public || fail "expected only the public half of $LF: $(token_objects)"
expect 0 pc keys
out_has "$LF  ?" "note: public key object only: no private key" "unused: no record"
expect 0 pc --json keys remove "$LF"
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["removed"] == sys.argv[2] and j["completes"] > 0, j' "$OUT" "$LF"
! on_token "$LF" public || fail "public half of $LF left"
ok "remove killed between the private and public object: the half is listed and the rerun removes it"

# the token fails after the event
rc=0; PLANTCA_FAULT=hsm.destroy:1:eio pc keys remove "$LT" >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" -eq 2 ] || fail "remove with a failing destroy: exit $rc"
grep -q "is recorded, but the key is still on the token: run plantca keys remove $LT again" "$WORK/e" ||
  fail "message: $(cat "$WORK/e")"
on_token "$LT" private || fail "$LT gone"
expect 0 pc keys remove "$LT"
! on_token "$LT" private || fail "$LT left"
pc --json audit log >"$WORK/audit.json" || fail "audit log"
python3 -c '
import json, sys
ev = [e for e in json.load(open(sys.argv[1])) if e["action"] == "key.remove" and e["object"] == sys.argv[2]]
assert len(ev) == 2 and "completes the key.remove of audit event %d" % ev[0]["seq"] in ev[1]["detail"], ev
' "$WORK/audit.json" "$LT"
ok "a destroy that fails after the event: the key stays unused, the second remove completes it and says so"

# the pending key becomes a CA key when the next command completes the roll
expect 0 pc crl
expect 0 pc keys
out_has "issuing CA line3 generation 2 (current)" "issuing CA line3 generation 1 (replaced: signs only its CRL)" \
  "9 key pairs of this CA home, 0 unused"
[[ "$OUT" != *"pending"* ]] || fail "still pending: $OUT"
expect 1 pc keys remove "$LP"
err_has "plantca: key $LP is issuing CA line3 generation 2 (current) (the store uses it): not removed"
ok "the pending key is line3's generation 2 once the interrupted roll is completed"

# every fault point keys remove reaches, each time it is reached, killed
# and failed (fault_sweep's way): the state left is the old key, or its
# public half, still listed unused, the audit trail verifies, and the same
# command run again removes it; two events when the first one committed
# (a fault in the commit after the destroys, the audit checkpoint's, finds
# the key removed)
n_new=$(nth "$WORK/log.new" store.commit)
runs=0
while read -r cnt point; do
  modes="kill eio"; [[ "$point" == hsm.* ]] || modes="kill eio enospc"
  for i in $(seq 1 "$cnt"); do
    for how in $modes; do
      killed "store.commit:$n_new" pc ca new "sweep$runs" --subject "/C=DE/O=Acme Plant/CN=Sweep $runs"
      L=$(label_of "k['label'].startswith('${HID}ca-sweep$runs-')")
      ev0=$(pc --json audit log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
      rc=0; PLANTCA_FAULT=$point:$i:$how pc keys remove "$L" >/dev/null 2>"$WORK/e" </dev/null || rc=$?
      ctx="keys remove at $point:$i:$how"
      case $how in kill) [ "$rc" -eq 137 ] || fail "$ctx: exit $rc" ;;
                   *) [ "$rc" -eq 2 ] || fail "$ctx: exit $rc: $(cat "$WORK/e")" ;; esac
      expect 0 pc audit verify
      # the event is committed unless the fault hit its own commit (the
      # first); a commit after the destroys (the audit checkpoint) finds
      # the key gone already
      first=yes; [ "$point:$i" != store.commit:1 ] || first=no
      if on_token "$L" private || on_token "$L" public; then
        keysj "k = [k for k in j['keys'] if k['label'] == '$L']
assert len(k) == 1 and k[0]['role'] == 'unused', ('$ctx', k)"
        expect 0 pc keys remove "$L"
        want=$([ $first = yes ] && echo 2 || echo 1)
      else
        [ $first = yes ] || fail "$ctx: key destroyed without its event"
        expect 1 pc keys remove "$L"
        err_has "no such key on token"
        want=1
      fi
      ! on_token "$L" private && ! on_token "$L" public || fail "$ctx: the rerun left $L"
      pc --json audit log >"$WORK/audit.json" </dev/null
      python3 - "$WORK/audit.json" "$L" "$ev0" "$want" <<'PY' || fail "$ctx: audit events"
import json, sys
ev = json.load(open(sys.argv[1]))
new = [e for e in ev[int(sys.argv[3]):] if e['action'] == 'key.remove']
assert all(e['object'] == sys.argv[2] for e in new), new
want = int(sys.argv[4])
assert len(new) == want, (want, new)
if want == 2:
    assert 'completes the key.remove of audit event %d' % new[0]['seq'] in new[1]['detail'], new
PY
      runs=$((runs + 1))
    done
  done
done < <(sort "$WORK/log.rm" | uniq -c)
[ "$runs" -ge 10 ] || fail "only $runs fault runs: $(sort "$WORK/log.rm" | uniq -c)"
expect 0 pc audit verify
ok "keys remove killed or failed at each of its $runs fault points and modes: the rerun completes it"

# root roll killed after its key (its first signature, the new root's own
# certificate), then run to its end: root generations 1 and 2, and the
# killed run's key unused
rm -f "$WORK/log.rr"
PLANTCA_FAULT_LOG=$WORK/log.rr killed hsm.sign:1 pc root roll
[ "$(grep -n . "$WORK/log.rr" | grep -E ':hsm\.(keygen|sign)$' | tail -2 | cut -d: -f2 | tr '\n' ' ')" = "hsm.keygen hsm.sign " ] ||
  fail "root roll was not killed at its first signature after its key: $(cat "$WORK/log.rr")"
LRR=$(label_of "k['label'].startswith('${HID}root-g2-') and k['role'] == 'unused'")
expect 0 pc root roll
keysj "
r = sorted((x['generation'], x['state'], k['label']) for k in j['keys'] for x in k['roles'] if x['kind'] == 'root')
assert [(g, s) for g, s, _ in r] == [(1, 'replaced'), (2, 'current')], r
assert r[0][2] == '${HID}root' and r[1][2].startswith('${HID}root-g2-') and r[1][2] != '$LRR', r
assert [k['role'] for k in j['keys'] if k['label'] == '$LRR'] == ['unused']
assert j['unused'] == 1, j['unused']"
expect 0 pc keys remove "$LRR"
expect 1 pc keys remove "${HID}root"
err_has "plantca: key ${HID}root is root generation 1 (replaced: signs only its CRL) (the store uses it): not removed"
ok "root roll killed after its key leaves it unused; the completed roll's roots are generations 2 (current) and 1 (replaced)"

# ------------------------------------------------------------- other objects
p11 --generate-privkey=ECDSA --curve=secp256r1 --label=other-key "pkcs11:token=$TOKEN_LABEL" >/dev/null ||
  fail "p11tool could not make a key"
p11 --generate-privkey=ECDSA --curve=secp256r1 --label=plantca-0000-root "pkcs11:token=$TOKEN_LABEL" >/dev/null
expect 0 pc keys
out_has "10 key pairs of this CA home, 0 unused" "4 other objects on the token are not this CA home's"
[[ "$OUT" != *"other-key"* && "$OUT" != *"plantca-0000-root"* ]] || fail "keys lists another's key: $OUT"
expect 1 pc keys remove other-key
on_token other-key private || fail "other-key touched"
ok "keys of others (another label, another CA home's) are counted, never listed or removed"

# the same label as a used key, another CKA_ID: matched by URI, not label
p11 --generate-privkey=ECDSA --curve=secp384r1 --label="${HID}root" "pkcs11:token=$TOKEN_LABEL" >/dev/null
keysj "r = [k for k in j['keys'] if k['label'] == '${HID}root']
assert sorted(k['role'] for k in r) == ['root', 'unused'], r"
expect 1 pc keys remove "${HID}root"
err_has "key ${HID}root: 2 key pairs on token \"$TOKEN_LABEL\" have this label (different CKA_IDs): not removed"
ok "a second key with the root's label but another CKA_ID is unused, the root still root; remove refuses the ambiguity"

expect 0 pc audit verify
ok "audit verify passes"
done_testing
