# Shared helpers for the integration tests: each test sources this, gets a
# private SoftHSM2 token and CA home in a temp dir, and drives the real CLI.
#
# Environment (set by tests/integration/meson.build):
#   PLANTCA         path to the plantca binary
#   SOFTHSM_MODULE  PKCS#11 module
#   SRCDIR          source tree root
set -euo pipefail

: "${PLANTCA:?}" "${SOFTHSM_MODULE:?}" "${SRCDIR:?}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/plantca-test.XXXXXX")
trap 'rc=$?; if [ $rc -ne 0 ]; then echo "FAILED (work dir kept: $WORK)" >&2; else rm -rf "$WORK"; fi' EXIT
CAHOME=$WORK/ca
TOKEN_LABEL=plantca-test
eval "$("$SRCDIR/scripts/softhsm-token" "$WORK/hsm" "$TOKEN_LABEL")"
PIN=$WORK/hsm/pin
export SOFTHSM2_CONF

checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

pc() { "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
# faketime under a sanitizer build: libfaketime is preloaded ahead of the
# ASan runtime, so ASan's link-order check must be off for these runs
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime "$@"; }

# expect RC CMD... : run, capture stdout/stderr in $OUT/$ERR, check exit code
expect() {
  local want=$1; shift
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
  if [ "$rc" -ne "$want" ]; then
    echo "--- stdout:"; echo "$OUT"; echo "--- stderr:"; echo "$ERR"
    fail "exit $rc, expected $want: $*"
  fi
}
# the last command's stderr must contain every given fragment
err_has() { local f; for f in "$@"; do [[ "$ERR" == *"$f"* ]] || fail "stderr lacks '$f': $ERR"; done; }
out_has() { local f; for f in "$@"; do [[ "$OUT" == *"$f"* ]] || fail "stdout lacks '$f': $OUT"; done; }

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

done_testing() { echo "$checks checks passed"; }
