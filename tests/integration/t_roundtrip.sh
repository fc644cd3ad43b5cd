#!/usr/bin/env bash
# The whole air-gap round trip with the real programs: device CSRs ->
# plantca-station request -> plantca import, review, approve, sign, export ->
# plantca-station accept --layout opcua.  Every artefact is checked with
# stock tools (tar, minisign, sha256sum, openssl).  Also: a request bundle
# built by hand with GNU tar and minisign is accepted, and refused bundles
# leave the CA store exactly as it was.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

make_ca
# --- the plant station
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
[ -f "$WORK/st/station.pub" ] || fail "no station.pub"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
kid=$(head -1 "$WORK/st/station.pub" | awk '{print $NF}')
out_has "$kid"
expect 1 pc station add line3 "$WORK/st/station.pub" --ca line3
err_has "already enrolled"
ok "station init, enrolled once (key $kid), duplicate refused"

# --- devices make CSRs; the station bundles them
mkdir "$WORK/dev" "$WORK/usb"
mkcsr p256 opcua-srv "$WORK/dev/opcua-srv.csr" "URI:urn:acme:line3:opcua-srv,DNS:opcua.line3.plant.local"
mkcsr p256 pump-12 "$WORK/dev/pump-12.csr" "DNS:pump-12.line3.plant.local,IP:10.3.0.12"   # IP SAN under an IP name constraint
mkcsr ed25519 sensor-7 "$WORK/dev/sensor-7.csr" "DNS:sensor-7.line3.plant.local"
mkcsr p256 nosan "$WORK/dev/nosan.csr"      # opcua-app needs a URI SAN: rejected at import
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" \
  --profile opcua-app "$WORK/dev/opcua-srv.csr" "$WORK/dev/nosan.csr" \
  --profile tls-client "$WORK/dev/pump-12.csr" "$WORK/dev/sensor-7.csr" -o "$WORK/usb"
req=$(ls "$WORK"/usb/*.tar)
[ -f "$req.minisig" ] || fail "no .minisig"
# stock tools: tar lists it, BUNDLE first, SHA256SUMS second; minisign and sha256sum accept it
tar tvf "$req" >"$WORK/list" || fail "tar tvf"
[ "$(awk 'NR==1{print $NF}' "$WORK/list")" = BUNDLE ] && [ "$(awk 'NR==2{print $NF}' "$WORK/list")" = SHA256SUMS ] \
  || fail "member order: $(cat "$WORK/list")"
minisign -V -p "$WORK/st/station.pub" -m "$req" >/dev/null || fail "minisign -V refuses the request bundle"
mkdir "$WORK/x" && tar xf "$req" -C "$WORK/x" && (cd "$WORK/x" && sha256sum -c --quiet SHA256SUMS) \
  || fail "sha256sum -c"
ok "request bundle: tar, minisign -V and sha256sum -c accept it"

# --- the CA imports, the officer reviews and approves, the CA signs; this
# plant's policy wants the officer to approve every request
sed 's/^approval = auto$/approval = officer/' "$SRCDIR/policy/default.policy" >"$WORK/officer.policy"
expect 0 pc policy set "$WORK/officer.policy"
expect 0 pc import "$req"
out_has "3 pending, 0 approved by policy, 1 rejected"
expect 0 pc --json requests
python3 - "$OUT" <<'PY' || fail "requests --json"
import json, sys
d = json.loads(sys.argv[1])
assert len(d) == 4, d
by = {r["member"]: r for r in d}
assert by["nosan.csr"]["status"] == "rejected" and "URI" in by["nosan.csr"]["reason"], by["nosan.csr"]
for m in ("opcua-srv.csr", "pump-12.csr", "sensor-7.csr"):
    assert by[m]["status"] == "pending", by[m]      # approval = officer
assert by["sensor-7.csr"]["key"] == "ed25519"
assert "dns:pump-12.line3.plant.local" in by["pump-12.csr"]["san"]
PY
expect 0 pc requests --status pending
out_has "subject" "SAN" "key" "profile" "opcua-app" "tls-client"
expect 1 pc import "$req"
err_has "not newer"
ok "import queues 3 pending (approval = officer) and 1 rejected with the reason; the same bundle again is a replay"

ids=$(pc --json requests --status pending | python3 -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin)))')
first=${ids%% *}
expect 0 pc reject "$first" --reason "not on the asset list"
second=$(cut -d' ' -f2 <<<"$ids")
expect 0 pc approve "$second"
expect 0 pc approve --all
out_has "approved 1 request(s)"
expect 0 pc sign
out_has "signed 2 request(s)"
expect 0 pc --json requests --status issued
[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")" = 2 ] || fail "2 issued"
ok "officer rejects one before signing; sign issues the other 2"

# --- CRLs, export and accept
expect 0 pc crl
mkdir "$WORK/usb2"
expect 0 pc export line3 "$WORK/usb2"
resp=$(ls "$WORK"/usb2/*.tar)
minisign -V -p "$CAHOME/public/transfer.pub" -m "$resp" >/dev/null || fail "minisign -V refuses the response"
grep -q 'trust.p7b' < <(tar tvf "$resp") || fail "no trust.p7b"
mkdir "$WORK/y" && tar xf "$resp" -C "$WORK/y" && (cd "$WORK/y" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c response"
grep -q "^in-reply-to: $(basename "$req" .tar)" "$WORK/y/BUNDLE" || fail "in-reply-to: $(cat "$WORK/y/BUNDLE")"
openssl pkcs7 -inform DER -in "$WORK/y/trust.p7b" -print_certs -noout >/dev/null || fail "trust.p7b unreadable"
[ "$(openssl pkcs7 -inform DER -in "$WORK/y/trust.p7b" -print_certs | grep -c 'BEGIN CERTIFICATE')" = 2 ] || fail "trust.p7b certs"
ok "response bundle: minisign -V, sha256sum -c, in-reply-to, trust.p7b (openssl pkcs7)"

expect 0 "$STATION" accept "$WORK/st" "$resp" --out "$WORK/pki" --layout opcua
for d in trusted/certs issuers/certs own/certs; do
  [ -n "$(ls "$WORK/pki/$d")" ] || fail "$d is empty"
done
for f in "$WORK"/pki/own/certs/*; do
  openssl verify -x509_strict -CAfile "$WORK/pki/issuers/certs/"* -untrusted "$f" "$f" >/dev/null \
    || fail "own cert $f does not verify against issuers/certs"
done
for d in trusted/crl issuers/crl; do
  [ -n "$(ls "$WORK/pki/$d")" ] || fail "$d is empty"
done
cat "$WORK"/pki/issuers/certs/* "$WORK"/pki/trusted/certs/* "$WORK"/pki/trusted/crl/* "$WORK"/pki/issuers/crl/* \
  >"$WORK/crlcheck.pem"
for f in "$WORK"/pki/own/certs/*; do
  openssl verify -x509_strict -crl_check_all -CAfile "$WORK/crlcheck.pem" "$f" >/dev/null \
    || fail "$f does not verify with -crl_check_all against the delivered CRLs"
done
ok "station accept --layout opcua: own/certs verify (-crl_check_all) with the delivered trusted/ and issuers/ certs and CRLs"
expect 1 "$STATION" accept "$WORK/st" "$resp" --out "$WORK/pki2" --layout flat
err_has "$(basename "$resp")"
[ ! -e "$WORK/pki2" ] || [ -z "$(ls -A "$WORK/pki2")" ] || fail "a refused bundle wrote files"
ok "the same response again is refused (replay) and writes nothing"

# --- firmware: signed in the token, published to the segment, delivered in
# the next response bundle, checked by the station against its own root and
# the CRLs it was given; then the signer is revoked
head -c 300000 /dev/urandom >"$WORK/fw.bin"
expect 0 pc firmware signer new fw-line3 --ca line3 --subject "/O=Acme Plant/CN=Line 3 firmware"
expect 0 pc firmware sign "$WORK/fw.bin" --signer fw-line3 --fw-version 2.1.0 -o "$WORK/fw.p7s"
openssl cms -verify -binary -inform DER -in "$WORK/fw.p7s" -content "$WORK/fw.bin" \
  -CAfile "$CAHOME/public/root.pem" -purpose any -out /dev/null 2>/dev/null || fail "openssl cms -verify"
expect 0 pc firmware publish line3 "$WORK/fw.p7s"
expect 0 pc crl
mkdir "$WORK/usb3"
expect 0 pc export line3 "$WORK/usb3"
out_has "1 firmware signature(s)"
expect 0 "$STATION" accept "$WORK/st" "$(ls "$WORK"/usb3/*.tar)" --out "$WORK/pki" --layout opcua
fw=$(ls "$WORK"/pki/firmware/*.p7s)
cmp -s "$fw" "$WORK/fw.p7s" || fail "delivered signature differs"
expect 0 "$STATION" verify-firmware "$WORK/st" "$WORK/fw.bin" "$fw" --pki "$WORK/pki" --min-version 2.0
out_has "valid signature" "2.1.0"
expect 1 "$STATION" verify-firmware "$WORK/st" "$WORK/fw.bin" "$fw" --pki "$WORK/pki" --min-version 2.2
err_has "lower than the minimum"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[1000] ^= 1; open(sys.argv[2], "wb").write(d)' \
  "$WORK/fw.bin" "$WORK/fw-bad.bin"     # one bit, always a change
expect 1 "$STATION" verify-firmware "$WORK/st" "$WORK/fw-bad.bin" "$fw" --pki "$WORK/pki"
ok "firmware signed in the token, delivered in the response bundle, verified by the station; rollback and a changed image refused"
fwserial=$(openssl cms -cmsout -print -inform DER -in "$WORK/fw.p7s" | awk '/serialNumber:/{print $2; exit}' | sed 's/^0x//' | tr 'A-F' 'a-f')
[ ${#fwserial} -ge 30 ] || fail "no signer serial from openssl cms -print: '$fwserial'"
fwserial=$(printf '%040s' "$fwserial" | tr ' ' 0)
expect 0 pc revoke "$fwserial" --reason keyCompromise
expect 0 pc crl
mkdir "$WORK/usb4"
expect 0 pc export line3 "$WORK/usb4"
expect 0 "$STATION" accept "$WORK/st" "$(ls "$WORK"/usb4/*.tar)" --out "$WORK/pki" --layout opcua
expect 1 "$STATION" verify-firmware "$WORK/st" "$WORK/fw.bin" "$fw" --pki "$WORK/pki"
err_has "revoked"
ok "after the signer's revocation reaches the station in the next CRL, its firmware is refused"

# --- a request bundle made by hand with GNU tar + minisign, from the station
# key; under the default policy (approval = auto) it is approved at import
expect 0 pc policy set "$SRCDIR/policy/default.policy"
seq=2    # the station sent sequence 1
mkdir "$WORK/hand" && cd "$WORK/hand"
mkcsr p256 hand-1 hand-1.csr "DNS:hand-1.line3.plant.local"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ); later=$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)
cat >BUNDLE <<B
format: 1
kind: request
segment: line3
sender: $kid
sequence: $seq
created: $now
expires: $later
csr: hand-1.csr tls-client
B
sha256sum hand-1.csr >SHA256SUMS
tar --format=ustar -cf line3-request-hand.tar BUNDLE SHA256SUMS hand-1.csr
minisign -S -s "$WORK/st/station.key" -m line3-request-hand.tar \
  -t "plantca-bundle kind=request segment=line3 sender=$kid sequence=$seq file=line3-request-hand.tar" \
  <"$WORK/pass" >/dev/null 2>&1 || fail "minisign -S with the station key"
cd "$SRCDIR"
expect 0 pc import "$WORK/hand/line3-request-hand.tar"
out_has "0 pending, 1 approved by policy"
ok "a bundle built by hand with GNU tar + minisign -S is accepted"

# --- refused bundles leave the store unchanged
before=$(store_dump)
cp "$WORK/hand/line3-request-hand.tar" "$WORK/t.tar"; cp "$WORK/hand/line3-request-hand.tar.minisig" "$WORK/t.tar.minisig"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[700] ^= 1; open(sys.argv[1], "wb").write(d)' "$WORK/t.tar"
expect 1 pc import "$WORK/t.tar"
err_has "t.tar"
[ "$(store_dump)" = "$before" ] || fail "a tampered bundle changed the store"
expect 1 pc import "$WORK/hand/line3-request-hand.tar"
err_has "not newer"
[ "$(store_dump)" = "$before" ] || fail "a replayed bundle changed the store"
ok "tampered and replayed bundles refused, store unchanged (${ERR#plantca: })"
done_testing
