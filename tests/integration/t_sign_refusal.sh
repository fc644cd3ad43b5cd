#!/usr/bin/env bash
# One request that no longer passes at signing time does not stop the batch
# (issue 9, item 7): sign issues the good ones, rejects the bad one with the
# reason, reports it, exits 1; the next sign has nothing left to refuse.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb"
mkcsr p256 good-1 "$WORK/dev/good-1.csr"
mkcsr p256 bad-1 "$WORK/dev/bad-1.csr"
mkcsr p256 good-2 "$WORK/dev/good-2.csr"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev/good-1.csr" "$WORK/dev/bad-1.csr" "$WORK/dev/good-2.csr" -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/*.tar
expect 0 pc approve --all
# the plant's policy tightens between approval and signing
sed '/^\[profile tls-client\]/a subject-match.CN = good-*' "$SRCDIR/policy/default.policy" >"$WORK/strict.policy"
expect 0 pc policy set "$WORK/strict.policy"
expect 1 pc sign
out_has "signed 2 request(s)"
err_has "bad-1.csr" "does not match profile tls-client's pattern" "(rejected)" \
  "1 request(s) refused at signing, 1 of them now rejected"
expect 0 pc --json requests
python3 - "$OUT" <<'PY' || fail "request states after sign"
import json, sys
by = {r["member"]: r for r in json.loads(sys.argv[1])}
assert by["good-1.csr"]["status"] == "issued" and by["good-2.csr"]["status"] == "issued", by
assert by["bad-1.csr"]["status"] == "rejected", by["bad-1.csr"]
assert by["bad-1.csr"]["reason"].startswith("refused at signing: "), by["bad-1.csr"]["reason"]
PY
expect 0 pc sign
out_has "no approved requests to sign"
expect 0 pc audit verify
expect 0 pc audit log
out_has "refused at signing"
ok "sign issued the 2 good requests, rejected the one the policy now refuses (with the reason, audited), exit 1"
done_testing
