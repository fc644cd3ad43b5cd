#!/usr/bin/env bash
# kill -9 at many points during a batch of issuances.  After every kill:
# the store opens, no serial appears twice, every certificate file on disk has
# its record (and is complete), and the next signing run completes whatever
# the crash interrupted.
. "$(dirname "$0")/lib.sh"

make_ca
N=${CRASH_CSRS:-600}
ROUNDS=${CRASH_ROUNDS:-12}
mkdir "$WORK/csr"
# one key, many requests: key generation is not what this test is about
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/k.pem" 2>/dev/null
for i in $(seq 1 "$N"); do
  openssl req -new -key "$WORK/k.pem" -subj "/CN=dev-$i" -out "$WORK/csr/$i.csr" 2>/dev/null
done
ok "$N CSRs made"

serials_in_store() { pc --json certs | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [c["serial"] for c in d]
assert len(s) == len(set(s)), "duplicate serial in the store"
print("\n".join(s))'; }

# One uninterrupted run measures how long a batch takes; the kills are then
# spread evenly over that time: parsing, intents, signing, the commits, the
# file writes.
# The shorter of two uninterrupted runs: a run slowed by a busy machine
# would put the late kills after the end.
T=
for c in a b; do
  mkdir "$WORK/out0$c"
  t0=$(date +%s%N)
  expect 0 pc issue "$WORK"/csr/*.csr --ca line3 --profile tls-client --out-dir "$WORK/out0$c"
  t=$(( ($(date +%s%N) - t0) / 1000 ))     # microseconds
  if [ -z "$T" ] || [ "$t" -lt "$T" ]; then T=$t; fi
done
ok "uninterrupted batch of $N took $((T / 1000)) ms"

killed=0
for r in $(seq 1 "$ROUNDS"); do
  out=$WORK/out$r
  mkdir "$out"
  # the binary itself, not the pc() wrapper: $! must be plantca's pid
  "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" issue "$WORK"/csr/*.csr --ca line3 \
    --profile tls-client --out-dir "$out" >/dev/null 2>"$WORK/crash.err" &
  pid=$!
  delay=$(( T * r / (ROUNDS + 1) ))
  sleep "$((delay / 1000000)).$(printf '%06d' $((delay % 1000000)))"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true

  # the store opens and lists without a PIN; serials are unique
  serials_in_store >"$WORK/serials" || fail "round $r: store does not open or has duplicates"
  # every file written has a record; each file is complete (a sample is
  # also read back by OpenSSL)
  python3 - "$out" "$WORK/serials" <<'PY' || fail "round $r: a file without its record, or a partial file"
import base64, os, sys
out, serials = sys.argv[1], set(open(sys.argv[2]).read().split())
for f in os.listdir(out):
    if ".tmp." in f:
        continue
    s = f[:-4]
    assert f.endswith(".pem") and s in serials, f + " has no record in the store"
    t = open(os.path.join(out, f)).read()
    assert t.startswith("-----BEGIN CERTIFICATE-----\n") and t.endswith("-----END CERTIFICATE-----\n"), f
    base64.b64decode("".join(t.splitlines()[1:-1]), validate=True)
PY
  for f in $(ls "$out" | grep -v '\.tmp\.' | head -5); do
    fs=$(openssl x509 -in "$out/$f" -noout -serial | cut -d= -f2 | tr A-F a-f) || fail "round $r: $f unreadable"
    [ "$fs.pem" = "$f" ] || fail "round $r: $f holds serial $fs"
  done
done
[ "$killed" -ge 3 ] || fail "only $killed of $ROUNDS runs were killed mid-way"
ok "$ROUNDS runs, $killed killed mid-way: store always opens, no duplicate serial, no file without its record"

# Every command reports interrupted issuances; the next signing run
# completes them (and says so).  Over the rounds some kill must have landed
# between the intent commit and the certificate commit.
recovered=$(pc audit log | grep -c 'issue.recovered' || true)
[ "$recovered" -gt 0 ] || fail "no kill landed between intent and certificate commits; no recovery was exercised"
expect 0 pc ca list
pending=$(sed -n 's/.* \([0-9][0-9]*\) issuance(s) were interrupted.*/\1/p' <<<"$ERR")
mkcsr p256 after "$WORK/after.csr" "DNS:after.line3.plant.local"
expect 0 pc issue "$WORK/after.csr" --ca line3 --profile tls-server -o "$WORK/after.pem"
if [ -n "$pending" ]; then
  err_has "completed $pending interrupted issuance(s)"
fi
expect 0 pc ca list
[[ "$ERR" != *interrupted* ]] || fail "intents left after a signing run: $ERR"
ok "interrupted issuances were recovered ($recovered over the rounds; ${pending:-0} pending at the end, now none)"

expect 0 pc audit verify
n_certs=$(pc --json certs | python3 -c 'import json,sys; print(len([c for c in json.load(sys.stdin) if c["kind"]=="leaf"]))')
n_events=$(pc audit log | grep -cE ' issue(\.recovered)? ' || true)
[ "$n_certs" -eq "$n_events" ] || fail "$n_certs leaf certificates but $n_events issue events"
ok "audit intact; one event per certificate ($n_certs)"

# every recorded certificate verifies
pc --json certs | python3 -c 'import json,sys; [print(c["serial"]) for c in [c for c in json.load(sys.stdin) if c["kind"]=="leaf"][:40]]' |
while read -r s; do
  pc show "$s" --pem >"$WORK/c.pem"
  openssl verify -x509_strict -CAfile "$WORK/root.pem" -untrusted "$WORK/line3.pem" "$WORK/c.pem" >/dev/null \
    || fail "$s does not verify"
done
ok "recorded certificates verify"
done_testing
