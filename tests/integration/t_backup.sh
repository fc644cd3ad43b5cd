#!/usr/bin/env bash
# The restore drill (docs/operations.md): back up, keep working (issue,
# revoke, CRL, export), lose the CA home, restore the older backup,
# continue.  Checked with stock tools: sha256sum -c on the MANIFEST,
# openssl pkeyutl on its signature, openssl crl for CRL numbers (never
# backwards), every serial once, and the station accepts the next bundle.
# Refusals (a changed file, a bad signature, an extra file, a token that
# lacks a key the store names, a NEW that is not empty) leave NEW absent.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need xxd "to turn the audit key's hex into a key file for openssl"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb" "$WORK/media"
batch() {  # batch N: two CSRs through request, import, sign
  mkcsr p256 "dev$1a" "$WORK/dev/$1a.csr" "DNS:dev$1a.line3.plant.local" 2>/dev/null
  mkcsr p256 "dev$1b" "$WORK/dev/$1b.csr" "DNS:dev$1b.line3.plant.local" 2>/dev/null
  expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
    "$WORK/dev/$1a.csr" "$WORK/dev/$1b.csr" -o "$WORK/usb"
  expect 0 pc import "$(ls -t "$WORK"/usb/*.tar | head -1)"
  expect 0 pc sign
}
serials() { pc --json certs | python3 -c 'import json,sys; print("\n".join(c["serial"] for c in json.load(sys.stdin) if c["profile"] == "tls-client"))'; }
crlnum() { printf '%d' "$(openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2)"; }
accept_last() {
  expect 0 "$STATION" accept "$WORK/st" "$(ls -t "$WORK"/media/*.tar | head -1)" --out "$WORK/pki" --layout opcua
}
last_crl() { openssl crl -in "$WORK/pki/trusted/crl/line3.crl" -outform DER -out "$WORK/l3.der"; crlnum "$WORK/l3.der"; }

batch 1
S1=$(serials | sort)
expect 0 pc crl
expect 0 pc export line3 "$WORK/media"
accept_last
cp -a "$WORK/hsm/tokens" "$WORK/tokens.before-fw"    # a token backup older than the signer
expect 0 pc firmware signer new fw-a --ca line3 --subject "/O=Acme Plant/CN=Firmware Signer A"

# the active policy is part of the CA home a backup holds
sed 's/^days = 730$/days = 700/' "$SRCDIR/policy/default.policy" >"$WORK/plant.policy"
cmp -s "$WORK/plant.policy" "$SRCDIR/policy/default.policy" && fail "test bug: the policy equals the default"
expect 0 pc policy set "$WORK/plant.policy"
phash=$(sha256sum "$WORK/plant.policy" | cut -d' ' -f1)

# --------------------------------------------------------------- backup
expect 0 pc backup "$WORK/bk"
akey=$(sed -n 's/.*signed by audit key \([0-9a-f]\{64\}\).*/\1/p' <<<"$OUT")
[ -n "$akey" ] || fail "backup did not name the audit key: $OUT"
(cd "$WORK/bk" && sha256sum -c --quiet MANIFEST) || fail "sha256sum -c MANIFEST"
grep -q '  db/data.mdb$' "$WORK/bk/MANIFEST" && grep -q '  public/root.pem$' "$WORK/bk/MANIFEST" \
  && grep -q '  crl/current/line3\.' "$WORK/bk/MANIFEST" && grep -qx "$phash  policy.conf" "$WORK/bk/MANIFEST" \
  || fail "MANIFEST: $(cat "$WORK/bk/MANIFEST")"
{ printf '302a300506032b6570032100%s' "$akey" | xxd -r -p; } >"$WORK/akey.der"
openssl pkey -pubin -inform DER -in "$WORK/akey.der" -out "$WORK/akey.pem"
openssl pkeyutl -verify -pubin -inkey "$WORK/akey.pem" -rawin -in "$WORK/bk/MANIFEST" \
  -sigfile "$WORK/bk/MANIFEST.sig" >/dev/null || fail "openssl does not verify MANIFEST.sig"
expect 0 pc --json audit log
grep -q '"action":"backup"' <<<"$OUT" || fail "no backup event"
ok "backup: sha256sum -c MANIFEST passes, openssl verifies MANIFEST.sig with the audit key, event recorded"

# ------------------------------------------- keep working after the backup
batch 2
expect 0 pc revoke "$(echo "$S1" | sed -n 1p)" --reason keyCompromise
expect 0 pc crl
expect 0 pc export line3 "$WORK/media"
accept_last
crl_lost=$(last_crl)                   # the highest CRL number that left the CA
seq_lost=$(sed -n 's/^last-response-sequence: //p' "$WORK/st/station.conf")
ok "after the backup: 2 more certificates, a revocation, CRL number $crl_lost, response $seq_lost delivered"

# ------------------------------------------------------ lose the home
mv "$CAHOME" "$WORK/lost"
R() { "$PLANTCA" --pin-file "$PIN" "$@"; }
refused_restore() {  # refused_restore BACKUP WHY...
  expect "${WANT:-1}" R restore "$1" --home "$WORK/new"
  err_has "${@:2}"
  [ ! -e "$WORK/new" ] || fail "a refused restore left $WORK/new"
  [ -z "$(ls -a "$WORK" | grep '^\.new\.')" ] || fail "a refused restore left its stage: $(ls -a "$WORK")"
}
cp -a "$WORK/bk" "$WORK/bk1"; printf 'x' >>"$WORK/bk1/public/root.pem"
refused_restore "$WORK/bk1" "public/root.pem" "SHA-256 differs"
cp -a "$WORK/bk" "$WORK/bk2"; printf '\x00' | dd of="$WORK/bk2/MANIFEST.sig" bs=1 seek=5 conv=notrunc 2>/dev/null
refused_restore "$WORK/bk2" "MANIFEST.sig" "does not verify"
cp -a "$WORK/bk" "$WORK/bk3"; echo extra >"$WORK/bk3/public/extra.txt"
refused_restore "$WORK/bk3" "MANIFEST lists"
cp -a "$WORK/bk" "$WORK/bk4"; sed -i '1s/^\(.\)/\1\1/' "$WORK/bk4/MANIFEST"
refused_restore "$WORK/bk4" "MANIFEST:1: expected 'SHA256  PATH'"
# a token backup from before the firmware signer: the store names a key it lacks
mv "$WORK/hsm/tokens" "$WORK/tokens.now"; cp -a "$WORK/tokens.before-fw" "$WORK/hsm/tokens"
WANT=2 refused_restore "$WORK/bk" "firmware signer fw-a" "token lacks"   # exit 2: the token, not the input
rm -rf "$WORK/hsm/tokens"; mv "$WORK/tokens.now" "$WORK/hsm/tokens"
mkdir "$WORK/new"; touch "$WORK/new/x"
expect 1 R restore "$WORK/bk" --home "$WORK/new"
err_has "not empty"
rm -rf "$WORK/new"
ok "restore refuses a changed file, a bad signature, an extra file, a bad MANIFEST, a token without a key, a non-empty NEW"

expect 0 R restore "$WORK/bk" --home "$WORK/new"
out_has "restored from" "1 response sequence"
CAHOME=$WORK/new
[ "$(mode "$CAHOME")" = 700 ] || fail "restored home mode $(mode "$CAHOME")"
expect 0 pc audit verify
expect 0 pc --json audit log
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[-1]["action"]=="restore", d[-1]' <<<"$OUT" \
  || fail "the last event is not the restore"
cmp -s "$CAHOME/policy.conf" "$WORK/plant.policy" || fail "the restored home's policy.conf is not the policy set before the backup"
expect 0 pc policy show
out_has "$phash"
ok "restored into a new home: audit verify passes, the restore is the last event"

# ------------------------------------------------------------ continue
# the station's next request is newer than the restored store knows; what
# was signed after the backup is gone from this store, and its serials
# must never come back
batch 3
S_after=$(serials | sort)
pc_lost() { "$PLANTCA" --home "$WORK/lost" --pin-file "$PIN" "$@"; }
lost=$(pc_lost --json certs | python3 -c 'import json,sys; print("\n".join(c["serial"] for c in json.load(sys.stdin) if c["profile"] == "tls-client"))' | sort)
restored=$(printf '%s\n' "$S_after" | sort)
# serials issued after the backup (in the lost home only) must not reappear
only_lost=$(comm -23 <(echo "$lost") <(echo "$restored"))
[ -n "$only_lost" ] || fail "test bug: no certificate was issued after the backup"
new_after=$(comm -13 <(echo "$lost") <(echo "$restored"))
[ -n "$new_after" ] || fail "test bug: nothing issued after the restore"
[ -z "$(comm -12 <(echo "$only_lost") <(echo "$new_after"))" ] || fail "a serial was issued twice"
gone=$(echo "$S1" | sed -n 2p)          # delivered before the backup, revoked after the restore
expect 0 pc revoke "$gone" --reason superseded
expect 0 pc crl
expect 0 pc export line3 "$WORK/media"
accept_last
crl_now=$(last_crl)
seq_now=$(sed -n 's/^last-response-sequence: //p' "$WORK/st/station.conf")
[ "$crl_now" -gt "$crl_lost" ] || fail "CRL number went backwards: $crl_now after $crl_lost"
[ "$seq_now" -gt "$seq_lost" ] || fail "response sequence $seq_now after $seq_lost"
vfy() { openssl verify -x509_strict -crl_check -CRLfile "$WORK/pki/trusted/crl/line3.crl" \
  -CRLfile "$WORK/pki/issuers/crl/root.crl" -CAfile "$WORK/pki/issuers/certs/Acme_Plant_Root_CA.pem" \
  -untrusted "$WORK/pki/trusted/certs/Line_3_Issuing_CA.pem" "$1" >/dev/null 2>&1; }
for f in "$WORK"/pki/own/certs/*.pem; do
  if [ "$(serial_of "$f")" = "$gone" ]; then
    ! vfy "$f" || fail "$f: revoked after the restore, still verifies with CRL $crl_now"
  elif echo "$new_after" | grep -qx "$(serial_of "$f")"; then
    vfy "$f" || fail "$f: issued after the restore, does not verify"
  fi
done
ok "after the restore: $(echo "$new_after" | wc -l) new serials, none seen before; CRL number $crl_now > $crl_lost (openssl); the station accepted response $seq_now > $seq_lost"

# every certificate that left the CA in a response bundle, before the loss
# and after the restore, read by OpenSSL: no serial names two certificates
: >"$WORK/delivered"
for t in "$WORK"/media/*-response-*.tar; do
  d=$(mktemp -d "$WORK/resp.XXXX"); tar xf "$t" -C "$d"
  for c in "$d"/*.crt; do
    [ -e "$c" ] || continue
    printf '%s %s %s\n' "$(openssl x509 -in "$c" -noout -serial | cut -d= -f2)" \
      "$(openssl x509 -in "$c" -noout -fingerprint -sha256 | cut -d= -f2)" "$(basename "$t")" >>"$WORK/delivered"
  done
done
[ "$(cut -d' ' -f3 "$WORK/delivered" | sort -u | wc -l)" -ge 3 ] || fail "test bug: certificates from fewer than 3 responses: $(cat "$WORK/delivered")"
grep -q "response-0*10002.tar$" "$WORK/delivered" || fail "test bug: the response after the restore delivered no certificate"
dup=$(cut -d' ' -f1,2 "$WORK/delivered" | sort -u | cut -d' ' -f1 | uniq -d)
[ -z "$dup" ] || fail "serial $dup names two different certificates (openssl): $(grep "^$dup" "$WORK/delivered")"
ok "openssl: $(cut -d' ' -f2 "$WORK/delivered" | sort -u | wc -l) certificates delivered in $(cut -d' ' -f3 "$WORK/delivered" | sort -u | wc -l) responses, before the loss and after the restore, no serial twice"

# the plant notices the lost events: its checkpoints from response $seq_lost are not in the restored trail
expect 0 pc audit export "$WORK/trail"
expect 1 "$STATION" audit-check "$WORK/st" "$WORK/trail"
ok "audit-check names what the restore lost: ${ERR#plantca-station: }"
done_testing
