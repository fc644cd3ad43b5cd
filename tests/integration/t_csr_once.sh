#!/usr/bin/env bash
# A CSR's self-signature is checked once, where it enters (issue 14 item
# 1): import verifies it and records the CSR's SHA-256; sign works from
# the stored bytes and does not verify it again, but refuses bytes that are
# not the ones import checked.  Shown through the store: a CSR whose
# signature is broken after import is refused by sign when only the bytes
# changed (the recorded SHA-256 no longer matches), and is signed when the
# record was changed consistently (sign relies on import's check).
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need mdb_dump "the test edits the store through mdb_dump / mdb_load"
need mdb_load "the test edits the store through mdb_dump / mdb_load"
need python3 "the test edits the dump"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb"
mkcsr p256 dev-1 "$WORK/dev/dev-1.csr"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev/dev-1.csr" -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/*.tar
expect 0 pc approve --all
cp -a "$CAHOME" "$WORK/home0"

# flip a bit in the stored CSR's signature; MODE bytes: only the CSR bytes,
# both: the CSR bytes and the record's SHA-256 of them
tamper() {
  python3 - "$SRCDIR/tests/integration" "$WORK/in.dump" "$WORK/out.dump" "$1" <<'PY'
import hashlib, sys
sys.path.insert(0, sys.argv[1])
import base64
import rec_damage as rd

def flip(pem):
    """the same PEM with one bit of the signature (the DER's third byte from
    the end, inside the ECDSA signature's s) flipped"""
    lines = pem.decode().strip().split("\n")
    der = bytearray(base64.b64decode("".join(lines[1:-1])))
    der[-3] ^= 0x01
    b = base64.b64encode(bytes(der)).decode()
    return (lines[0] + "\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n" +
            lines[-1] + "\n").encode()

dump = rd.read_dump(sys.argv[2])
n = 0
for head, db, pairs in dump:
    if db != "requests":
        continue
    for kv in pairs:
        typ, ver, fields = rd.parse(kv[1])
        out = []
        csr = None
        for tag, v in fields:
            if tag == 8:                       # csr: the member's bytes (PEM)
                v = csr = flip(v)
            out.append((tag, v))
        if csr is None:
            continue
        if sys.argv[4] == "both":
            out = [(t, hashlib.sha256(csr).digest() if t == 17 else v) for t, v in out]
        kv[1] = rd.encode(typ, ver, out)
        n += 1
assert n == 1, n
rd.write_dump(sys.argv[3], dump)
PY
}
for mode in bytes both; do
  rm -rf "$CAHOME"; cp -a "$WORK/home0" "$CAHOME"
  mdb_dump -a "$CAHOME/db" >"$WORK/in.dump"
  tamper "$mode" || fail "tamper $mode"
  rm -f "$CAHOME/db/data.mdb" "$CAHOME/db/lock.mdb"
  mdb_load -f "$WORK/out.dump" "$CAHOME/db" || fail "mdb_load"
  if [ "$mode" = bytes ]; then
    expect 2 pc sign
    err_has "the stored CSR is not the one import checked"
    expect 0 pc --json certs
    python3 -c 'import json,sys; sys.exit(any(c["kind"] != "ca" for c in json.loads(sys.argv[1])))' \
      "$OUT" || fail "a certificate was issued from bytes import did not check: $OUT"
    ok "sign refuses stored CSR bytes that differ from what import checked"
  else
    expect 0 pc sign
    out_has "signed 1 request(s)"
    ok "sign does not verify the CSR's self-signature again (the record says import did)"
  fi
done
done_testing
