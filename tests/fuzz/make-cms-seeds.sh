#!/usr/bin/env bash
# make-cms-seeds.sh BUILD_DIR - regenerate tests/fuzz/corpus/fuzz_cms.
# Needs SoftHSM2 (a private token is made in a temp dir), openssl, python3.
set -euo pipefail
B=$(cd "${1:?usage: make-cms-seeds.sh BUILD_DIR}" && pwd)
export PLANTCA=$B/ca/plantca FW_TEST_CRL=$B/tests/integration/fw_test_crl
export SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
export SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
OUTDIR=$SRCDIR/tests/fuzz/corpus/fuzz_cms
. "$SRCDIR/tests/integration/lib.sh"

make_ca
pc firmware signer new a --ca line3 --subject "/CN=Seed Signer P-256" >/dev/null
pc firmware signer new b --ca line3 --subject "/CN=Seed Signer P-384" --key ec-p384 >/dev/null
pc firmware signer new c --ca line3 --subject "/CN=Seed Signer Ed25519" --key ed25519 >/dev/null
head -c 1000 /dev/urandom >"$WORK/img"
pc firmware sign "$WORK/img" --signer a --fw-version 1.3.0 --target 1.3.6.1.4.1.99999.1.7 \
  --target 1.3.6.1.4.1.99999.1.8 -o "$WORK/p256.p7s" 2>/dev/null
pc firmware sign "$WORK/img" --signer b --fw-version 2.0 -o "$WORK/p384.p7s" 2>/dev/null
pc firmware sign "$WORK/img" --signer c --fw-version 0.9.1.7 --package pump -o "$WORK/ed.p7s" 2>/dev/null
serial=$(pc --json firmware signer list | python3 -c 'import json,sys; print([s["serial"] for s in json.load(sys.stdin) if s["name"]=="a"][0])')
uri=$(pc --json ca list | python3 -c 'import json,sys; print([c["key_uri"] for c in json.load(sys.stdin) if c["name"]=="line3"][0])')
openssl x509 -in "$WORK/line3.pem" -outform DER -out "$WORK/line3.der"
"$FW_TEST_CRL" "$SOFTHSM_MODULE" "$TOKEN_LABEL" "$PIN" "$uri" "$WORK/line3.der" 7 "$WORK/rev.crl" "$serial:1"
"$FW_TEST_CRL" "$SOFTHSM_MODULE" "$TOKEN_LABEL" "$PIN" "$uri" "$WORK/line3.der" 7 "$WORK/oth.crl" "0123:4"

mkdir -p "$OUTDIR"
rm -f "$OUTDIR"/*
cp "$WORK/p256.p7s" "$OUTDIR/valid-p256"
cp "$WORK/p384.p7s" "$OUTDIR/valid-p384"
cp "$WORK/ed.p7s" "$OUTDIR/valid-ed25519"
cat "$WORK/p256.p7s" "$WORK/rev.crl" >"$OUTDIR/valid-p256-revoked-crl"
cat "$WORK/p256.p7s" "$WORK/oth.crl" >"$OUTDIR/valid-p256-other-crl"
python3 - "$OUTDIR" <<'PY'
import sys, os
d = sys.argv[1]
def put(name, b): open(os.path.join(d, name), 'wb').write(bytes(b))
for src in ['valid-p256', 'valid-p384', 'valid-ed25519']:
    b = bytearray(open(os.path.join(d, src), 'rb').read())
    put('bad-%s-truncated' % src[6:], b[:len(b) // 2])
    put('bad-%s-trailing' % src[6:], b + b'\x00')
    x = bytearray(b); x[-5] ^= 1; put('bad-%s-sigflip' % src[6:], x)
    x = bytearray(b); x[1] = 0x80; put('bad-%s-indefinite' % src[6:], x)
    # the package identifier's OCTET STRING tag turned into a SEQUENCE
    i = b.find(b'\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x02\x23')
    if i > 0:
        x = bytearray(b); x[i + 11 + 4] = 0x30; put('bad-%s-pkgid' % src[6:], x)
put('bad-empty', b'')
put('bad-garbage', os.urandom(512))
PY
# and every input of the bad-input table (tests/unit/transfer/bad-cms.txt)
CMS_SEEDS=$OUTDIR "$B/tests/unit/transfer/test_fw_cms" "$SRCDIR/tests/unit/transfer/bad-cms.txt"
echo "seeds in $OUTDIR"
done_testing
