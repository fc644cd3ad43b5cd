#!/usr/bin/env bash
# Bad CSRs are refused with a message naming the file and the reason, exit 1,
# and leave the store exactly as it was (compared with mdb_dump).
. "$(dirname "$0")/lib.sh"

make_ca
mkcsr p256 good "$WORK/good.csr" "DNS:good.line3.plant.local"

# broken signature: flip one byte near the end of the DER (inside the signature)
openssl req -in "$WORK/good.csr" -outform DER -out "$WORK/good.der"
python3 - "$WORK/good.der" "$WORK/badsig.csr" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-5] ^= 0x01
open(sys.argv[2], "wb").write(d)
PY
# truncated: the first 150 bytes of the DER, and a PEM cut in the middle
head -c 150 "$WORK/good.der" >"$WORK/trunc.csr"
head -n 4 "$WORK/good.csr" >"$WORK/trunc-pem.csr"
# explicit curve parameters
openssl ecparam -name prime256v1 -param_enc explicit -genkey -out "$WORK/explicit.key" 2>/dev/null
openssl req -new -key "$WORK/explicit.key" -subj "/CN=explicit" -out "$WORK/explicit.csr"
# 1 MiB of garbage
head -c 1048576 /dev/urandom >"$WORK/garbage.csr"
# 4 KiB of garbage (below the size cap: the parser must refuse it)
head -c 4096 /dev/urandom >"$WORK/garbage4k.csr"
# RSA-1024
openssl req -new -newkey rsa:1024 -nodes -keyout /dev/null -subj "/CN=weak" -out "$WORK/weak.csr" 2>/dev/null
# a certificate where a CSR should be
cp "$WORK/line3.pem" "$WORK/notacsr.csr"

before=$(store_dump)
audit_before=$(pc audit log)
check() {   # FILE FRAGMENT...
  local f=$1; shift
  expect 1 pc issue "$f" --ca line3 --profile tls-server -o "$WORK/out.pem"
  err_has "$f" "$@"
  [[ "$ERR" == plantca:* ]] || fail "message not in 'plantca: WHAT: WHY' form: $ERR"
  [ ! -e "$WORK/out.pem" ] || fail "$f: an output file was written"
  [ "$(store_dump)" = "$before" ] || fail "$f: the store changed"
  ok "$(basename "$f"): refused: ${ERR#plantca: }"
}
check "$WORK/badsig.csr" "self-signature does not verify"
check "$WORK/trunc.csr" "truncated"
check "$WORK/trunc-pem.csr" "no END line"
check "$WORK/explicit.csr" "explicit curve parameters"
check "$WORK/garbage.csr" "larger than the 65536-byte limit"
check "$WORK/garbage4k.csr" "not a PKCS#10 request"
check "$WORK/weak.csr" "too weak"
check "$WORK/notacsr.csr" "PEM label 'CERTIFICATE' is not"

# one bad CSR in a batch refuses the whole batch
mkdir "$WORK/batch"
expect 1 pc issue "$WORK/good.csr" "$WORK/badsig.csr" --ca line3 --profile tls-server --out-dir "$WORK/batch"
err_has "$WORK/badsig.csr"
[ -z "$(ls "$WORK/batch")" ] || fail "batch wrote files"
[ "$(store_dump)" = "$before" ] || fail "batch changed the store"
ok "a batch with one bad CSR is refused whole"

[ "$(pc audit log)" = "$audit_before" ] || fail "audit log changed"
expect 2 pc issue "$WORK/missing.csr" --ca line3 --profile tls-server
err_has "$WORK/missing.csr" "cannot open"
ok "missing file: exit 2, file named"
done_testing
