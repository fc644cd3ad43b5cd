# cmp_setup.sh - sourced after lib.sh by the CMP tests that need a station
# ready to serve (t_cmp_devices, t_cmp_reject): a CA with line3, a station
# enrolled for it, a test manufacturer CA made with OpenSSL and accepted
# for line3, the station's RA certificate through the normal round trip.
# (t_cmp.sh tests each of these steps itself.)  The manufacturer and the
# station's enrollment: cmp_common.sh, shared with t_cmp.sh and the bench.
#
#   cmp_setup            the above; sets ST, USB, M, kid, RA
#   idevid SN OUT        an IDevID for hardware serial SN: OUT.pem, OUT.key
#   start_serve [ARGS]   serve on a free loopback port (PORT, URL, SERVE)
#   newest KIND          the newest bundle of a kind in USB
#   pending_ids          ids of the pending requests
#   round_trip           request, import, approve each pending, sign, export, accept

. "$(dirname "${BASH_SOURCE[0]}")/cmp_common.sh"

newest() { ls "$USB"/line3-"$1"-*.tar | sort | tail -1; }
pending_ids() { pc --json requests --status pending | python3 -c 'import json, sys
print(" ".join(str(r["id"]) for r in json.load(sys.stdin)))'; }

idevid() {
  mfg_csr "/O=Acme Devices/CN=pump/serialNumber=$1" "$2" &&
    mfg_sign "$M" "$2.csr" "$2.pem" || fail "openssl ca: IDevID $1"
}

cmp_setup() {
  make_ca
  printf 'correct horse battery staple\n' >"$WORK/pass"
  chmod 600 "$WORK/pass"
  ST=$WORK/st USB=$WORK/usb M=$WORK/mfg PASS=$WORK/pass PKI=$WORK/pki
  mkdir -p "$USB" "$M"
  mfg_conf "$M/ca.cnf"
  mfg_ca "$M" "/O=Acme Devices/CN=Acme Devices IDevID CA" || fail "openssl: manufacturer CA"
  MFG_NAME=acme MFG_PEM=$M/ca.pem cmp_ra_setup "expect 0"
  kid=$(head -1 "$ST/station.pub" | awk '{print $NF}')
  RA="/O=plantca/OU=line3/CN=CMP RA $kid"
  [ -s "$ST/ra.pem" ] || fail "no RA certificate installed"
}

start_serve() {
  "$STATION" serve "$ST" --listen 127.0.0.1:0 --check-after 1 --passphrase-file "$WORK/pass" \
    "$@" >"$WORK/serve.out" 2>>"$WORK/serve.log" &
  SERVE=$!
  local i
  # serve opens ra.key first (scrypt, seconds on a loaded machine)
  for i in $(seq 1 1200); do
    PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$WORK/serve.out")
    [ -n "$PORT" ] && { URL=127.0.0.1:$PORT/.well-known/cmp; return 0; }
    kill -0 "$SERVE" 2>/dev/null || fail "serve died: $(cat "$WORK/serve.log")"
    sleep 0.1
  done
  fail "serve did not start"
}
stop_serve() {
  if [ -n "${SERVE:-}" ]; then kill -TERM "$SERVE" 2>/dev/null || true; wait "$SERVE" || true; fi
  SERVE=
}

# wait_log COUNT PATTERN: until serve.log has COUNT lines matching PATTERN
# (120 s at most; serve dying ends it early)
wait_log() {
  local i
  for i in $(seq 1 1200); do
    [ "$(grep -c -- "$2" "$WORK/serve.log" || true)" -ge "$1" ] && return 0
    kill -0 "$SERVE" 2>/dev/null || fail "serve died: $(tail -3 "$WORK/serve.log")"
    sleep 0.1
  done
  fail "serve.log: fewer than $1 lines '$2': $(tail -3 "$WORK/serve.log")"
}

round_trip() {
  expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
  expect 0 pc import "$(newest request)"
  local id
  for id in $(pending_ids); do expect 0 pc approve "$id"; done
  expect 0 pc sign
  expect 0 pc export line3 "$USB"
  expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
}
