#!/usr/bin/env bash
# A certificate revoked before it was ever delivered is not put into the
# response bundle: the station, which checks every certificate against the
# delivered CRLs, refused the whole bundle for it, and the good ones with
# it.  It is marked handled, so no later export carries it either.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb" "$WORK/resp" "$WORK/resp2"
for i in 1 2 3; do mkcsr p256 "dev-$i" "$WORK/dev/$i.csr"; done
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK"/dev/*.csr -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/*.tar
expect 0 pc approve --all
expect 0 pc --json sign
bad=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[1]["serial"])' <<<"$OUT")
expect 0 pc revoke "$bad" --reason keyCompromise
expect 0 pc crl
expect 0 pc export line3 "$WORK/resp"
out_has "2 certificate(s)"
tar tf "$WORK"/resp/*.tar >"$WORK/members"
grep -qi "^$bad.crt$" "$WORK/members" && fail "the revoked certificate $bad is in the bundle"
[ "$(grep -c '\.crt$' "$WORK/members")" -eq 2 ] || fail "not the two good certificates"
expect 0 "$STATION" accept "$WORK/st" "$WORK"/resp/*.tar --out "$WORK/pki"
ok "a certificate revoked before delivery stays out of the bundle; the station accepts the other two"
expect 0 pc export line3 "$WORK/resp2"
out_has "0 certificate(s)"
ok "and no later export carries it"
done_testing
