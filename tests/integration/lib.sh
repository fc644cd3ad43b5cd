# The one helper library of the shell tests: each test sources it.
#
#   . "$(dirname "$0")/lib.sh"             a private SoftHSM2 token and CA home
#   . "$(dirname "$0")/lib.sh" --no-token  only the work dir and the helpers
#                                          (plantca-station on its own)
#
# Environment (set by tests/integration/meson.build):
#   PLANTCA         path to the plantca binary           (token tests)
#   SOFTHSM_MODULE  PKCS#11 module                       (token tests)
#   SRCDIR          source tree root; tests read nothing outside it
#   STATION         path to plantca-station              (where used)
#
# Exit status, as meson reads it: 0 every check passed; 1 a check failed
# (fail); 77 skipped (need, or a part skipped with skip_part), with the
# reason on stderr, never counted as a pass.
set -euo pipefail

lib_token=yes
if [ "${1:-}" = --no-token ]; then lib_token=no; fi
: "${SRCDIR:?}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/plantca-test.XXXXXX")
lib_cleanup=()
# at_exit CMD...: run CMD when the test ends, before the work dir goes
at_exit() { lib_cleanup+=("$*"); }
lib_exit() {
  local rc=$? c
  for c in "${lib_cleanup[@]}"; do eval "$c" || true; done
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
    echo "FAILED (work dir kept: $WORK)" >&2
  else
    rm -rf "$WORK"
  fi
}
trap lib_exit EXIT

checks=0
skipped=()
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

# need CMD WHY: skip the whole test (77) when CMD is not installed
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 not installed: $2" >&2; exit 77; }; }
# skip_part WHAT: a part of the test could not run (its checks are left
# out); the test goes on and done_testing then ends it with 77, not 0
skip_part() { skipped+=("$*"); echo "# SKIP $*"; }

# expect RC CMD... : run with stdin from /dev/null (nothing waits on a
# terminal), stdout/stderr in $OUT/$ERR, check the exit code
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
# the last command's stderr / stdout must contain every given fragment
err_has() { local f; for f in "$@"; do [[ "$ERR" == *"$f"* ]] || fail "stderr lacks '$f': $ERR"; done; }
out_has() { local f; for f in "$@"; do [[ "$OUT" == *"$f"* ]] || fail "stdout lacks '$f': $OUT"; done; }

mode() { stat -c %a "$1"; }
# a canonical picture of a directory tree: every file's name, mode and hash
snap() { if [ -d "$1" ]; then (cd "$1" && find . -type f -printf '%p %m\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum); else echo absent; fi; }
# a certificate's serial, lower-case hex
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
# CSRs with the exact bytes and ASN.1 string types given (mkcsr_raw.py)
raw() { python3 "$SRCDIR/tests/integration/mkcsr_raw.py" "$@"; }
st() { "$STATION" "$@"; }

done_testing() {
  echo "$checks checks passed"
  if [ "${#skipped[@]}" -gt 0 ]; then
    local s
    for s in "${skipped[@]}"; do echo "SKIP: $s" >&2; done
    exit 77
  fi
}

[ "$lib_token" = yes ] || return 0

# ---------------------------------------------------------------- token tests
: "${PLANTCA:?}" "${SOFTHSM_MODULE:?}"
CAHOME=$WORK/ca
TOKEN_LABEL=plantca-test
eval "$("$SRCDIR/scripts/softhsm-token" "$WORK/hsm" "$TOKEN_LABEL")"
PIN=$WORK/hsm/pin
export SOFTHSM2_CONF

pc() { "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
# faketime under a sanitizer build: libfaketime is preloaded ahead of the
# ASan runtime, so ASan's link-order check must be off for these runs
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime "$@"; }

# mkcsr KEY CN OUT [SAN]   KEY: p256 p384 rsa2048 rsa3072 ed25519
mkcsr() {
  local key=$1 cn=$2 out=$3 san=${4:-}
  local kf=$out.key
  case $key in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$kf" 2>/dev/null ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$kf" 2>/dev/null ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$kf" 2>/dev/null ;;
    rsa3072) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$kf" 2>/dev/null ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$kf" 2>/dev/null ;;
    *) fail "mkcsr: unknown key $key" ;;
  esac
  if [ -n "$san" ]; then
    openssl req -new -key "$kf" -subj "/O=Acme Plant/CN=$cn" -addext "subjectAltName=$san" -out "$out"
  else
    openssl req -new -key "$kf" -subj "/O=Acme Plant/CN=$cn" -out "$out"
  fi
}

# A CA home with a P-384 root and an issuing CA "line3".
make_ca() {
  expect 0 pc init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
    --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA"
  expect 0 pc ca new line3 --subject "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" \
    --permit dns:line3.plant.local --permit ip:10.3.0.0/16
  pc ca cert root >"$WORK/root.pem"
  pc ca cert line3 >"$WORK/line3.pem"
}

# Canonical dump of the whole store: equal dumps mean an unchanged store.
store_dump() { mdb_dump -a "$CAHOME/db" 2>/dev/null | sha256sum | cut -d' ' -f1; }
