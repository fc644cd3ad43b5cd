#!/bin/sh
# make-station-tx-seeds.sh - regenerate the seeds of tests/fuzz/fuzz_station_tx.c:
# DIR/cmp/TXID.tx files as serve writes them (first byte 0x00) and
# cmp-TXID.answer members as plantca export writes them (first byte 0x01),
# valid ones in every state and status, and broken copies (bad-*).
#
#   tests/fuzz/make-station-tx-seeds.sh
set -eu
out=$(cd "$(dirname "$0")" && pwd)/corpus/fuzz_station_tx
mkdir -p "$out"
find "$out" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'regress-*' -exec rm -f {} +
tx=0123456789abcdef0123456789abcdef
signer=f3ab8571c99640a67bccef290b1362939d1673a675456a232f89f42b24acfc33
serial=3f1c2a0b4d5e6f708192a3b4c5d6e7f8091a2b3c
t() {   # NAME KIND STATE [MORE LINES]: a TXID.tx seed
	name=$1 kind=$2 state=$3
	shift 3
	{ printf '\000'
	  printf 'transaction: %s\nkind: %s\nstate: %s\ncreated: 1796129432\nupdated: 1796129433\n' \
	      "$tx" "$kind" "$state"
	  printf 'cert-req-id: %s\nprofile: ldevid\nsigner: %s\n' \
	      "$([ "$kind" = p10cr ] && echo -1 || echo 0)" "$signer"
	  for l in "$@"; do printf '%s\n' "$l"; done; } >"$out/$name"
}
a() {   # NAME LINES...: an answer seed
	name=$1
	shift
	{ printf '\001'; for l in "$@"; do printf '%s\n' "$l"; done; } >"$out/$name"
}
dev="device: 'serialNumber=SN-0001,CN=pump,O=Acme Devices', serialNumber SN-0001, hwSerialNum SN-0001, serial 1000"
t tx-queued ir queued "$dev"
t tx-sent cr sent "bundle: line3-request-000002" "$dev"
t tx-answered kur answered "bundle: line3-request-000002" "serial: $serial"
t tx-delivered p10cr delivered "serial: $serial" "implicit-confirm: yes"
t tx-confirmed ir confirmed "serial: $serial" "$dev"
t tx-rejected ir rejected "reason: this IDevID already has request 3 (issued)" "$dev"
t tx-closed rr closed "reason: device sent an error: giving up"
t tx-expired ir expired "reason: expired: no answer from the CA within 336 hours"
t bad-tx-kind genm queued
t bad-tx-state ir waiting
t bad-tx-twice ir queued "state: sent"
t bad-tx-unknown ir queued "colour: blue"
t bad-tx-control ir queued "$(printf 'reason: a\033[2Jb')"
t bad-tx-implicit ir queued "implicit-confirm: no"
printf '\000transaction: %s\nkind: ir\n' "$tx" >"$out/bad-tx-short"
printf '\000transaction: %s' "$tx" >"$out/bad-tx-no-newline"
a ans-issued "transaction: $tx" "status: issued" "serial: $serial"
a ans-rejected "transaction: $tx" "status: rejected" "reason: subject attribute serialNumber is required by profile ldevid"
a ans-revoked "transaction: $tx" "status: revoked"
a ans-refused "transaction: $tx" "status: refused" "reason: replayed"
a bad-ans-issued-no-serial "transaction: $tx" "status: issued"
a bad-ans-serial-rejected "transaction: $tx" "status: rejected" "serial: $serial"
a bad-ans-status "transaction: $tx" "status: maybe"
a bad-ans-txid "transaction: XYZ" "status: revoked"
a bad-ans-no-status "transaction: $tx"
ls "$out" | wc -l | sed 's/$/ seeds/'
