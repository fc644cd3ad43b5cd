#!/usr/bin/env bash
# `plantca sign` works through the approved requests page by page (so that
# its memory does not grow with the batch, issue 14): a batch of several
# pages, some of whose requests the policy in force refuses at signing,
# comes out exactly as one pass would: every request issued once or
# rejected with its reason, the --json array complete and well formed,
# the summary counts right, the certificates valid for OpenSSL.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

NC=${PAGES_CLIENT:-700}   # tls-client: still allowed when signing
NS=${PAGES_SERVER:-500}   # tls-server: no longer allowed when signing
make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/c" "$WORK/s" "$WORK/usb"
mkcsr p256 dev "$WORK/c/0.csr"
for i in $(seq 1 "$NC"); do cp "$WORK/c/0.csr" "$WORK/c/$i.csr"; done
mkcsr p256 srv.line3.plant.local "$WORK/s/0.csr" "DNS:srv.line3.plant.local"
for i in $(seq 1 "$NS"); do cp "$WORK/s/0.csr" "$WORK/s/$i.csr"; done
rm "$WORK"/c/0.csr* "$WORK"/s/0.csr*
# interleaved in the bundle, so that refusals fall in every page
args=()
for i in $(seq 1 "$NC"); do
  args+=(--profile tls-client "$WORK/c/$i.csr")
  [ "$i" -le "$NS" ] && args+=(--profile tls-server "$WORK/s/$i.csr")
done
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" "${args[@]}" -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/*.tar
expect 0 pc approve --all
ok "$((NC + NS)) requests approved, tls-client and tls-server interleaved"

# the policy in force at signing no longer offers tls-server to the segment
sed 's/^profiles = tls-server tls-client/profiles = tls-client/' "$SRCDIR/policy/default.policy" \
  >"$WORK/narrow.policy"
grep -q '^profiles = tls-client mqtt-client' "$WORK/narrow.policy" || fail "policy edit did not apply"
expect 0 pc policy set "$WORK/narrow.policy"

expect 1 pc --json sign
printf '%s' "$OUT" >"$WORK/sign.json"
err_has "$NS request(s) refused at signing, $NS of them now rejected" "$NC signed"
python3 - "$WORK/sign.json" "$NC" "$NS" <<'PY' || fail "sign --json is not the whole batch"
import json, sys
d = json.load(open(sys.argv[1]))
nc, ns = int(sys.argv[2]), int(sys.argv[3])
ids = [x["id"] for x in d]
assert len(d) == nc + ns, f"{len(d)} entries, not {nc + ns}"
assert len(set(ids)) == len(ids), "an id twice"
issued = [x for x in d if x["status"] == "issued"]
rejected = [x for x in d if x["status"] == "rejected"]
assert len(issued) == nc and len(rejected) == ns, (len(issued), len(rejected))
assert len({x["serial"] for x in issued}) == nc, "a serial twice"
assert all("tls-server" in x["reason"] for x in rejected), rejected[0]
PY
ok "sign --json: one well-formed array over every page, $NC issued, $NS rejected with the reason"

expect 0 pc --json requests --status rejected
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)=='"$NS"', len(d)' <<<"$OUT" \
  || fail "not $NS rejected requests in the store"
expect 0 pc --json requests --status issued
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)=='"$NC"', len(d)' <<<"$OUT" \
  || fail "not $NC issued requests in the store"
expect 0 pc sign
out_has "no approved requests to sign"
ok "the store agrees: $NC issued, $NS rejected, nothing left approved"

# every certificate of the response verifies with OpenSSL
mkdir "$WORK/resp" "$WORK/x"
# a refused export leaves the directory and the store as they were (the
# bundle is streamed into a temporary file, published only at the end)
echo stale >"$WORK/resp/line3-response-000001.tar.minisig"
before_dir=$(snap "$WORK/resp"); before_db=$(store_dump)
expect 1 pc export line3 "$WORK/resp"
err_has "line3-response-000001.tar.minisig: already exists"
[ "$(snap "$WORK/resp")" = "$before_dir" ] || fail "a refused export changed the directory"
[ "$(store_dump)" = "$before_db" ] || fail "a refused export changed the store"
rm "$WORK/resp/line3-response-000001.tar.minisig"
ok "a refused export leaves the output directory and the store exactly as they were"
expect 0 pc export line3 "$WORK/resp"
tar xf "$WORK"/resp/*.tar -C "$WORK/x"
[ "$(ls "$WORK"/x/*.crt | wc -l)" -eq "$NC" ] || fail "response holds $(ls "$WORK"/x/*.crt | wc -l) certificates"
cat "$WORK"/x/*.crt >"$WORK/all.pem"
openssl verify -x509_strict -CAfile "$CAHOME/public/root.pem" -untrusted "$WORK/x/chain.pem" \
  "$WORK"/x/*.crt >"$WORK/verify.out" 2>&1 || { tail -3 "$WORK/verify.out"; fail "openssl verify"; }
[ "$(grep -c ': OK$' "$WORK/verify.out")" -eq "$NC" ] || fail "not every certificate verified"
expect 0 pc audit verify
ok "the $NC certificates verify with openssl verify -x509_strict; audit verify passes"
done_testing
