#!/usr/bin/env bash
# plantca-station's command line comes from one verb table (issue 10 point
# 3), and this test holds the program to what its help says:
#  - `--help` lists the verbs; each listed verb has `VERB --help`, which
#    names it in its usage line and lists the options it takes, every option
#    of its synopsis among them;
#  - every option the program knows is refused by a verb whose help does not
#    list it ("plantca-station: VERB: option --X does not apply", exit 2) and
#    accepted by one whose help does;
#  - every listed verb dispatches to its own handler (its own message), the
#    wrong number of operands is a usage error, and request and accept hold
#    DIR/lock while init and verify-firmware do not.
# A verb added to the table without a case here fails the test.
#
# Environment: STATION (plantca-station).
set -euo pipefail
: "${STATION:?}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/plantca-station-cli.XXXXXX")
LOCKER=
trap 'rc=$?; [ -z "$LOCKER" ] || kill "$LOCKER" 2>/dev/null || true
  if [ $rc -ne 0 ]; then echo "FAILED (work dir kept: $WORK)" >&2; else rm -rf "$WORK"; fi' EXIT
cd "$WORK"

checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
expect() {
  local want=$1; shift
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
  OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
  if [ "$rc" -ne "$want" ]; then
    echo "--- stdout:"; echo "$OUT"; echo "--- stderr:"; echo "$ERR"
    fail "exit $rc, expected $want: $*"
  fi
}
err_has() { local f; for f in "$@"; do [[ "$ERR" == *"$f"* ]] || fail "stderr lacks '$f': $ERR"; done; }
st() { "$STATION" "$@"; }

# the options of a help text's "Options:" section, one "--name ARG" or
# "--name" per line (ARG: the metavariable, when it takes one)
options_of() {
  sed -n '/^Options:$/,/^$/p' | sed -n 's/^  \(-[a-z], \)\{0,1\}--\([a-z-]*\)\( [A-Z_:]*\)\{0,1\} .*/--\2\3/p'
}

# ------------------------------------------------------------ the verbs
expect 0 st --help
help_all=$OUT
verbs=$(sed -n '/^Verbs:$/,/^$/p' <<<"$help_all" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(echo $verbs)" = "init request rekey accept scan verify-firmware audit-check ra-key status serve" ] \
  || fail "--help lists the verbs '$(echo $verbs)'; a new verb needs its cases in this test"
all_opts=$(options_of <<<"$help_all")
[ "$(wc -l <<<"$all_opts")" -ge 16 ] || fail "--help lists too few options: $all_opts"
ok "--help lists the verbs $(echo $verbs) and $(wc -l <<<"$all_opts") options"

expect 2 st
err_has "no verb given"
expect 2 st frobnicate
err_has "unknown verb 'frobnicate'"
expect 2 st frobnicate --help
err_has "unknown verb 'frobnicate'"
ok "no verb, an unknown verb (with or without --help): usage errors"

for v in $verbs; do
  expect 0 st "$v" --help
  [[ "$(head -1 <<<"$OUT")" == "usage: plantca-station $v "* ]] || fail "$v --help: first line $(head -1 <<<"$OUT")"
  [[ "$OUT" == *"Exit status"* ]] || fail "$v --help has no exit status"
  mine=$(options_of <<<"$OUT")
  [ -n "$mine" ] || fail "$v --help lists no options"
  # the same text for -h, and for --help given before the verb
  expect 0 st -h "$v"
  [ "$(options_of <<<"$OUT")" = "$mine" ] || fail "-h $v differs from $v --help"
  # every option in the usage lines is one the verb takes
  usage=$(st "$v" --help | sed '/^$/,$d')
  for o in $(grep -o -- '--[a-z][a-z-]*' <<<"$usage" | sort -u); do
    grep -q -- "^$o\( \|$\)" <<<"$mine" || fail "$v: usage names $o, which its Options do not list"
  done
  # every known option: taken if listed, else refused by name
  while read -r name arg; do
    [ "$name" = --help ] && continue
    args=("$name"); [ -z "$arg" ] || args+=(x)
    rc=0; st "$v" "${args[@]}" >/dev/null 2>"$WORK/err" </dev/null || rc=$?
    ERR=$(cat "$WORK/err")
    if grep -q -- "^$name\( \|$\)" <<<"$mine"; then
      [[ "$ERR" != *"does not apply"* ]] || fail "$v refuses $name, which its help lists: $ERR"
    else
      [ "$rc" -eq 2 ] || fail "$v $name: exit $rc, expected 2"
      [ "$(head -1 <<<"$ERR")" = "plantca-station: $v: option $name does not apply" ] \
        || fail "$v $name: $ERR"
    fi
  done <<<"$all_opts"
  ok "$v --help: usage line and $(wc -l <<<"$mine") options; every other option refused by name"
done

# the short form is named as typed, and a refusal comes before anything runs
expect 2 st init NOSUCH -o media
[ "$(head -1 <<<"$ERR")" = "plantca-station: init: option -o does not apply" ] || fail "$ERR"
expect 2 st request NOSUCH --profile p x.csr -o media --layout opcua
[ "$(head -1 <<<"$ERR")" = "plantca-station: request: option --layout does not apply" ] || fail "$ERR"
expect 2 st --out pki init NOSUCH
[ "$(head -1 <<<"$ERR")" = "plantca-station: init: option --out does not apply" ] || fail "$ERR"
[ ! -e NOSUCH ] && [ ! -e media ] && [ ! -e pki ] || fail "a refused command created something"
ok "-o named as typed; options before the verb are held to the same table; nothing created"

# ------------------------------------------------------------ dispatch
# each verb reaches its own handler, which names what is missing
expect 2 st init NOSUCH
err_has "init needs --segment, --ca-key and --trust"
expect 2 st request NOSUCH x.csr
err_has "request: -o MEDIA_DIR is required"
expect 2 st accept NOSUCH b.tar
err_has "accept: --out PKI_DIR is required"
expect 1 st scan NOSUCH tls://127.0.0.1:1
err_has "NOSUCH: not a station directory"
expect 2 st scan NOSUCH ftp://127.0.0.1:1 --timeout 0
err_has "--timeout '0': expected 1..300"
expect 1 st verify-firmware NOSUCH img sig
err_has "NOSUCH: not a station directory"
expect 1 st audit-check NOSUCH trail
err_has "NOSUCH: not a station directory"
expect 1 st status NOSUCH
err_has "NOSUCH: not a station directory"
# every verb but init, with its arguments, in a directory that is no station
expect 1 st request NOSUCH --profile p x.csr -o media
err_has "NOSUCH: not a station directory"
expect 1 st accept NOSUCH b.tar --out pki
err_has "NOSUCH: not a station directory"
expect 1 st ra-key NOSUCH
err_has "NOSUCH: not a station directory"
expect 2 st rekey NOSUCH
err_has "rekey: -o MEDIA_DIR is required"
expect 1 st rekey NOSUCH -o media
err_has "NOSUCH: not a station directory"
expect 1 st serve NOSUCH --listen 127.0.0.1:0
err_has "NOSUCH: not a station directory"
[ ! -e NOSUCH ] && [ ! -e media ] && [ ! -e pki ] || fail "a refused command created something"
ok "init, request, accept, scan, verify-firmware, audit-check and status each dispatch to their handler"

expect 2 st init
err_has "usage: plantca-station init DIR"
expect 2 st init A B
err_has "usage: plantca-station init DIR"
# request DIR alone is a command (it carries the CMP requests serve queued)
expect 2 st request NOSUCH
err_has "-o MEDIA_DIR is required"
expect 2 st scan NOSUCH
err_has "usage: plantca-station scan DIR TARGET..."

expect 2 st accept NOSUCH
err_has "usage: plantca-station accept DIR BUNDLE.tar"
expect 2 st accept NOSUCH a.tar b.tar
err_has "usage: plantca-station accept DIR BUNDLE.tar"
expect 2 st verify-firmware NOSUCH img
err_has "usage: plantca-station verify-firmware DIR IMAGE SIG"
expect 2 st audit-check NOSUCH
err_has "usage: plantca-station audit-check DIR TRAIL"
expect 2 st status
err_has "usage: plantca-station status DIR"
expect 2 st status A B
err_has "usage: plantca-station status DIR"
ok "too few or too many operands: the verb's usage line"

# ------------------------------------------------------------ the lock
mkdir S && printf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n' >S/station.conf
python3 - S/lock <<'PY' &
import fcntl, os, sys, time
f = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[1] + ".held", "w").close()
time.sleep(60)
PY
LOCKER=$!
for _ in $(seq 100); do [ -e S/lock.held ] && break; sleep 0.1; done
[ -e S/lock.held ] || fail "the test could not take S/lock"
expect 1 st request S --profile p x.csr -o media
err_has "S is in use by pid $LOCKER"
expect 1 st accept S b.tar --out pki
err_has "S is in use by pid $LOCKER"
expect 1 st rekey S -o media
err_has "S is in use by pid $LOCKER"
expect 2 st init S --segment line3 --ca-key k --trust r
[[ "$ERR" != *"in use"* ]] || fail "init took the lock: $ERR"
expect 2 st verify-firmware S img sig
[[ "$ERR" != *"in use"* ]] || fail "verify-firmware took the lock: $ERR"
expect 2 st scan S ftp://127.0.0.1:1
[[ "$ERR" != *"in use"* ]] || fail "scan took the lock: $ERR"
expect 1 st audit-check S trail
[[ "$ERR" != *"in use"* ]] || fail "audit-check took the lock: $ERR"
expect 2 st status S
err_has "S/station.pub: cannot open"
kill "$LOCKER"; wait "$LOCKER" 2>/dev/null || true; LOCKER=
ok "request, rekey and accept hold DIR/lock; init, scan, verify-firmware, audit-check and status do not"
echo "$checks checks passed"
