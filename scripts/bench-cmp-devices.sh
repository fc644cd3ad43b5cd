# bench-cmp-devices.sh - the CMP run of scripts/bench (sourced by it; uses
# its W, B, PLANTCA, STATION, MODULE, pc, now_ms and csr_ms).  CMP_N
# simulated devices (tests/tools/cmp_devices) enroll through a real serve
# and one bundle round trip; cmp_report prints what was measured.
TOOL=$B/tests/tools/cmp_devices
[ -x "$TOOL" ] || { echo "bench: $TOOL not built (libcurl4-openssl-dev: scripts/setup)" >&2; exit 2; }
n=$CMP_N

# the manufacturer and the station's enrollment: the CMP tests' own
# (tests/integration/cmp_common.sh)
. tests/integration/cmp_common.sh

# the IDevIDs, made once by OpenSSL and cached: a manufacturer CA, and for
# each device a P-256 key and an IDevID (serialNumber SN-i, AKI, 9999 notAfter)
I=$B/bench-idevids-$n
if [ ! -f "$I/done" ] || [ ! -f "$I/ca.pem" ]; then
  echo "bench: making $n IDevIDs with OpenSSL (once; cached in $I)" >&2
  rm -rf "$I"; mkdir -p "$I/csr"
  mfg_conf "$I/ca.cnf"
  mfg_ca "$I" "/O=Bench Devices/CN=Bench IDevID CA"
  mk() { local i; for i in $(seq "$1" 2 "$n"); do
    mfg_csr "/O=Bench Devices/CN=dev/serialNumber=SN-$i" "$I/csr/$i"
    mv "$I/csr/$i.key" "$I/$i.idkey"
  done; }
  mk 1 & mk 2 & wait
  for i in $(seq 1 "$n"); do mfg_sign "$I" "csr/$i.csr" "$i.idevid"; done
  touch "$I/done"
fi

# a CA, a station of its own, the manufacturer, the station's RA certificate
# (not timed).  The ldevid profile approves by itself here (approval = auto),
# as the CSR rows' approve --all does: the officer's one-by-one approval of
# N devices is not what is measured.
rm -rf "$W/ca" "$W/cst" "$W/cusb" "$W/cdev"; mkdir "$W/cusb"
pc init --module "$MODULE" --token bench --subject "/O=Acme Plant/CN=Bench Root" >/dev/null
pc ca new line3 --subject "/O=Acme Plant/CN=Bench Line 3 CA" >/dev/null
awk '/^\[/ { sec = $0 } sec == "[profile ldevid]" && /^approval = / { $0 = "approval = auto" } { print }' \
  policy/default.policy >"$W/cmp.policy"
pc policy set "$W/cmp.policy" >/dev/null
quiet() { "$@" >/dev/null || { echo "bench: $1 ${2:-}: failed" >&2; exit 1; }; }
ST=$W/cst USB=$W/cusb PASS=$W/st-pass CAHOME=$W/ca PKI=$W/cpki MFG_NAME=bench MFG_PEM=$I/ca.pem \
  cmp_ra_setup quiet
cnewest() { ls "$W"/cusb/line3-"$1"-*.tar | sort | tail -1; }
cst() { "$STATION" "$1" "$W/cst" "${@:2}" --passphrase-file "$W/st-pass"; }

mkdir "$W/cdev"
cp "$I/ca.pem" "$W/cdev/mfg.pem"
for i in $(seq 1 "$n"); do cp "$I/$i.idevid" "$I/$i.idkey" "$W/cdev/"; done
"$STATION" serve "$W/cst" --listen 127.0.0.1:0 --check-after 1 --max-connections 256 \
  --passphrase-file "$W/st-pass" >"$W/serve.out" 2>"$W/serve.log" &
SERVE=$!
trap 'kill -TERM $SERVE 2>/dev/null || true; rm -rf "$W"' EXIT
PORT=
for _ in $(seq 1 1200); do
  PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$W/serve.out")
  [ -n "$PORT" ] && break
  kill -0 "$SERVE" 2>/dev/null || { echo "bench: serve died: $(cat "$W/serve.log")" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "bench: serve did not start" >&2; exit 1; }
serve_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$SERVE/stat"; }

echo "bench: CMP, $n simulated devices enroll through serve" >&2
cpu0=$(serve_cpu)
t0=$(now_ms)
"$TOOL" "http://127.0.0.1:$PORT/.well-known/cmp" "$W/cdev" "$n" --threads 64 --poll-ms 1000 \
  --timeout 3600 >"$W/cdev.out" 2>"$W/cdev.err" &
DEVS=$!
while [ "$(grep -c ' ir txid=.* -> ip waiting' "$W/serve.log" || true)" -lt "$n" ]; do
  kill -0 "$DEVS" 2>/dev/null || { echo "bench: cmp_devices: $(cat "$W/cdev.err")" >&2; exit 1; }
  sleep 0.05
done
c_wait=$(( $(now_ms) - t0 ))
ts=$(now_ms); cst request -o "$W/cusb" >/dev/null; c_req=$(( $(now_ms) - ts ))
ts=$(now_ms); pc import "$(cnewest request)" >"$W/cimport.out"; t1=$(now_ms)
pc sign >/dev/null; t2=$(now_ms)
pc export line3 "$W/cusb" >/dev/null; t3=$(now_ms)
c_imp=$((t1 - ts)) c_sign=$((t2 - t1)) c_exp=$((t3 - t2)) c_ca=$((t3 - ts))
ts=$(now_ms); "$STATION" accept "$W/cst" "$(cnewest response)" --out "$W/cpki" >/dev/null; c_acc=$(( $(now_ms) - ts ))
t_acc=$(now_ms)
wait "$DEVS" || { echo "bench: cmp_devices failed: $(head -5 "$W/cdev.err")" >&2; cat "$W/cdev.out" >&2; exit 1; }
c_done=$(( $(now_ms) - t_acc ))
c_whole=$(( $(now_ms) - t0 ))
c_cpu=$(( $(serve_cpu) - cpu0 ))
c_msgs=$(grep -c ' cmp .* txid=' "$W/serve.log" || true)
# every certificate, checked by OpenSSL against the delivered trust bundle
(cd "$W/cdev" && ls | grep -E '^[0-9]+\.pem$' | xargs openssl verify -x509_strict -CAfile "$W/cpki/trust.pem") \
  >"$W/cverify.out" 2>&1 || { echo "bench: openssl verify: $(grep -v ': OK$' "$W/cverify.out" | head -3)" >&2; exit 1; }
[ "$(grep -c ': OK$' "$W/cverify.out")" -eq "$n" ] || { echo "bench: not $n certificates verified" >&2; exit 1; }
kill -TERM "$SERVE"; wait "$SERVE" || true

cmp_report() {
  local csr=${csr_ms[$n]:-}
  printf '\nCMP: %d simulated devices (own P-256 key, own IDevID), in-process CMP over HTTP to serve on loopback, one bundle round trip (one run)\n' "$n"
  echo "  per message as the devices saw it (loopback, HTTP included; serve judges one message at a time):"
  sed -n 's/^\(ir\|pollReq\|certConf\)/    &/p' "$W/cdev.out"
  awk -v c="$c_cpu" -v m="$c_msgs" 'BEGIN { printf "  serve CPU per message: %.2f ms (%d messages, %d ms)\n", c / (m ? m : 1), m, c }'
  printf '  all %d ir waiting: %d ms after the first was sent\n' "$n" "$c_wait"
  printf '  CA import to export of the CMP bundle: %d ms (import %d, sign %d, export %d; ldevid approves by itself)' \
    "$c_ca" "$c_imp" "$c_sign" "$c_exp"
  [ -n "$csr" ] && printf ';  the CSR path at N=%d: %d ms' "$n" "$csr"
  printf '\n  station request %d ms, accept %d ms; accept until the last device had its certificate %d ms; whole %d ms\n' \
    "$c_req" "$c_acc" "$c_done" "$c_whole"
  echo "  every certificate verified by openssl verify -x509_strict against the delivered trust bundle"
}
