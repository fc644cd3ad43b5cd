#!/usr/bin/env bash
# The simulated devices of scripts/bench (tests/tools/cmp_devices): 20
# devices, each with its own IDevID (made by OpenSSL) and its own P-256
# key, enroll at once through a real `plantca-station serve` and one bundle
# round trip; the tool exits 0 only when every device got its certificate
# and a pkiConf for its certConf, and every certificate verifies with
# `openssl verify -x509_strict` against the delivered trust bundle, holds
# the device's key and carries the IDevID's serialNumber.  No timing is
# asserted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cmp_setup.sh"
: "${STATION:?}"
[ -x "${CMP_DEVICES:-}" ] || { echo "SKIP: cmp_devices not built (libcurl development files missing; scripts/setup installs libcurl4-openssl-dev)" >&2; exit 77; }
N=20

cmp_setup
D=$WORK/dev
mkdir "$D"
cp "$M/ca.pem" "$D/mfg.pem"
for i in $(seq 1 $N); do
  idevid "SN-$i" "$WORK/id-$i"
  mv "$WORK/id-$i.pem" "$D/$i.idevid"; mv "$WORK/id-$i.key" "$D/$i.idkey"
done
at_exit stop_serve
start_serve --max-connections 64
"$CMP_DEVICES" "http://$URL" "$D" "$N" --threads 8 --poll-ms 100 --timeout 300 \
  >"$WORK/devices.out" 2>"$WORK/devices.err" &
DEVS=$!
wait_log $N ' ir txid=.* -> ip waiting'
kill -0 "$DEVS" 2>/dev/null || fail "cmp_devices ended early: $(cat "$WORK/devices.err")"
round_trip
wait "$DEVS" || fail "cmp_devices: $(cat "$WORK/devices.err") $(cat "$WORK/devices.out")"
grep -q "^devices $N enrolled $N failed 0$" "$WORK/devices.out" || fail "$(cat "$WORK/devices.out")"
for k in 'ir -> ip waiting' 'pollReq -> pollRep' 'pollReq -> ip' 'certConf -> pkiConf'; do
  grep -q "^$k .* messages  median" "$WORK/devices.out" || fail "no '$k' row: $(cat "$WORK/devices.out")"
done
for k in 'ir -> ip waiting' 'pollReq -> ip' 'certConf -> pkiConf'; do
  grep -q "^$k  *$N messages" "$WORK/devices.out" || fail "'$k': not $N messages: $(cat "$WORK/devices.out")"
done
[ "$(grep -c 'certConf txid=.* -> pkiconf confirmed' "$WORK/serve.log")" -eq $N ] \
  || fail "serve confirmed $(grep -c 'certConf txid=.* -> pkiconf confirmed' "$WORK/serve.log") of $N"
for i in $(seq 1 $N); do
  openssl verify -x509_strict -CAfile "$WORK/pki/trust.pem" "$D/$i.pem" >/dev/null \
    || fail "openssl verify device $i"
  [ "$(openssl x509 -in "$D/$i.pem" -noout -pubkey)" = "$(openssl pkey -in "$D/$i.key" -pubout)" ] \
    || fail "device $i: not its key"
  openssl x509 -in "$D/$i.pem" -noout -subject | grep -q "CN = dev-$i, serialNumber = SN-$i\$" \
    || fail "device $i subject: $(openssl x509 -in "$D/$i.pem" -noout -subject)"
done
ok "$N simulated devices (own IDevID, own P-256 key, in-process CMP) enrolled through serve in one round trip; each certificate verifies with openssl verify -x509_strict, holds its key and the IDevID's serialNumber"
stop_serve
done_testing
