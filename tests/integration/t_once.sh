#!/usr/bin/env bash
# Exactly once: every request yields at most one certificate, whatever is
# killed when and however many plantca processes run (issue 9, item 1).
#  1. `plantca sign` killed with SIGKILL at its first signature (fault point
#     hsm.sign), right after its first issuance
#     intents are committed, then run again: every request is issued once,
#     the interrupted ones linked to their requests.
#  2. two `plantca sign` started at once: one is refused ("in use by pid"),
#     and between them every request is issued once.
#  3. `plantca audit verify` finds a request with two certificates and a
#     certificate without its request in a store edited to hold them.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

N=${ONCE_CSRS:-2000}
make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
# one key, many requests: key generation is not what this test is about
mkdir "$WORK/dev" "$WORK/usb"
mkcsr p256 dev "$WORK/dev/0.csr"
for i in $(seq 1 "$N"); do cp "$WORK/dev/0.csr" "$WORK/dev/$i.csr"; done
rm "$WORK/dev/0.csr" "$WORK/dev/0.csr.key"

# bundle N requests, import and approve them all
queue() {
  rm -f "$WORK"/usb/*
  expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
    "$WORK"/dev/*.csr -o "$WORK/usb"
  expect 0 pc import "$WORK"/usb/*.tar
  expect 0 pc approve --all
}

# The invariants, judged from the store's JSON and by audit verify:
# as many leaf certificates as issued requests, no request with two, every
# certificate's serial named by exactly one issued request.
judge() {
  local what=$1
  expect 0 pc audit verify
  pc --json certs >"$WORK/certs.json"
  pc --json requests >"$WORK/reqs.json"
  python3 - "$WORK/certs.json" "$WORK/reqs.json" "$what" <<'PY' || fail "$what: a request was issued twice"
import json, sys
certs = [c for c in json.load(open(sys.argv[1])) if c["kind"] == "leaf"]
reqs = json.load(open(sys.argv[2]))
issued = [r for r in reqs if r["status"] == "issued"]
left = [r for r in reqs if r["status"] not in ("issued", "rejected")]
serials = [r["serial"] for r in issued]
assert not left, "%s: %d requests not issued: %s" % (sys.argv[3], len(left), left[:3])
assert len(serials) == len(set(serials)), "two requests name one serial"
assert len(certs) == len(issued), "%s: %d leaf certificates for %d issued requests" % (
    sys.argv[3], len(certs), len(issued))
assert set(c["serial"] for c in certs) == set(serials), "certificates without their request"
print("%s: %d requests, %d certificates" % (sys.argv[3], len(issued), len(certs)))
PY
}

# --- 1. a crash between the intents and the certificates
queue
intents() { mdb_stat -s intents "$CAHOME/db" 2>/dev/null | sed -n 's/^ *Entries: //p'; }
# the first group's intents are committed before the token signs them:
# kill there, at the first signature (fault point hsm.sign; without fault
# points, a kill timed by watching the store, which a fast sign can outrun)
if [ "${FAULT_POINTS:-false}" = true ]; then
  rc=0
  PLANTCA_FAULT=hsm.sign:1:kill "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >/dev/null \
    2>"$WORK/sign1.err" </dev/null || rc=$?
  [ "$rc" -eq 137 ] || fail "sign was not killed at its first signature: exit $rc: $(cat "$WORK/sign1.err")"
else
  "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >/dev/null 2>"$WORK/sign1.err" &
  pid=$!
  n=0
  for _ in $(seq 1 3000); do
    n=$(intents); [ "${n:-0}" -gt 0 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "${n:-0}" -gt 0 ] || fail "sign ended before any intent was seen: $(cat "$WORK/sign1.err")"
fi
pending=$(intents)
[ "${pending:-0}" -gt 0 ] || fail "the kill came after the certificates were committed"
expect 0 pc requests --status signing
out_has "signing"
ok "sign killed with $pending issuance intents committed; their requests are 'signing'"

expect 0 pc sign
err_has "completed $pending interrupted issuance(s)"
signed=$(sed -n 's/^signed \([0-9]*\) request(s).*/\1/p' <<<"$OUT")
[ $((signed + pending)) -eq "$N" ] || fail "signed $signed after completing $pending, of $N"
judge "after a crash"
expect 0 pc sign
out_has "no approved requests to sign"
ok "the next sign completed the $pending interrupted ones and signed the other $signed: $N requests, $N certificates"

# --- 2. two sign runs started at the same moment
queue
"$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >"$WORK/a.out" 2>"$WORK/a.err" & a=$!
"$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >"$WORK/b.out" 2>"$WORK/b.err" & b=$!
ra=0; wait "$a" || ra=$?
rb=0; wait "$b" || rb=$?
# whichever lost the race for the lock says who holds it
if [ "$ra" -ne 0 ]; then lose=a; rl=$ra; else lose=b; rl=$rb; fi
if [ "$ra" -ne 0 ] || [ "$rb" -ne 0 ]; then
  [ "$rl" -eq 1 ] || fail "the refused sign exited $rl: $(cat "$WORK/$lose.err")"
  grep -q "is in use by pid [0-9]*" "$WORK/$lose.err" || fail "no 'in use by pid': $(cat "$WORK/$lose.err")"
fi
expect 0 pc sign      # whatever either left behind
judge "two concurrent signs"
ok "two sign runs at once: one refused while the other held the CA home ($ra/$rb); each request issued once"

# The lock is a convenience; the guarantee is inside the transactions.
# Someone removes HOME/lock while a sign runs (as one might remove a "stale"
# lock): a second sign then runs side by side with the first, and still no
# request is issued twice.
queue
"$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >"$WORK/a.out" 2>"$WORK/a.err" & a=$!
# wait until the first holds the lock (the file names its pid), then remove it
for _ in $(seq 1 1000); do [ "$(cat "$CAHOME/lock" 2>/dev/null)" = "$a" ] && break; sleep 0.01; done
[ "$(cat "$CAHOME/lock" 2>/dev/null)" = "$a" ] || fail "the first sign never took the lock"
rm -f "$CAHOME/lock"
"$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >"$WORK/b.out" 2>"$WORK/b.err" & b=$!
ra=0; wait "$a" || ra=$?
rb=0; wait "$b" || rb=$?
[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] || fail "side-by-side signs: $ra $(cat "$WORK/a.err") / $rb $(cat "$WORK/b.err")"
expect 0 pc sign
judge "two signs side by side, lock removed"
ok "two sign runs side by side without the lock: each request still issued once ($(head -1 "$WORK/a.out") / $(head -1 "$WORK/b.out"))"

# a read-only command runs while the CA home is locked
"$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >/dev/null 2>&1 &
s=$!
expect 0 pc certs --segment line3
wait "$s" || true
ok "read-only commands do not take the lock"

# --- the station's sequence numbers are used once too: two requests at
# the same moment on one station directory; one is refused, and every
# bundle written imports
mkdir "$WORK/usb-a" "$WORK/usb-b"
"$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev/1.csr" -o "$WORK/usb-a" >/dev/null 2>"$WORK/sa.err" & a=$!
"$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev/2.csr" -o "$WORK/usb-b" >/dev/null 2>"$WORK/sb.err" & b=$!
ra=0; wait "$a" || ra=$?
rb=0; wait "$b" || rb=$?
n=$(find "$WORK/usb-a" "$WORK/usb-b" -name '*.tar' | wc -l)
if [ "$ra" -ne 0 ] || [ "$rb" -ne 0 ]; then
  [ "$n" -eq 1 ] || fail "one request refused but $n bundles written"
  cat "$WORK/sa.err" "$WORK/sb.err" | grep -q "is in use by pid" || fail "no 'in use by pid': $(cat "$WORK/sa.err" "$WORK/sb.err")"
fi
for f in $(find "$WORK/usb-a" "$WORK/usb-b" -name '*.tar' | sort); do expect 0 pc import "$f"; done
ok "two station requests at once: $n bundle(s), each with its own sequence, each imported"

# --- 3. audit verify judges the store, not only the chain
cp -a "$CAHOME" "$WORK/ca.orig"
mdb_dump -a "$CAHOME/db" >"$WORK/dump"
python3 - "$WORK/dump" dup <<'PY' >"$WORK/dump.dup"
import sys
lines = open(sys.argv[1]).read().split("\n")
out, i, done = [], 0, False
while i < len(lines):
    out.append(lines[i]); i += 1
    if lines[i - 1] != "database=certs" or done:
        continue
    while lines[i] != "HEADER=END":
        out.append(lines[i]); i += 1
    out.append(lines[i]); i += 1
    k, v = lines[i].strip(), lines[i + 1].strip()
    # a second certificate record claiming the first one's request, under
    # a new serial
    k2 = k[:-2] + ("00" if k[-2:] != "00" else "01")
    out += [" " + k2, " " + v.replace(k, k2)]
    done = True
sys.stdout.write("\n".join(out))
PY
rm -rf "$CAHOME/db" && mkdir -m 700 "$CAHOME/db"
mdb_load -f "$WORK/dump.dup" "$CAHOME/db" 2>/dev/null || fail "mdb_load"
expect 1 pc audit verify
err_has "store check failed:"
# written behind the record functions' back, the second record is also in
# none of the certificate indexes, and audit verify says so too
out_has "has two certificates" "is missing from the expiry index" "is missing from the segment index" \
  "the expiry index has"
[ "$(grep -c 'has two certificates' <<<"$OUT")" -eq 1 ] || fail "not one two-certificates finding: $OUT"
ok "audit verify finds a request with two certificates (and the record missing from the indexes)"

rm -rf "$CAHOME" && cp -a "$WORK/ca.orig" "$CAHOME"
req1=$(python3 -c 'import json,sys; print([r["id"] for r in json.load(open(sys.argv[1])) if r["status"]=="issued"][0])' "$WORK/reqs.json")
python3 - "$WORK/dump" "$req1" <<'PY' >"$WORK/dump.orphan"
import sys
lines = open(sys.argv[1]).read().split("\n")
key = " %016x" % int(sys.argv[2])
out, i, db = [], 0, None
while i < len(lines):
    if lines[i].startswith("database="):
        db = lines[i][9:]
    if db == "requests" and lines[i] == key:
        i += 2            # drop the request record: its certificate is now an orphan
        continue
    out.append(lines[i]); i += 1
sys.stdout.write("\n".join(out))
PY
rm -rf "$CAHOME/db" && mkdir -m 700 "$CAHOME/db"
mdb_load -f "$WORK/dump.orphan" "$CAHOME/db" 2>/dev/null || fail "mdb_load"
expect 1 pc audit verify
out_has "which does not exist (a certificate without its request)"
ok "audit verify finds a certificate without its request"
done_testing
