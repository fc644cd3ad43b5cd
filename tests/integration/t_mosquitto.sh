#!/usr/bin/env bash
# A real TLS server judges our CRLs: a mosquitto broker on 127.0.0.1 (random
# free port) with require_certificate true, cafile = our chain and crlfile =
# the issuing CA's CRL accepts a client certificate from our CA, and refuses
# the same client after `plantca revoke`, a new CRL and a broker restart.
. "$(dirname "$0")/lib.sh"

need mosquitto "the broker judges our CRLs (scripts/setup installs it)"
need mosquitto_pub "the client of the broker test (scripts/setup installs mosquitto-clients)"

expect 0 pc init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
  --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA"
expect 0 pc ca new mqtt --subject "/C=DE/O=Acme Plant/CN=MQTT Issuing CA"
pc ca cert root >"$WORK/root.pem"
pc ca cert mqtt >"$WORK/mqtt.pem"
cat "$WORK/mqtt.pem" "$WORK/root.pem" >"$WORK/chain.pem"

mkcsr p256 broker "$WORK/server.csr" "DNS:localhost,IP:127.0.0.1"
expect 0 pc issue "$WORK/server.csr" --ca mqtt --profile tls-server -o "$WORK/server.pem"
mkcsr p256 sensor1 "$WORK/client.csr" "DNS:sensor1.plant.local"
expect 0 pc issue "$WORK/client.csr" --ca mqtt --profile tls-client -o "$WORK/client.pem"
mkcsr p256 sensor2 "$WORK/client2.csr" "DNS:sensor2.plant.local"
expect 0 pc issue "$WORK/client2.csr" --ca mqtt --profile tls-client -o "$WORK/client2.pem"
expect 0 pc crl --ca mqtt -o "$WORK/mqtt.crl"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/mosquitto.conf" <<CONF
user $(id -un)
persistence false
log_dest stderr
listener $PORT 127.0.0.1
allow_anonymous true
cafile $WORK/chain.pem
certfile $WORK/server.pem
keyfile $WORK/server.csr.key
require_certificate true
crlfile $WORK/mqtt.crl
CONF

BROKER=
stop_broker() {
  if [ -n "$BROKER" ]; then kill "$BROKER" 2>/dev/null || true; wait "$BROKER" 2>/dev/null || true; fi
  BROKER=
}
start_broker() {
  mosquitto -c "$WORK/mosquitto.conf" 2>>"$WORK/broker.log" &
  BROKER=$!
  local i
  for i in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    kill -0 "$BROKER" 2>/dev/null || fail "broker died: $(cat "$WORK/broker.log")"
    sleep 0.1
  done
  fail "broker did not listen on $PORT"
}
at_exit stop_broker
publish() {  # [CLIENT]
  local c=${1:-client}
  timeout 20 mosquitto_pub -h 127.0.0.1 -p "$PORT" --cafile "$WORK/chain.pem" \
    --cert "$WORK/$c.pem" --key "$WORK/$c.csr.key" -t plant/test -m hello -q 1
}

start_broker
expect 0 publish
ok "broker accepts the client certificate before revocation"
stop_broker

S=$(openssl x509 -in "$WORK/client.pem" -noout -serial | cut -d= -f2)
expect 0 pc revoke "$S" --reason keyCompromise
expect 0 pc crl --ca mqtt -o "$WORK/mqtt.crl"
start_broker
rc=0; publish >"$WORK/out" 2>"$WORK/err" || rc=$?
[ $rc -ne 0 ] || fail "revoked client was accepted"
grep -qi "revoked" "$WORK/broker.log" || echo "# note: broker log does not say 'revoked': $(tail -3 "$WORK/broker.log")"
ok "after revoke + new CRL + restart the same client is refused (exit $rc: $(head -1 "$WORK/err"))"
expect 0 publish client2
ok "with the new CRL loaded, a client that was not revoked is still accepted"
stop_broker
done_testing
