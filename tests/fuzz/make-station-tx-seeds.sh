#!/bin/sh
# make-station-tx-seeds.sh - regenerate the seeds of tests/fuzz/fuzz_station_tx.c:
# DIR/cmp/TXID.tx files as serve writes them (first byte 0x00) and
# cmp-TXID.answer members as plantca export writes them (first byte 0x01),
# valid ones in every state and status (valid-tx-*, valid-ans-*), and
# broken copies (bad-*), each with its row in
# tests/unit/station/bad-station-tx.txt (the table test fails on a bad-*
# file without one).
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
t valid-tx-queued ir queued "$dev"
t valid-tx-sent cr sent "bundle: line3-request-000002" "$dev"
t valid-tx-answered kur answered "bundle: line3-request-000002" "serial: $serial"
t valid-tx-delivered p10cr delivered "serial: $serial" "implicit-confirm: yes"
t valid-tx-confirmed ir confirmed "serial: $serial" "$dev"
t valid-tx-rejected ir rejected "reason: this IDevID already has request 3 (issued)" "$dev"
t valid-tx-closed rr closed "reason: device sent an error: giving up"
t valid-tx-expired ir expired "reason: expired: no answer from the CA within 336 hours"
t bad-tx-kind genm queued
t bad-tx-state ir waiting
t bad-tx-twice ir queued "state: sent"
t bad-tx-unknown ir queued "colour: blue"
t bad-tx-control ir queued "$(printf 'reason: a\033[2Jb')"
t bad-tx-implicit ir queued "implicit-confirm: no"
printf '\000transaction: %s\nkind: ir\n' "$tx" >"$out/bad-tx-short"
printf '\000transaction: %s' "$tx" >"$out/bad-tx-no-newline"
a valid-ans-issued "transaction: $tx" "status: issued" "serial: $serial"
a valid-ans-rejected "transaction: $tx" "status: rejected" "reason: subject attribute serialNumber is required by profile ldevid"
a valid-ans-revoked "transaction: $tx" "status: revoked"
a valid-ans-refused "transaction: $tx" "status: refused" "reason: replayed"
a bad-ans-issued-no-serial "transaction: $tx" "status: issued"
a bad-ans-serial-rejected "transaction: $tx" "status: rejected" "serial: $serial"
a bad-ans-status "transaction: $tx" "status: maybe"
a bad-ans-txid "transaction: XYZ" "status: revoked"
a bad-ans-no-status "transaction: $tx"
# every refusal of st_tx_parse (cmp_state.c: tx_line, read_lines)
t bad-tx-no-colon ir queued "reason - none"
t bad-tx-empty-key ir queued ": x"
t bad-tx-txid-upper ir queued
sed -i "s/transaction: .*/transaction: 0123456789ABCDEF/" "$out/bad-tx-txid-upper"
t bad-tx-txid-odd ir queued
sed -i "s/transaction: .*/transaction: 012/" "$out/bad-tx-txid-odd"
t bad-tx-txid-66 ir queued
sed -i "s/transaction: .*/transaction: ${tx}${tx}00/" "$out/bad-tx-txid-66"
t bad-tx-created ir queued
sed -i 's/created: .*/created: 17961294x2/' "$out/bad-tx-created"
t bad-tx-updated-overflow ir queued
sed -i 's/updated: .*/updated: 18446744073709551616/' "$out/bad-tx-updated-overflow"
t bad-tx-reqid-big ir queued
sed -i 's/cert-req-id: .*/cert-req-id: 2147483648/' "$out/bad-tx-reqid-big"
t bad-tx-reqid-minus2 ir queued
sed -i 's/cert-req-id: .*/cert-req-id: -2/' "$out/bad-tx-reqid-minus2"
t bad-tx-profile-empty ir queued
sed -i 's/profile: .*/profile: /' "$out/bad-tx-profile-empty"
t bad-tx-profile-control ir queued
sed -i "s/profile: .*/profile: ld$(printf '\033')[2Jevid/" "$out/bad-tx-profile-control"
t bad-tx-profile-path ir queued
sed -i 's/profile: .*/profile: ..\/ldevid/' "$out/bad-tx-profile-path"
t bad-tx-signer-63 ir queued
sed -i 's/signer: \(.*\).$/signer: \1/' "$out/bad-tx-signer-63"
t bad-tx-bundle-path ir sent "bundle: ../line3-request-000002"
t bad-tx-serial-upper ir answered "serial: 3F1C"
t bad-tx-serial-44 ir answered "serial: ${serial}0102"
t bad-tx-device-control ir queued "$(printf 'device: CN=pump\033]0;x\007')"
t bad-tx-reason-utf8 ir rejected "$(printf 'reason: bad \303(')"
t bad-tx-reason-401 ir rejected "reason: $(head -c 401 /dev/zero | tr '\000' r)"
t bad-tx-long-line ir rejected "reason: $(head -c 1100 /dev/zero | tr '\000' r)"
t bad-tx-nul ir queued
printf 'reason: a\000b\n' >>"$out/bad-tx-nul"
printf '\000' >"$out/bad-tx-empty"
t bad-tx-no-signer ir queued
sed -i '/^signer: /d' "$out/bad-tx-no-signer"
# one byte over ST_TX_FILE_MAX (8192), of valid lines
t bad-tx-too-big ir queued
n=$(($(wc -c <"$out/bad-tx-too-big") - 1))
printf 'reason: %s\n' "$(head -c $((8192 - n - 8)) /dev/zero | tr '\000' r)" >>"$out/bad-tx-too-big"
# every refusal of st_answer_parse
a bad-ans-no-colon "transaction: $tx" "status revoked"
a bad-ans-unknown "transaction: $tx" "status: revoked" "colour: blue"
a bad-ans-twice "transaction: $tx" "status: revoked" "status: issued"
a bad-ans-serial-upper "transaction: $tx" "status: issued" "serial: 3F1C"
a bad-ans-reason-control "transaction: $tx" "status: rejected" "$(printf 'reason: a\033[2Jb')"
a bad-ans-no-txid "status: revoked"
printf '\001transaction: %s\nstatus: revoked' "$tx" >"$out/bad-ans-no-newline"
{ printf '\001transaction: %s\nstatus: rejected\n' "$tx"
  printf 'reason: %s\n' "$(head -c 8200 /dev/zero | tr '\000' r)"; } >"$out/bad-ans-too-big"
ls "$out" | wc -l | sed 's/$/ seeds/'
