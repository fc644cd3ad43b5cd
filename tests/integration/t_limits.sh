#!/usr/bin/env bash
# What an enrolled station can make the CA spend (issue 9 item 8), through
# the real programs: RSA public exponents are bounded at CSR parse; a
# rejected request keeps only its first CA_REJECTED_KEEP bytes and the
# SHA-256 of the whole member; a bundle's lifetime (expires - created) is
# capped; a sequence may not jump further than TR_SEQ_STEP_MAX past the
# last accepted one (so 2^64-1 cannot lock a station out).  Bundles are
# built by mkbundle.py (GNU-tar-compatible ustar + minisign -S), so the
# limits under test are the reader's, not the writer's.  Every refusal
# leaves the store exactly as it was.
. "$(dirname "$0")/lib.sh"

MKBUNDLE="python3 $SRCDIR/tests/integration/mkbundle.py"
MKCSR_E="python3 $SRCDIR/tests/tools/mkcsr_rsa_e.py"
LIFETIME_MAX_DAYS=366       # TR_LIFETIME_MAX_DAYS
SEQ_STEP_MAX=1000000        # TR_SEQ_STEP_MAX
KEEP=4096                   # CA_REJECTED_KEEP

make_ca

# ---------------------------------------------------------------- RSA exponents
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$WORK/r4096.key" 2>/dev/null
$MKCSR_E "$WORK/r4096.key" --e-bits 4088 --subject big-e -o "$WORK/big-e.csr"
before=$(store_dump)
expect 1 pc issue "$WORK/big-e.csr" --ca line3 --profile tls-client -o "$WORK/out.pem"
err_has "$WORK/big-e.csr" "RSA public exponent of 4088 bits" "odd, at least 3 and below 2^32"
[ "$(store_dump)" = "$before" ] && [ ! -e "$WORK/out.pem" ] || fail "a refused CSR changed something"
ok "RSA-4096 CSR with a 4088-bit exponent (correctly self-signed) refused at parse: ${ERR#plantca: }"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:4294967297 \
  -out "$WORK/e2p32.key" 2>/dev/null
openssl req -new -key "$WORK/e2p32.key" -subj "/O=Acme Plant/CN=e2p32" -out "$WORK/e2p32.csr"
expect 1 pc issue "$WORK/e2p32.csr" --ca line3 --profile tls-client -o "$WORK/out.pem"
err_has "$WORK/e2p32.csr" "RSA public exponent of 33 bits"
$MKCSR_E "$WORK/e2p32.key" --e 65536 --subject even -o "$WORK/even.csr"
expect 1 pc issue "$WORK/even.csr" --ca line3 --profile tls-client -o "$WORK/out.pem"
err_has "$WORK/even.csr" "RSA public exponent 65536 is even"
$MKCSR_E "$WORK/e2p32.key" --e 1 --subject one -o "$WORK/one.csr"
expect 1 pc issue "$WORK/one.csr" --ca line3 --profile tls-client -o "$WORK/out.pem"
err_has "$WORK/one.csr" "RSA public exponent 1 is below 3"
[ "$(store_dump)" = "$before" ] || fail "refused CSRs changed the store"
ok "exponents 2^32+1, 65536 and 1 refused, each with its reason"

for e in 3 4294967295; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:$e \
    -out "$WORK/e$e.key" 2>/dev/null
  openssl req -new -key "$WORK/e$e.key" -subj "/O=Acme Plant/CN=e$e" -out "$WORK/e$e.csr"
  expect 0 pc issue "$WORK/e$e.csr" --ca line3 --profile tls-client -o "$WORK/e$e.pem"
  openssl verify -x509_strict -CAfile "$WORK/root.pem" -untrusted "$WORK/line3.pem" "$WORK/e$e.pem" \
    >/dev/null || fail "e=$e certificate does not verify"
done
ok "the bounds themselves (e = 3 and e = 2^32-1) are issued"

# ---------------------------------------------------------------- a station
minisign -G -W -p "$WORK/st.pub" -s "$WORK/st.key" >/dev/null
expect 0 pc station add line3 "$WORK/st.pub" --ca line3
bundle() { $MKBUNDLE --key "$WORK/st.key" --pub "$WORK/st.pub" --segment line3 -o "$WORK/usb" "$@"; }
mkdir "$WORK/usb"
mkcsr p256 dev-1 "$WORK/dev-1.csr" "DNS:dev-1.line3.plant.local"

# ---------------------------------------------------------------- lifetime
before=$(store_dump)
b=$(bundle --sequence 1 --name century --lifetime $((100 * 365 * 86400)) dev-1.csr="$WORK/dev-1.csr")
expect 1 pc import "$b"
err_has "century.tar" "lives 36500 days" "at most $LIFETIME_MAX_DAYS"
b=$(bundle --sequence 1 --name oversize --lifetime $((LIFETIME_MAX_DAYS * 86400 + 1)) dev-1.csr="$WORK/dev-1.csr")
expect 1 pc import "$b"
err_has "oversize.tar" "at most $LIFETIME_MAX_DAYS"
[ "$(store_dump)" = "$before" ] || fail "a refused bundle changed the store"
b=$(bundle --sequence 1 --lifetime $((LIFETIME_MAX_DAYS * 86400)) dev-1.csr="$WORK/dev-1.csr")
expect 0 pc import "$b"
ok "a request bundle living 100 years, or 366 days + 1 s, is refused at read; 366 days is accepted"

# ---------------------------------------------------------------- rejected member
head -c $((8 * 1024 * 1024)) /dev/urandom >"$WORK/huge.csr"
b=$(bundle --sequence 2 huge.csr="$WORK/huge.csr")
expect 0 pc import "$b"
out_has "1 rejected"
expect 0 pc --json requests --status rejected
python3 - "$OUT" "$(sha256sum "$WORK/huge.csr" | cut -d' ' -f1)" $((8 * 1024 * 1024)) <<'PY' || fail "rejected request: $OUT"
import json, sys
r = [r for r in json.loads(sys.argv[1]) if r["member"] == "huge.csr"]
assert len(r) == 1, r
r = r[0]
assert r["csr_sha256"] == sys.argv[2], r
assert r["csr_bytes"] == int(sys.argv[3]), r
assert r["csr_kept"] == 4096, r
PY
# the record itself, as LMDB holds it: no value near the member's size
biggest=$(mdb_dump -s requests "$CAHOME/db" | awk '/^ / { if (length($1) > m) m = length($1) } END { print m / 2 }')
[ "$biggest" -lt $((KEEP + 2048)) ] || fail "largest request record is $biggest bytes"
expect 0 pc requests --status rejected
out_has "huge.csr" "8388608 bytes" "SHA-256 $(sha256sum "$WORK/huge.csr" | cut -d' ' -f1)" "first 4096 kept"
ok "a rejected 8 MiB member keeps its first $KEEP bytes and its SHA-256 (largest record $biggest bytes); shown on the review screen"

# ---------------------------------------------------------------- sequence jumps
before=$(store_dump)
for s in 18446744073709551615 $((2 + SEQ_STEP_MAX + 1)); do
  b=$(bundle --sequence "$s" dev-1.csr="$WORK/dev-1.csr")
  expect 1 pc import "$b"
  err_has "$(basename "$b")" "sequence $s jumps more than $SEQ_STEP_MAX past 2"
done
[ "$(store_dump)" = "$before" ] || fail "a refused sequence changed the store"
b=$(bundle --sequence $((2 + SEQ_STEP_MAX)) dev-1.csr="$WORK/dev-1.csr")
expect 0 pc import "$b"
b=$(bundle --sequence $((2 + SEQ_STEP_MAX + 1)) dev-1.csr="$WORK/dev-1.csr")
expect 0 pc import "$b"
ok "sequence 2^64-1 and a jump of $SEQ_STEP_MAX + 1 refused (store unchanged); the station goes on at +$SEQ_STEP_MAX, +1"
done_testing
