#!/usr/bin/env bash
# Property: for random revocation sets (empty, one entry, a random subset of
# real certificates with random reasons, and 100,000 entries), the CRL that
# plantca signs lists exactly what the store holds: the revocations database
# read straight from LMDB (mdb_dump, decoded here in Python) must equal
# OpenSSL's parse (serials and reason codes, openssl crl -text) and wolfSSL's
# parse (serials, after wolfSSL has checked the signature against the CA).
. "$(dirname "$0")/lib.sh"
: "${CRL_WOLFSSL:?}" "${REVOKE_SYNTH:?}"

make_ca
SEED=${PROPERTY_SEED:-$RANDOM}
echo "# seed $SEED (PROPERTY_SEED=$SEED to repeat)"
RANDOM=$SEED

# store view: "SERIAL REASONCODE" for every revocation under CA line3
store_view() {
  mdb_dump -s revocations "$CAHOME/db" | python3 -c '
import sys
lines = [l.strip() for l in sys.stdin]
body = lines[lines.index("HEADER=END") + 1:lines.index("DATA=END")]
for k, v in zip(body[0::2], body[1::2]):
    v = bytes.fromhex(v); assert v[0:2] == b"R\x01", v
    i, f = 2, {}
    while i < len(v):
        tag = v[i]; n = int.from_bytes(v[i+1:i+5], "big"); f[tag] = v[i+5:i+5+n]; i += 5 + n
    if f[3] == b"line3":
        print(k, int.from_bytes(f[1], "big"))
' | sort
}
# OpenSSL view: "SERIAL REASONCODE" (0 when no reason extension)
openssl_view() {
  openssl crl -in "$1" -inform DER -noout -text | python3 -c '
import sys, re
codes = {"Key Compromise": 1, "CA Compromise": 2, "Affiliation Changed": 3, "Superseded": 4,
         "Cessation Of Operation": 5, "Privilege Withdrawn": 9}
cur = None; out = {}
lines = sys.stdin.read().split("\n")
for i, l in enumerate(lines):
    m = re.match(r"\s*Serial Number: ([0-9A-F]+)$", l)
    if m:
        cur = m.group(1).lower().rjust(40, "0"); assert cur not in out, "duplicate"; out[cur] = 0
    elif "X509v3 CRL Reason Code" in l:
        out[cur] = codes[lines[i + 1].strip()]
for s in sorted(out): print(s, out[s])
'
}
wolfssl_view() { "$CRL_WOLFSSL" "$WORK/line3.pem" "$1" | sed -n 's/^serial //p' | sort; }

check_crl() {  # LABEL
  local label=$1
  expect 0 pc crl --ca line3 --der -o "$WORK/c.der"
  expect 0 openssl crl -in "$WORK/c.der" -inform DER -noout -verify -CAfile "$WORK/line3.pem"
  store_view >"$WORK/store.txt"
  openssl_view "$WORK/c.der" >"$WORK/openssl.txt"
  wolfssl_view "$WORK/c.der" >"$WORK/wolfssl.txt"
  cmp -s "$WORK/store.txt" "$WORK/openssl.txt" || { diff "$WORK/store.txt" "$WORK/openssl.txt" | head; fail "$label: OpenSSL's parse differs from the store"; }
  cut -d' ' -f1 "$WORK/store.txt" | cmp -s - "$WORK/wolfssl.txt" || fail "$label: wolfSSL's parse differs from the store"
  # entries in the DER in strictly increasing order (openssl prints them in order)
  openssl crl -in "$WORK/c.der" -inform DER -noout -text | sed -n 's/^ *Serial Number: //p' \
    | python3 -c 'import sys; v=[int(l,16) for l in sys.stdin]; assert all(a<b for a,b in zip(v,v[1:]))' \
    || fail "$label: entries not strictly increasing"
  ok "$label: $(wc -l <"$WORK/store.txt") entries; store = OpenSSL (serials+reasons) = wolfSSL (serials)"
}

check_crl "empty"

N=40
for i in $(seq 1 $N); do mkcsr p256 "d$i" "$WORK/d$i.csr" 2>/dev/null; done
mkdir "$WORK/certs"
expect 0 pc issue "$WORK"/d*.csr --ca line3 --profile tls-client --out-dir "$WORK/certs"
ls "$WORK/certs" | sed 's/\.pem$//' | sort -R --random-source=<(yes "$SEED") >"$WORK/serials"
REASONS=(unspecified keyCompromise cACompromise affiliationChanged superseded cessationOfOperation privilegeWithdrawn)

expect 0 pc revoke "$(head -1 "$WORK/serials")" --reason "${REASONS[RANDOM % 7]}"
check_crl "one entry"

# a random subset, in groups sharing a random reason
k=$((RANDOM % (N - 5) + 3))
sed -n "2,$((k + 1))p" "$WORK/serials" >"$WORK/subset"
while [ -s "$WORK/subset" ]; do
  g=$((RANDOM % 5 + 1))
  head -n "$g" "$WORK/subset" >"$WORK/group"
  sed -i "1,${g}d" "$WORK/subset"
  expect 0 pc revoke --from-file "$WORK/group" --reason "${REASONS[RANDOM % 7]}"
done
check_crl "random subset of $k more"

# 100,000 entries (synthetic serials from the bench-only tool, no certificates)
"$REVOKE_SYNTH" --bench-only "$CAHOME" line3 100000 "$SEED" >/dev/null || fail "revoke_synth"
check_crl "100,000 more"
done_testing
