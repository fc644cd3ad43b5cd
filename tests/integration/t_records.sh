#!/usr/bin/env bash
# Every field of every record type, damaged in a real store, is refused:
# the store is made by the real programs (init, ca new, station add,
# import, approve, sign, revoke, crl, firmware signer new / sign (a
# firmware signature record) / publish, export, manufacturer add, the
# import of a device's CMP request, and an issue killed with its intents
# committed); then
# for each record type and each of its fields, rec_damage.py edits one
# record in an mdb_dump of it (drops the field, makes its length run past
# the end, repeats it, makes an integer 7 or 9 bytes, a fixed-length field
# a byte short or long, a string over-long, empty or with a NUL; puts in
# an absent optional field malformed; appends trailing bytes or an unknown
# tag; changes the version), mdb_load writes it into a copy of the home,
# and the command that reads that record must exit 2 with
# "RECORD record: field NAME: WHY" (PC_E_STORE_CORRUPT).  Dropping an
# optional or legacy field must still work (exit 0), and so must the
# undamaged store.  Every case runs; the failures are listed at the end.
# Also: every record of the store re-encodes to exactly its bytes.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need mdb_dump "the test edits the store through mdb_dump / mdb_load"
need mdb_load "the test edits the store through mdb_dump / mdb_load"
need python3 "rec_damage.py edits the dump"
damage() { python3 "$SRCDIR/tests/integration/rec_damage.py" "$@"; }

# ------------------------------------------------------------ a real store
make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb" "$WORK/usb2" "$WORK/usb3" "$WORK/exp"
mkcsr p256 pump-12 "$WORK/dev/pump-12.csr" "DNS:pump-12.line3.plant.local"
mkcsr p256 pump-13 "$WORK/dev/pump-13.csr" "DNS:pump-13.line3.plant.local"
mkcsr p256 nosan "$WORK/dev/nosan.csr"     # opcua-app wants a URI SAN: rejected at import
# a device's CMP ir (openssl cmp's, from the fuzz seeds) waiting at the
# station: imported with the bundle, it leaves a CMP request record (its
# IDevID chains to no manufacturer of line3: rejected, and recorded)
: "${CMP_DUMP:?}"
cmpmsg=$SRCDIR/tests/fuzz/corpus/fuzz_cmp/req-ir-1
txid=$("$CMP_DUMP" "$cmpmsg" | sed -n 's/^txid //p')
[ -n "$txid" ] || fail "no transactionID in $cmpmsg"
mkdir -p "$WORK/st/cmp"
cp "$cmpmsg" "$WORK/st/cmp/$txid.msg"
printf 'transaction: %s\nkind: ir\nstate: queued\ncreated: 1\nupdated: 1\ncert-req-id: 0\nprofile: ldevid\nsigner: %s\n' \
  "$txid" "$(printf '%064d' 0)" >"$WORK/st/cmp/$txid.tx"
expect 0 pc manufacturer add seed "$CAHOME/public/root.pem" --segment line3
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile opcua-app \
  "$WORK/dev/nosan.csr" --profile tls-client "$WORK/dev/pump-12.csr" "$WORK/dev/pump-13.csr" \
  -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/*.tar
expect 0 pc approve --all
expect 0 pc sign
# a scan report (written by hand in its grammar) and an expected enrollment
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/vd.key" \
  -subj "/CN=vendor default" -days 30 -out "$WORK/vd.pem" 2>/dev/null
printf 'plantca-scan: 1\nsegment: line3\nstarted: 2026-12-01T10:00:00Z\nfinished: 2026-12-01T10:00:01Z\ncert: 0 %s\nendpoint: dir:/pki/own/vd.pem\nresult: ok\nchain: 0\n' \
  "$(openssl x509 -in "$WORK/vd.pem" -outform DER | base64 -w0)" >"$WORK/r.scan"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --scan "$WORK/r.scan" \
  -o "$WORK/usb3"
expect 0 pc import "$WORK"/usb3/*.tar
expect 0 pc discovered expect dir:/pki/own/vd.pem --segment line3 --reason "vendor default"
serial=$(pc --json certs | python3 -c 'import json, sys
print([c["serial"] for c in json.load(sys.stdin) if c["kind"] == "leaf"][0])')
expect 0 pc revoke "$serial" --reason keyCompromise
expect 0 pc crl
expect 0 pc crl --ca line3 --next-update 7
expect 0 pc firmware signer new fw-a --ca line3 --subject "/O=Acme Plant/CN=Firmware Signer A"
expect 0 pc export line3 "$WORK/exp"
head -c 4096 /dev/urandom >"$WORK/fw.bin"
expect 0 pc firmware sign "$WORK/fw.bin" --signer fw-a --fw-version 1.3.0
expect 0 pc firmware publish line3 "$WORK/fw.bin.p7s"     # queued: a pending record
# a second request bundle, not imported: the request counter's reader
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev/pump-12.csr" -o "$WORK/usb2"
bundle2=$(ls "$WORK"/usb2/*.tar)
mdb_dump -a "$CAHOME/db" >"$WORK/base.dump"

# intents: a copy of the home where issue is killed with a group committed
cp -a "$CAHOME" "$WORK/crash"
mkdir "$WORK/many"
for i in $(seq 1 600); do cp "$WORK/dev/pump-13.csr" "$WORK/many/$i.csr"; done
intents() { mdb_stat -s intents "$WORK/crash/db" 2>/dev/null | sed -n 's/^ *Entries: //p'; }
# killed at its first signature (fault point hsm.sign), the first group's
# intents committed; without fault points, a kill timed by watching the store
if [ "${FAULT_POINTS:-false}" = true ]; then
  PLANTCA_FAULT=hsm.sign:1:kill "$PLANTCA" --home "$WORK/crash" --pin-file "$PIN" issue \
    "$WORK"/many/*.csr --ca line3 --profile tls-client -o "$WORK/many.pem" >/dev/null \
    2>"$WORK/crash.err" </dev/null && fail "issue was not killed at fault point hsm.sign"
else
  "$PLANTCA" --home "$WORK/crash" --pin-file "$PIN" issue "$WORK"/many/*.csr --ca line3 \
    --profile tls-client -o "$WORK/many.pem" >/dev/null 2>"$WORK/crash.err" &
  pid=$!
  for _ in $(seq 1 3000); do
    n=$(intents); [ "${n:-0}" -gt 0 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
fi
[ "$(intents)" -gt 0 ] || fail "issue ended before its intents could be seen: $(cat "$WORK/crash.err")"
mdb_dump -a "$WORK/crash/db" >"$WORK/crash.dump"
damage graft "$WORK/base.dump" "$WORK/crash.dump" || fail "graft an intent"
damage check "$WORK/base.dump" >"$WORK/check.out" || fail "the store does not fit the test's schema"
ok "a real store with a record of every type: $(tr '\n' ';' <"$WORK/check.out")"
# what plantca reads and writes back (a request, a station) stays the same bytes
: "${REC_ROUNDTRIP:?}"
for db in "$CAHOME/db" "$WORK/crash/db"; do
  "$REC_ROUNDTRIP" "$db" >"$WORK/rt.out" || fail "$db: a record does not re-encode to its bytes"
done
ok "every record decodes and re-encodes to its exact bytes: $(cat "$WORK/rt.out")"

# the home every case starts from, without its database
mkdir "$WORK/tmpl"
(cd "$CAHOME" && tar --exclude=./db -cf - .) | (cd "$WORK/tmpl" && tar -xf -)
mkdir "$WORK/cases"
damage cases "$WORK/base.dump" "$WORK/cases" >/dev/null || fail "making the cases"

# the command that reads each record type (META: by key)
reader() {
  case $1 in
    CA) echo "ca list" ;;
    certificate|revocation) echo "certs" ;;
    intent) echo "sign" ;;
    station) echo "station list" ;;
    request) echo "requests" ;;
    CRL) echo "crl --ca line3" ;;
    signer) echo "firmware signer list" ;;
    firmware) echo "export line3 EXPDIR" ;;
    "firmware signature") echo "firmware list" ;;
    export) echo "status" ;;
    scan|expectation) echo "discovered" ;;
    "audit event") echo "audit log" ;;
    manufacturer) echo "manufacturer list" ;;
    "CMP request") echo "requests" ;;
    META)
      case $2 in
        requests.next*) echo "import $bundle2" ;;
        export.seq*|transfer.keyid*) echo "export line3 EXPDIR" ;;
        fw.pending.seq*) echo "firmware publish line3 $WORK/fw.bin.p7s" ;;
        fw.sig.seq*) echo "firmware sign $WORK/fw.bin --signer fw-a --fw-version 1.3.1 -o EXPDIR/x.p7s" ;;
        crl.days*|config.module*) echo "crl --ca line3" ;;
      esac ;;
  esac
}

# run N RECORD WHAT: case N's store in a fresh home, the reader of RECORD
run_case() {
  local n=$1 rec=$2 what=$3 h=$WORK/c/home cmd
  rm -rf "$WORK/c"
  mkdir -p "$WORK/c/exp"
  cp -a "$WORK/tmpl" "$h"
  mkdir -m 700 "$h/db"
  mdb_load -f "$WORK/cases/$n.dump" "$h/db" 2>"$WORK/load.err" || fail "case $n: mdb_load: $(cat "$WORK/load.err")"
  chmod 600 "$h/db/data.mdb" "$h/db/lock.mdb"
  cmd=$(reader "$rec" "$what")
  [ -n "$cmd" ] || fail "case $n: no reader for $rec $what"
  cmd=${cmd//EXPDIR/$WORK/c/exp}
  rc=0
  # shellcheck disable=SC2086  # the command's words
  "$PLANTCA" --home "$h" --pin-file "$PIN" $cmd >"$WORK/c/out" 2>"$WORK/c/err" </dev/null || rc=$?
  CERR=$(cat "$WORK/c/err")
}

bad=()
ncase=0
declare -A per_record
while IFS=$'\t' read -r n rec what outcome msg; do
  ncase=$((ncase + 1))
  if [ "$rec" = - ]; then
    # the undamaged store: every reader works
    for r in CA certificate intent station request CRL signer firmware "firmware signature" export \
      scan expectation "audit event" manufacturer "CMP request"; do
      run_case 0 "$r" ""
      [ "$rc" -eq 0 ] || fail "undamaged store: $(reader "$r") exits $rc: $CERR"
    done
    for k in requests.next export.seq fw.pending.seq fw.sig.seq crl.days; do
      run_case 0 META "$k"
      [ "$rc" -eq 0 ] || fail "undamaged store: $(reader META "$k") exits $rc: $CERR"
    done
    continue
  fi
  run_case "$n" "$rec" "$what"
  per_record[$rec]=$((${per_record[$rec]:-0} + 1))
  if [ "$outcome" = ok ]; then
    [ "$rc" -eq 0 ] || bad+=("$rec: $what: expected exit 0, got $rc: $CERR")
  elif [ "$rc" -ne 2 ]; then
    bad+=("$rec: $what: expected exit 2 ($msg), got $rc${CERR:+: $CERR}")
  elif [[ "$CERR" != *"$msg"* ]]; then
    bad+=("$rec: $what: expected '$msg' in: $CERR")
  fi
done <"$WORK/cases/cases.tsv"

summary=
for r in "${!per_record[@]}"; do summary+="$r ${per_record[$r]}, "; done
if [ "${#bad[@]}" -gt 0 ]; then
  printf 'FAIL: %s\n' "${bad[@]}" >&2
  fail "${#bad[@]} of $ncase damage cases not refused as expected"
fi
ok "every damaged field refused with PC_E_STORE_CORRUPT naming record and field ($((ncase - 1)) cases: ${summary%, })"
done_testing
