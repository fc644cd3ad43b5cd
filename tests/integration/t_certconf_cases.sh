#!/usr/bin/env bash
# The table of bad certConf reports (certconf-cases.txt): each row is a
# cmp-TXID.certconf member, made by mkcertconf.py from a genuine certConf
# that `openssl cmp` sent when it refused its new certificate, put in a
# request bundle signed by a station key of line3 (mkbundle.py) and
# imported with `plantca import`.  A refused row must give exactly its
# message in an audit event cmp.certconf "refused", revoke nothing, and
# change nothing in the store but the audit trail and the station's
# sequence (store_diff.py); the one good row revokes the certificate
# (cessationOfOperation) and is audited; its repetition is refused; a good
# one whose certificate the officer revoked before is recorded, not revoked
# again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cmp_setup.sh"
: "${STATION:?}"
need minisign "hand-made request bundles are signed with minisign -S"

cmp_setup
idevid SN-0001 "$WORK/dev1"
idevid SN-0002 "$WORK/dev2"
idevid SN-0003 "$WORK/dev3"
minisign -G -W -p "$WORK/st2.pub" -s "$WORK/st2.key" >/dev/null
expect 0 pc station add line3 "$WORK/st2.pub" --ca line3
at_exit stop_serve
start_serve
clients=()
at_exit 'for p in "${clients[@]}"; do kill "$p" 2>/dev/null || true; done'
cmp_client() {  # LOG DEVICE CN ARGS...: openssl cmp ir in the background
  local log=$1 dev=$2 cn=$3; shift 3
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/$cn.key" 2>/dev/null
  timeout 300 openssl cmp -server "$URL" -trusted "$CAHOME/public/root.pem" -recipient "$RA" \
    -cmd ir -cert "$WORK/$dev.pem" -key "$WORK/$dev.key" -extracerts "$M/ca.pem" \
    -newkey "$WORK/$cn.key" -subject "/O=Acme Plant/CN=$cn" -san_nodefault \
    -certout "$WORK/$cn.pem" "$@" >"$log" 2>&1 &
  clients+=($!)
}
req_id() {  # CN: the id of the request for CN
  pc --json requests | python3 -c 'import json, sys
print([r["id"] for r in json.load(sys.stdin) if "CN=" + sys.argv[1] in r["subject"]][0])' "$1"
}
revoked_count() { pc --json certs --revoked | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# transactions a and b: devices 1 and 2 get certificates and refuse them
# (-out_trusted: a CA that did not issue them); c: device 3's, pending
cmp_client "$WORK/a.log" dev1 pump-a -out_trusted "$M/ca.pem"
cmp_client "$WORK/b.log" dev2 pump-b -out_trusted "$M/ca.pem"
wait_log 2 ' ir txid=.* -> ip waiting'
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$(newest request)"
cmp_client "$WORK/c.log" dev3 pump-c
wait_log 3 ' ir txid=.* -> ip waiting'
expect 0 st request "$ST" -o "$USB" --passphrase-file "$WORK/pass"
expect 0 pc import "$(newest request)"
expect 0 pc approve "$(req_id pump-a)"
expect 0 pc approve "$(req_id pump-b)"
expect 0 pc sign
expect 0 pc export line3 "$USB"
expect 0 st accept "$ST" "$(newest response)" --out "$WORK/pki"
wait_log 2 'certConf txid=.* -> pkiconf cert-rejected'
tx_of() { basename "$(grep -l "$1" "$ST"/cmp/*.tx | head -1)" .tx; }
tx_a=$(tx_of 'serialNumber SN-0001') tx_b=$(tx_of 'serialNumber SN-0002')
grep -q 'state: cert-rejected' "$ST/cmp/$tx_a.tx" || fail "transaction a: $(cat "$ST/cmp/$tx_a.tx")"
grep -q 'state: cert-rejected' "$ST/cmp/$tx_b.tx" || fail "transaction b: $(cat "$ST/cmp/$tx_b.tx")"
tx_c=$(tx_of 'serialNumber SN-0003')
grep -q 'state: sent' "$ST/cmp/$tx_c.tx" || fail "transaction c: $(cat "$ST/cmp/$tx_c.tx")"
serial_a=$(sed -n 's/^serial: //p' "$ST/cmp/$tx_a.tx") serial_b=$(sed -n 's/^serial: //p' "$ST/cmp/$tx_b.tx")
stop_serve
# a's certificate the officer revokes before the report comes
expect 0 pc revoke "$serial_a" --reason keyCompromise
revoked_on=$(pc --json show "$serial_a" | python3 -c 'import json, sys; print(json.load(sys.stdin)["revoked"]["date"])')
ok "transactions a, b issued and refused by their devices in certConfs (openssl cmp -out_trusted), c pending; a's certificate revoked by the officer"

seq=100 rows=0
while IFS= read -r line; do
  case $line in '#'*|'') continue ;; esac
  IFS='|' read -r name tx args result want <<<"$line"
  name=$(xargs <<<"$name") tx=$(xargs <<<"$tx") result=$(xargs <<<"$result")
  args=${args# } args=${args% } want=${want# }
  case $tx in
    a) txid=$tx_a ;; b) txid=$tx_b ;; c) txid=$tx_c ;;
    new) txid=$(openssl rand -hex 16) ;;
    *) fail "$name: TX $tx" ;;
  esac
  args=${args//\{conf_a\}/$ST/cmp/$tx_a.conf} args=${args//\{conf_b\}/$ST/cmp/$tx_b.conf}
  for d in 1 2 3; do args=${args//\{key_$d\}/$WORK/dev$d.key} args=${args//\{cert_$d\}/$WORK/dev$d.pem}; done
  args=${args//\{tx_a\}/$tx_a} args=${args//\{tx_b\}/$tx_b} args=${args//\{tx_c\}/$tx_c}
  args=${args//\{tx\}/$txid}
  # shellcheck disable=SC2086
  python3 "$SRCDIR/tests/integration/mkcertconf.py" $args -o "$WORK/member" || fail "$name: mkcertconf.py $args"
  seq=$((seq + 1))
  mkdir -p "$WORK/bad"
  b=$(python3 "$SRCDIR/tests/integration/mkbundle.py" --key "$WORK/st2.key" --pub "$WORK/st2.pub" \
    --segment line3 --sequence "$seq" -o "$WORK/bad" "cmp-$txid.certconf=$WORK/member")
  req=
  case $tx in a) req=$(req_id pump-a) ;; b) req=$(req_id pump-b) ;; c) req=$(req_id pump-c) ;; esac
  want=${want//\{what\}/$(basename "$b" .tar)/cmp-$txid.certconf} want=${want//\{tx\}/$txid}
  want=${want//\{req\}/$req} want=${want//\{serial_a\}/$serial_a} want=${want//\{serial_b\}/$serial_b}
  want=${want//\{revoked_on\}/$revoked_on}
  revoked=$(revoked_count)
  mdb_dump -a "$CAHOME/db" >"$WORK/before.dump"
  expect 0 pc import "$b"
  mdb_dump -a "$CAHOME/db" >"$WORK/after.dump"
  pc --json audit log | python3 -c 'import json, sys
e = [x for x in json.load(sys.stdin) if x["action"] == "cmp.certconf"][-1]
print(e["result"]); print(e["detail"])' >"$WORK/event"
  got_result=$(sed -n 1p "$WORK/event") got=$(sed -n 2p "$WORK/event")
  python3 "$SRCDIR/tests/integration/store_diff.py" "$WORK/before.dump" "$WORK/after.dump" |
    sed -E 's/^(audit \+|stations ~) .*/\1 X/' | sort -u >"$WORK/diff"
  if [ "$result" = refused ]; then
    out_has "certConf: 0 certificates refused by their devices, revoked; 1 report refused"
    [ "$got_result" = refused ] || fail "$name: audited '$got_result': $got"
    [ "$(revoked_count)" = "$revoked" ] || fail "$name: a refused report revoked something"
    printf 'audit + X\nmeta ~ audit.head\nstations ~ X\n' | diff - "$WORK/diff" >/dev/null ||
      fail "$name: the store changed more than the audit trail and the sequence: $(cat "$WORK/diff")"
  elif [ "$result" = recorded ]; then
    out_has "certConf: 0 certificates refused by their devices, revoked; 1 recorded, already revoked; 0 reports refused"
    [ "$got_result" = recorded ] || fail "$name: audited '$got_result': $got"
    [ "$(revoked_count)" = "$revoked" ] || fail "$name: revoked something"
    printf 'audit + X\nmeta + cmp.conf.%s\nmeta ~ audit.head\nstations ~ X\n' "$txid" | diff - "$WORK/diff" >/dev/null ||
      fail "$name: the store changed more than the audit trail, the sequence and the report's record: $(cat "$WORK/diff")"
  else
    out_has "certConf: 1 certificate refused by its device, revoked; 0 reports refused"
    [ "$got_result" = revoked ] || fail "$name: audited '$got_result': $got"
    [ "$(revoked_count)" = $((revoked + 1)) ] || fail "$name: nothing revoked"
    expect 0 pc show "$serial_b"
    out_has "revoked" "cessationOfOperation"
  fi
  [ "$got" = "$want" ] || fail "$name: the audit detail is
  '$got', not
  '$want'"
  rows=$((rows + 1))
done <"$SRCDIR/tests/integration/certconf-cases.txt"
[ "$rows" -ge 20 ] || fail "only $rows rows read"
expect 0 pc audit verify
ok "$rows certConf reports: each refused with its exact message, audited, nothing revoked and nothing stored but the audit event and the sequence; the good one revokes (cessationOfOperation)"
done_testing
