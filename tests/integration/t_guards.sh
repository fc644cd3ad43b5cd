#!/usr/bin/env bash
# Smaller guards (issue 9 item 10), through the real programs:
#  - a CSR with a critical requested extension we do not understand is
#    refused by name, not as a failed proof of possession;
#  - the CA transfer key cannot be enrolled as a station key (same key id,
#    or the same public key under another key id);
#  - a CRL signed with the clock far ahead does not block CRL signing for
#    ever: `crl --ca NAME --clock-override --reason TEXT` is the officer's
#    deliberate, audited way out; CRL numbers still strictly increase.
. "$(dirname "$0")/lib.sh"

make_ca

# ---------------------------------------------------------------- critical extension
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/crit.key" \
  -subj "/O=Acme Plant/CN=crit" -addext "1.3.6.1.4.1.55555.1=critical,ASN1:NULL" \
  -out "$WORK/crit.csr" 2>/dev/null
openssl req -in "$WORK/crit.csr" -verify -noout 2>/dev/null || fail "openssl says the CSR's signature is bad"
expect 1 pc issue "$WORK/crit.csr" --ca line3 --profile tls-client -o "$WORK/crit.pem"
err_has "$WORK/crit.csr" "requested extension OID 1.3.6.1.4.1.55555.1 is critical and not understood"
[[ "$ERR" != *"proof of possession"* ]] || fail "still reported as a bad signature: $ERR"
ok "critical unknown requested extension named: ${ERR#plantca: }"

# ---------------------------------------------------------------- transfer key
before=$(store_dump)
expect 1 pc station add line3 "$CAHOME/public/transfer.pub" --ca line3
err_has "$CAHOME/public/transfer.pub" "is the CA transfer key"
python3 - "$CAHOME/public/transfer.pub" "$WORK/renumbered.pub" <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().splitlines()
raw = bytearray(base64.b64decode(lines[1]))
raw[2:10] = bytes(b ^ 0x5a for b in raw[2:10])     # another key id, same key
open(sys.argv[2], "w").write("untrusted comment: renumbered\n" + base64.b64encode(bytes(raw)).decode() + "\n")
PY
expect 1 pc station add line3 "$WORK/renumbered.pub" --ca line3
err_has "$WORK/renumbered.pub" "public key of the CA transfer key"
# without HOME/public/transfer.pub the token is asked for the public key
mv "$CAHOME/public/transfer.pub" "$WORK/transfer.pub.away"
expect 1 pc station add line3 "$WORK/renumbered.pub" --ca line3
err_has "public key of the CA transfer key"
mv "$WORK/transfer.pub.away" "$CAHOME/public/transfer.pub"
[ "$(store_dump)" = "$before" ] || fail "a refused enrollment changed the store"
minisign -G -W -p "$WORK/st.pub" -s "$WORK/st.key" >/dev/null
expect 0 pc station add line3 "$WORK/st.pub" --ca line3
ok "the CA transfer key is refused as a station key (by key id, and by public key under another id, with and without transfer.pub); a station key enrolls"

# ---------------------------------------------------------------- CRL clock override
if command -v faketime >/dev/null; then
  crlnum() { openssl crl -in "$1" -noout -crlnumber | sed 's/.*=//'; }
  expect 0 pc crl --ca line3 -o "$WORK/c1.crl"
  expect 0 ft -f '+400d' "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" crl --ca line3 -o "$WORK/c2.crl"
  expect 1 pc crl --ca line3 -o "$WORK/c3.crl"
  err_has "earlier than the last CRL's thisUpdate" "--clock-override --reason"
  ok "after a CRL signed 400 days ahead, today's clock is refused, and the message names the way out"

  before=$(store_dump)
  expect 2 pc crl --ca line3 --clock-override -o "$WORK/c3.crl"
  err_has "--clock-override needs --reason"
  expect 2 pc crl --clock-override --reason "clock was wrong"
  err_has "--clock-override needs --ca"
  expect 1 pc crl --ca root --clock-override --reason "clock was wrong" -o "$WORK/r.crl"
  err_has "CA 'root'" "nothing to override"
  [ "$(store_dump)" = "$before" ] && [ ! -e "$WORK/c3.crl" ] && [ ! -e "$WORK/r.crl" ] \
    || fail "a refused override changed something"
  ok "--clock-override wants --ca and --reason, and is refused where the clock is not behind"

  expect 0 pc crl --ca line3 --clock-override --reason "clock was set 400 days ahead" -o "$WORK/c3.crl"
  err_has "clock override"
  [ "$(crlnum "$WORK/c2.crl")" = 0x02 ] && [ "$(crlnum "$WORK/c3.crl")" = 0x03 ] \
    || fail "CRL numbers: $(crlnum "$WORK/c2.crl") then $(crlnum "$WORK/c3.crl")"
  openssl crl -in "$WORK/c3.crl" -CAfile "$WORK/line3.pem" -noout 2>/dev/null || fail "override CRL does not verify"
  last=$(openssl crl -in "$WORK/c3.crl" -noout -lastupdate | sed 's/.*=//')
  [ "$(date -u -d "$last" +%Y)" = "$(date -u +%Y)" ] || fail "override CRL thisUpdate $last is not today"
  expect 0 pc audit log
  out_has "crl.clock-override" "clock was set 400 days ahead" "CRL number 2" "CRL number 3" \
    "$(date -u +%Y-%m-%d)" "$(date -u -d '+400 days' +%Y-%m-%d)"
  expect 0 pc audit verify
  ok "the override signs CRL 3 with today's thisUpdate (openssl verifies it); the audit trail has the reason and both times"

  expect 0 pc crl --ca line3 -o "$WORK/c4.crl"
  [ "$(crlnum "$WORK/c4.crl")" = 0x04 ] || fail "next CRL number $(crlnum "$WORK/c4.crl")"
  expect 0 pc crl
  ok "after the override CRL signing goes on as usual (CRL 4)"
else
  skip_part "CRL clock override: faketime not installed (scripts/setup installs it)"
fi
"$PLANTCA" --help >"$WORK/help.txt"
grep -q -- "--clock-override" "$WORK/help.txt" || fail "--help does not document --clock-override"
ok "--help documents the clock override"

# An output is renamed into place: a device or FIFO under that name must be
# refused, not replaced by a file (once `-o /dev/null` made /dev/null a
# regular file)
mkfifo "$WORK/fifo"
ln -s "$WORK/elsewhere.crl" "$WORK/link.crl"
expect 2 pc crl --ca line3 -o "$WORK/fifo"
err_has "$WORK/fifo: exists and is not a regular file"
[ -p "$WORK/fifo" ] || fail "the FIFO was replaced"
expect 2 pc crl --ca line3 -o "$WORK/link.crl"
err_has "not a regular file"
[ -L "$WORK/link.crl" ] && [ ! -e "$WORK/elsewhere.crl" ] || fail "the symlink was replaced or followed"
ok "-o onto a FIFO or a symlink is refused; neither is replaced"
done_testing
