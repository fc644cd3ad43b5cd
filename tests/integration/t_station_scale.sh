#!/usr/bin/env bash
# plantca-station at plant scale, the behaviour (scripts/bench-station has
# the times): the station key's scrypt cost chosen at init, stored in the
# key file (read back with python and used by stock minisign) and reused
# by ra-key; request of a FOLDER is the request of its files in name
# order; request and accept give the same bundle and the same PKI_DIR on
# one thread and on many; the first bad CSR or certificate in order is
# named, every time, and nothing is written; --timings and --json timings.
#
# Environment: STATION (plantca-station), MKRESPONSE (test tool), SRCDIR.
. "$(dirname "$0")/lib.sh" --no-token
: "${STATION:?}" "${MKRESPONSE:?}"
need minisign "the key file must work with stock minisign"
cd "$WORK"

printf 'correct horse battery staple\n' >pass
chmod 600 pass
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout root.key \
  -subj "/O=Acme Plant/CN=Acme Plant Root CA" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out root.pem 2>/dev/null
"$MKRESPONSE" genkey catr.key catr.pub --raw

# the cost stored in a minisign secret key file: opslimit, memlimit (bytes 38..53)
kdf_of() {
  python3 - "$1" <<'PY'
import base64, struct, sys
raw = base64.b64decode(open(sys.argv[1]).read().splitlines()[1])
assert raw[:6] == b"EdScB2", raw[:6]
print(*struct.unpack("<QQ", raw[38:54]))
PY
}

# ------------------------------------------------------------ init's cost
expect 0 st init S --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass \
  --kdf-memory 16
out_has "station key cost:" "scrypt N=2^14 r=8 p=4 (16 MiB, opslimit 2097152)" "paid by every request"
[ "$(kdf_of S/station.key)" = "2097152 16777216" ] || fail "stored cost: $(kdf_of S/station.key)"
# the N, r, p init printed are the ones the key was encrypted with: Python's
# own scrypt (hashlib, OpenSSL's) with them decrypts it, checksum right
python3 - S/station.key <<'PY' || fail "hashlib.scrypt(N=2^14, r=8, p=4) does not decrypt station.key"
import base64, hashlib, sys
raw = base64.b64decode(open(sys.argv[1]).read().splitlines()[1])
salt, enc = raw[6:38], raw[54:158]
stream = hashlib.scrypt(b"correct horse battery staple", salt=salt, n=2**14, r=8, p=4,
                        maxmem=64 * 1024 * 1024, dklen=len(enc))
dec = bytes(a ^ b for a, b in zip(enc, stream))
assert hashlib.blake2b(b"Ed" + dec[:72], digest_size=32).digest() == dec[72:], "checksum"
PY
echo hello >msg
minisign -S -s S/station.key -m msg <pass >/dev/null 2>&1 || fail "minisign -S cannot use the key"
minisign -V -p S/station.pub -m msg >/dev/null || fail "minisign -V refuses its signature"
ok "init --kdf-memory 16: says N=2^14 r=8 p=4; station.key holds that cost; minisign -S signs with it"

expect 0 st init D --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass --json
python3 -c 'import json,sys; k=json.loads(sys.argv[1])["kdf"]; assert (k["memory_mib"], k["opslimit"], k["scrypt_n_log2"], k["scrypt_r"], k["scrypt_p"]) == (64, 8388608, 16, 8, 4) and k["seconds"] > 0, k' "$OUT" \
  || fail "init --json kdf: $OUT"
[ "$(kdf_of D/station.key)" = "8388608 67108864" ] || fail "default cost: $(kdf_of D/station.key)"
expect 0 st init E --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass \
  --kdf-memory 32 --kdf-ops 1048576
[ "$(kdf_of E/station.key)" = "1048576 33554432" ] || fail "--kdf-ops: $(kdf_of E/station.key)"
ok "default cost 64 MiB, p=4 (--json says so); --kdf-ops sets the operations"

badkdf() {  # badkdf MESSAGE OPTIONS...: exit 2 with MESSAGE, nothing created
  local want=$1; shift
  expect 2 st init X --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass "$@"
  [ "$(head -1 <<<"$ERR")" = "plantca-station: $want" ] || fail "$*: $ERR"
  [ ! -e X ] || fail "$*: created X"
}
badkdf "--kdf-memory '8': expected 16..1024" --kdf-memory 8
badkdf "--kdf-memory '2048': expected 16..1024" --kdf-memory 2048
badkdf "init --kdf-memory/--kdf-ops: key derivation memory 50331648 bytes: scrypt uses a power of two (16, 32, 64, ... 1024 MiB)" --kdf-memory 48
badkdf "init --kdf-memory/--kdf-ops: key derivation operations 1048576 are too few for 64 MiB: scrypt needs at least 2097152 (memory / 32), or it would use less memory than asked" --kdf-ops 1048576
badkdf "--kdf-ops '100': expected 524288..33554432" --kdf-ops 100
expect 2 st request S --kdf-memory 16 -o media
err_has "request: option --kdf-memory does not apply"
ok "a cost below libsodium's interactive level, above minisign's, not a power of two or too few operations: refused, nothing created"

expect 0 st ra-key S --passphrase-file pass
[ "$(kdf_of S/ra.key)" = "$(kdf_of S/station.key)" ] || fail "ra.key cost $(kdf_of S/ra.key)"
ok "ra-key encrypts ra.key at station.key's cost"

# --------------------------------------------------- request: folders, threads
mkdir csrs
for i in $(seq -w 1 40); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj "/O=Acme Plant/CN=dev-$i" -addext "subjectAltName=DNS:dev-$i.plant.local" \
    -outform DER -out "csrs/dev-$i.der" 2>/dev/null
done
cp csrs/dev-01.der csrs/.hidden.csr
echo "not a CSR" >csrs/README.txt
mkdir csrs/sub && cp csrs/dev-02.der csrs/sub/x.csr

# the CSR members and csr lines of a request bundle, and its BUNDLE without
# the lines that differ between two requests (sequence, times)
content() {
  rm -rf x && mkdir x && tar xf "$1" -C x || fail "tar xf $1"
  (cd x && grep -v '^\(sequence\|created\|expires\):' BUNDLE && sha256sum -- *.csr && ls)
}
run_request() {  # run_request MEDIA OPTIONS...
  rm -rf "$1"; mkdir "$1"
  local m=$1; shift
  expect 0 st request S --passphrase-file pass "$@" -o "$m"
}
run_request m1 --threads 1 --profile tls-client csrs
serial=$(content m1/*.tar)
[ "$(grep -c '^dev-[0-9]*\.csr$' <<<"$serial")" = 40 ] || fail "folder gave: $(ls x)"
grep -q 'hidden\|README\|x\.csr' <<<"$serial" && fail "folder took a hidden, non-CSR or subfolder file"
[ "$(ls x | grep '\.csr$' | head -1)" = dev-01.csr ] || fail "first member $(ls x | head -3)"
for i in 1 2 3; do
  run_request m2 --threads 7 --profile tls-client csrs
  [ "$(content m2/*.tar)" = "$serial" ] || fail "--threads 7 bundle differs from --threads 1"
done
run_request m3 --profile tls-client csrs/dev-*.der
[ "$(content m3/*.tar)" = "$serial" ] || fail "the folder's files named one by one differ from the folder"
(cd x && for f in dev-*.csr; do cmp -s "$f" "../csrs/${f%.csr}.der" || fail "member $f is not csrs/${f%.csr}.der"; done)
minisign -V -p S/station.pub -m m3/*.tar >/dev/null || fail "minisign -V"
ok "request FOLDER = its *.der/*.csr/*.pem files in name order; --threads 1 and 7 give the same bundle"

# a bad CSR in the middle and two after it: the first is named, every time.
# dev-19 is refused at once (not DER), dev-17 only after its signature is
# checked: an error taken from whichever thread failed first would often
# name dev-19.
python3 - csrs/dev-17.der csrs/dev-31.der <<'PY'
import sys
for f in sys.argv[1:]:
    b = bytearray(open(f, "rb").read()); b[-1] ^= 1       # a signature bit
    open(f, "wb").write(bytes(b))
PY
echo "not a CSR" >csrs/dev-19.der
conf=$(sha256sum S/station.conf)
for t in 1 2 7 7 7; do
  rm -rf m4 && mkdir m4
  expect 1 st request S --passphrase-file pass --threads $t --profile tls-client csrs -o m4
  [ "$(head -1 <<<"$ERR")" = "plantca-station: csrs/dev-17.der: the request's self-signature does not verify (proof of possession failed)" ] \
    || fail "--threads $t: $ERR"
  [ -z "$(ls m4)" ] || fail "a refused request wrote $(ls m4)"
done
[ "$(sha256sum S/station.conf)" = "$conf" ] || fail "a refused request changed station.conf"
ok "a CSR with a bad self-signature in the middle: the first bad file is named on 1, 2 and 7 threads; nothing written"

rm -rf m5 && mkdir m5
expect 0 st request S --passphrase-file pass --timings --profile tls-client csrs/dev-0*.der -o m5
grep -q '^timings ([0-9]* threads\?): list [0-9.]* ms, check [0-9.]* ms, .*key [0-9.]* ms, .*total [0-9.]* ms, peak RSS [0-9]* KiB$' <<<"$ERR" \
  || fail "request --timings: $ERR"
rm -rf m5 && mkdir m5
expect 0 st request S --passphrase-file pass --timings --json --threads 2 --profile tls-client csrs/dev-0*.der -o m5
python3 -c 'import json,sys; t=json.loads(sys.argv[1])["timings"]; assert t["threads"]==2 and all(k in t for k in ("check_ms","key_ms","build_ms","sign_ms","write_ms","total_ms","peak_rss_kib")), t' "$OUT" \
  || fail "request --json timings: $OUT"
ok "request --timings (stderr) and --json timings: per phase, threads, peak RSS"

# --------------------------------------------------------- accept: threads
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout line3.key \
  -subj "/O=Acme Plant/CN=Line 3 Issuing CA" -out line3.csr 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >leaf.ext
openssl x509 -req -in line3.csr -CA root.pem -CAkey root.key -set_serial 0x5000000000000000000000000000000000000001 \
  -days 1000 -extfile ca.ext -out line3.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout evil.key \
  -subj "/O=Acme Plant/CN=Line 3 Issuing CA" -days 30 -out evil.pem 2>/dev/null
cat line3.pem root.pem >chain.pem
mkdir resp
members=()
for i in $(seq -w 1 30); do
  s=$(printf '5%039x' "$((10#$i))")
  key=line3.key; ca=line3.pem
  case $i in 12|25) key=evil.key; ca=evil.pem ;; esac   # issuer name right, signature not
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj "/O=Acme Plant/CN=dev-$i" -out dev.csr 2>/dev/null
  openssl x509 -req -in dev.csr -CA "$ca" -CAkey "$key" -set_serial "0x$s" -days 365 \
    -extfile leaf.ext -outform DER -out "resp/$s.crt" 2>/dev/null
  members+=("$s.crt=resp/$s.crt")
  case $i in 12) bad12=$s ;; 25|30) ;; esac
done
good=("${members[@]:0:11}" "${members[@]:12:12}" "${members[@]:25}")
mkdir ok bad
"$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 --sequence 1 \
  -o ok chain.pem=chain.pem "${good[@]}" >/dev/null
"$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 --sequence 1 \
  -o bad chain.pem=chain.pem "${members[@]}" >/dev/null

cp -a S S1 && cp -a S S7 && cp -a S SB
expect 0 st accept S1 ok/*.tar --out p1 --layout opcua --threads 1
expect 0 st accept S7 ok/*.tar --out p7 --layout opcua --threads 7 --timings --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); t=d["timings"]; assert d["certificates"]==28 and t["threads"]==7 and all(k in t for k in ("read_ms","parse_ms","verify_ms","plan_ms","write_ms","total_ms","peak_rss_kib")), d' "$OUT" \
  || fail "accept --json timings: $OUT"
[ "$(snap p1)" = "$(snap p7)" ] || fail "PKI_DIR differs between --threads 1 and 7"
[ "$(ls p7/own/certs | wc -l)" = 28 ] || fail "own/certs: $(ls p7/own/certs)"
for f in p7/own/certs/*.pem; do
  openssl verify -x509_strict -CAfile root.pem -untrusted line3.pem "$f" >/dev/null || fail "$f"
done
ok "accept of 28 certificates: the same PKI_DIR on 1 and 7 threads, each verifies with openssl; --json timings"

for t in 1 2 7 7 7; do
  rm -rf pb
  expect 1 st accept SB bad/*.tar --out pb --layout opcua --threads $t
  err_has "certificate $bad12 ('dev-12')" "signature"
  [[ "$ERR" != *dev-25* ]] || fail "--threads $t named dev-25: $ERR"
  [ ! -e pb ] || fail "a refused accept created PKI_DIR"
  cmp -s SB/station.conf S/station.conf || fail "a refused accept changed station.conf"
done
ok "accept: a certificate with a bad signature in the middle is named (the first of two) on 1, 2 and 7 threads; nothing written"

done_testing
