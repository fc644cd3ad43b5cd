#!/usr/bin/env bash
# Firmware signing: signers issued through the pipeline, CMS signatures
# checked by OpenSSL (EC) and GnuTLS certtool (Ed25519: OpenSSL 3.0's CMS
# cannot verify Ed25519 at all, not even its own), RFC 4108 attributes shown
# by `openssl cms -cmsout -print`, minisign signatures checked by minisign,
# and our verifier refusing each kind of bad input with the right reason.
. "$(dirname "$0")/lib.sh"
: "${FW_TEST_CRL:?}" "${FW_TEST_SIGN:?}" "${STATION:?}"

make_ca
cat "$WORK/line3.pem" "$WORK/root.pem" >"$WORK/chain.pem"

# ---- signers
expect 0 pc firmware signer new fw-a --ca line3 --subject "/O=Acme Plant/CN=Firmware Signer A"
out_has "firmware signer 'fw-a'" "ec-p256"
expect 0 pc firmware signer new fw-ed --ca line3 --subject "/O=Acme Plant/CN=Firmware Signer Ed" \
  --key ed25519
expect 0 pc firmware signer new fw-384 --ca line3 --subject "/O=Acme Plant/CN=Firmware Signer 384" \
  --key ec-p384 --package pump-fw
ok "three signers (ec-p256, ed25519, ec-p384)"
expect 1 pc firmware signer new fw-a --ca line3 --subject "/CN=again"
err_has "signer 'fw-a' already exists"
expect 2 pc firmware signer new fw-r --ca line3 --subject "/CN=x" --key rsa-3072
err_has "firmware signers are ec-p256, ec-p384 or ed25519"
expect 1 pc firmware signer new fw-x --ca nosuch --subject "/CN=x"
err_has "CA 'nosuch' does not exist"
ok "duplicate name, RSA key and unknown CA refused"

expect 0 pc --json firmware signer list
python3 -c 'import json,sys; d=json.load(sys.stdin); assert sorted(s["name"] for s in d)==["fw-384","fw-a","fw-ed"], d; assert all(s["status"]=="valid" for s in d)' <<<"$OUT" \
  || fail "signer list --json"
serial_a=$(python3 -c 'import json,sys; print([s["serial"] for s in json.load(sys.stdin) if s["name"]=="fw-a"][0])' <<<"$OUT")
# the signer certificate is in the inventory like any other
expect 0 pc show "$serial_a" --pem
echo "$OUT" >"$WORK/fw-a.pem"
txt=$(openssl x509 -in "$WORK/fw-a.pem" -noout -text)
grep -q 'Code Signing' <<<"$txt" || fail "no codeSigning EKU"
grep -A1 'X509v3 Key Usage: critical' <<<"$txt" | grep -q '^ *Digital Signature$' || fail "KU not digitalSignature only, critical"
grep -A1 'X509v3 Basic Constraints: critical' <<<"$txt" | grep -q 'CA:FALSE' || fail "not CA:FALSE"
openssl verify -x509_strict -CAfile "$WORK/root.pem" -untrusted "$WORK/line3.pem" "$WORK/fw-a.pem" >/dev/null \
  || fail "signer certificate does not verify"
ok "signer certificate: codeSigning, KU digitalSignature critical, CA:FALSE, verifies (openssl -x509_strict)"

# ---- signing
head -c $((5 * 1024 * 1024 + 7)) /dev/urandom >"$WORK/fw.bin"
T1=1.3.6.1.4.1.99999.1.7
T2=1.3.6.1.4.1.99999.1.8
expect 0 pc firmware sign "$WORK/fw.bin" --signer fw-a --fw-version 1.3.0 --target $T1 --target $T2
[ -s "$WORK/fw.bin.p7s" ] || fail "no IMAGE.p7s"
expect 0 pc firmware sign "$WORK/fw.bin" --signer fw-384 --fw-version 1.3.0 --package pump-fw -o "$WORK/fw384.p7s"
expect 0 pc firmware sign "$WORK/fw.bin" --signer fw-ed --fw-version 1.3.0 -o "$WORK/fwed.p7s" --minisign
[ -s "$WORK/fwed.minisig" ] || fail "no minisign signature"
expect 1 pc firmware sign "$WORK/fw.bin" --signer fw-a --fw-version 1.3.1
err_has "already exists; not overwriting"
expect 2 pc firmware sign "$WORK/fw.bin" --signer fw-a --fw-version 1.x -o "$WORK/x.p7s"
err_has "expected dotted numbers"
expect 2 pc firmware sign "$WORK/fw.bin" --signer fw-a --fw-version 1.0 --target pump -o "$WORK/x.p7s"
err_has "expected a dotted OID"
expect 2 pc firmware sign "$WORK/fw.bin" --signer fw-a --fw-version 1.0 --minisign -o "$WORK/x.p7s"
err_has "--minisign needs an Ed25519 signer"
[ ! -e "$WORK/x.p7s" ] || fail "refused signing left a file"
ok "signed with each signer; bad version, target, --minisign and overwrite refused"

for s in fw.bin.p7s fw384.p7s; do
  openssl cms -verify -binary -inform DER -in "$WORK/$s" -content "$WORK/fw.bin" \
    -CAfile "$WORK/root.pem" -purpose any -out /dev/null 2>"$WORK/err" || { cat "$WORK/err"; fail "openssl: $s"; }
  certtool --p7-verify --load-ca-certificate "$WORK/root.pem" --load-data "$WORK/fw.bin" \
    --infile "$WORK/$s" --inder >/dev/null 2>&1 || fail "certtool: $s"
done
certtool --p7-verify --load-ca-certificate "$WORK/root.pem" --load-data "$WORK/fw.bin" \
  --infile "$WORK/fwed.p7s" --inder >/dev/null 2>&1 || fail "certtool: Ed25519 signature"
ok "EC signatures verify with openssl cms -verify -purpose any and certtool; Ed25519 with certtool"

p=$(openssl cms -cmsout -print -inform DER -in "$WORK/fw.bin.p7s")
grep -q '1.2.840.113549.1.9.16.2.35' <<<"$p" || fail "no firmwarePackageID attribute"
grep -q 'OCTET STRING *:fw-a:1.3.0' <<<"$p" || fail "package identifier is not fw-a:1.3.0"
grep -q '1.2.840.113549.1.9.16.2.36' <<<"$p" || fail "no targetHardwareIDs attribute"
grep -q "OBJECT *:$T1" <<<"$p" && grep -q "OBJECT *:$T2" <<<"$p" || fail "targets missing"
grep -q 'signingTime' <<<"$p" && grep -q 'messageDigest' <<<"$p" && grep -q 'contentType' <<<"$p" \
  || fail "standard signed attributes missing"
grep -q 'algorithm: sha256' <<<"$p" && grep -q 'ecdsa-with-SHA256' <<<"$p" || fail "not sha256/ecdsa-with-SHA256"
grep -q 'eContent: <ABSENT>' <<<"$p" || fail "content is not detached"
[ "$(grep -c 'cert_info:' <<<"$p")" = 3 ] || fail "signature does not carry signer, CA and root"
p=$(openssl cms -cmsout -print -inform DER -in "$WORK/fw384.p7s")
grep -q 'algorithm: sha384' <<<"$p" && grep -q 'ecdsa-with-SHA384' <<<"$p" && grep -q ':pump-fw:1.3.0' <<<"$p" \
  || fail "P-384 signature: sha384 / package"
grep -q 'algorithm: sha512' < <(openssl cms -cmsout -print -inform DER -in "$WORK/fwed.p7s") \
  || fail "Ed25519 signature does not use SHA-512 (RFC 8419)"
ok "openssl cms -print: RFC 4108 package id and targets, detached, chain included, hashes by key"

minisign -V -p "$CAHOME/public/fw-fw-ed.pub" -m "$WORK/fw.bin" -x "$WORK/fwed.minisig" >/dev/null \
  || fail "minisign -V"
ok "minisign -V accepts the Ed25519 signer's .minisig"

# an image whose file name holds a newline: the trusted comment names the
# file, and a comment of two lines would be a broken .minisig (minisign -V
# refuses it); nothing is written and nothing is signed
nl_img="$WORK/two
lines.bin"
cp "$WORK/fw.bin" "$nl_img"
expect 2 pc firmware sign "$nl_img" --signer fw-ed --fw-version 1.3.0 -o "$WORK/nl.p7s" --minisign
err_has "trusted comment must be one line"
[ ! -e "$WORK/nl.p7s" ] && [ ! -e "$WORK/nl.minisig" ] || fail "files written for a refused signature"
ok "an image name with a newline is refused for --minisign, nothing written"

expect 0 pc audit log
out_has "fw.sign" "fw.signer.new" "firmware fw-a:1.3.0" "targets $T1,$T2"
grep -q "$(sha256sum "$WORK/fw.bin" | cut -d' ' -f1)" <<<"$OUT" || fail "audit lacks the image hash"
expect 0 pc audit verify
ok "every signing is an audit event with hash, version, targets"

# ---- our verifier
V() { "$PLANTCA" firmware verify "$@"; }
for s in fw.bin.p7s fw384.p7s fwed.p7s; do
  expect 0 V "$WORK/fw.bin" "$WORK/$s" --trust "$WORK/root.pem"
  out_has "valid signature" "version 1.3.0"
done
expect 0 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem" --min-version 1.3 --target $T2
expect 0 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/line3.pem"
ok "verifier accepts all three; equal minimum version and a listed target pass; issuing CA as anchor"

cp "$WORK/fw.bin" "$WORK/bad.bin"
python3 - "$WORK/bad.bin" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read()); b[4242] ^= 0x10; open(p, 'wb').write(b)
PY
expect 1 V "$WORK/bad.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem"
err_has "image digest does not match"
expect 1 V "$WORK/bad.bin" "$WORK/fwed.p7s" --trust "$WORK/root.pem"
err_has "image digest does not match"
! openssl cms -verify -binary -inform DER -in "$WORK/fw.bin.p7s" -content "$WORK/bad.bin" \
  -CAfile "$WORK/root.pem" -purpose any -out /dev/null 2>/dev/null || fail "openssl accepted a changed image"
! minisign -V -p "$CAHOME/public/fw-fw-ed.pub" -m "$WORK/bad.bin" -x "$WORK/fwed.minisig" >/dev/null 2>&1 \
  || fail "minisign accepted a changed image"
ok "a one-bit change in the image is refused (ours, openssl, minisign)"

expect 1 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem" --min-version 1.4.0
err_has "version 1.3.0 is lower than the minimum 1.4.0"
expect 1 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem" --min-version 1.3.0.1
err_has "lower than the minimum 1.3.0.1"
ok "a lower version is refused (rollback)"

expect 1 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem" --target 1.3.6.1.4.1.99999.1.9
err_has "target 1.3.6.1.4.1.99999.1.9 is not among the image's targets"
expect 1 V "$WORK/fw.bin" "$WORK/fw384.p7s" --trust "$WORK/root.pem" --target $T1
err_has "is not among the image's targets"
ok "a wrong target is refused"

# another PKI's root is not trusted
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/o.key" \
  -subj "/CN=Other Root" -days 10 -out "$WORK/other.pem" 2>/dev/null
expect 1 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/other.pem"
err_has "does not chain to a trusted root"
# a changed signature value
python3 - "$WORK/fw.bin.p7s" "$WORK/badsig.p7s" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-10] ^= 0x01; open(sys.argv[2], 'wb').write(b)
PY
expect 1 V "$WORK/fw.bin" "$WORK/badsig.p7s" --trust "$WORK/root.pem"
err_has "signature by"
expect 1 V "$WORK/fw.bin" "$WORK/fw.bin" --trust "$WORK/root.pem"
err_has "larger than the 262144-byte limit"
expect 1 V "$WORK/fw.bin" "$WORK/root.pem" --trust "$WORK/root.pem"
err_has "malformed signature"
ok "foreign root, changed signature value, and an image given as signature are refused"

# ---- revocation: CRLs signed by line3's key in the token (fw_test_crl)
expect 0 pc --json ca list
uri_line3=$(python3 -c 'import json,sys; print([c["key_uri"] for c in json.load(sys.stdin) if c["name"]=="line3"][0])' <<<"$OUT")
uri_root=$(python3 -c 'import json,sys; print([c["key_uri"] for c in json.load(sys.stdin) if c["name"]=="root"][0])' <<<"$OUT")
openssl x509 -in "$WORK/line3.pem" -outform DER -out "$WORK/line3.der"
mkcrl() { "$FW_TEST_CRL" "$SOFTHSM_MODULE" "$TOKEN_LABEL" "$PIN" "$1" "$WORK/line3.der" "$2" "$3" "${@:4}"; }
mkcrl "$uri_line3" 7 "$WORK/revoked.crl" "$serial_a:1"
mkcrl "$uri_line3" 7 "$WORK/other.crl" "0123456789abcdef:4"
mkcrl "$uri_line3" -1 "$WORK/stale.crl" "0123456789abcdef:4"
mkcrl "$uri_root" 7 "$WORK/forged.crl" "0123456789abcdef:4"
openssl crl -inform DER -in "$WORK/revoked.crl" -out "$WORK/revoked.pem"
grep -q 'verify OK' < <(openssl crl -in "$WORK/revoked.pem" -CAfile "$WORK/chain.pem" -noout 2>&1) \
  || fail "openssl does not accept the test CRL"
expect 1 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem" --crl "$WORK/revoked.crl"
err_has "signer $serial_a is revoked (keyCompromise) by CRL $WORK/revoked.crl"
expect 1 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem" --crl "$WORK/other.crl" --crl "$WORK/revoked.pem"
err_has "is revoked (keyCompromise)"
! openssl cms -verify -binary -inform DER -in "$WORK/fw.bin.p7s" -content "$WORK/fw.bin" \
  -CAfile "$WORK/root.pem" -purpose any -crl_check -CRLfile "$WORK/revoked.pem" -out /dev/null 2>/dev/null \
  || fail "openssl accepted the revoked signer"
expect 0 V "$WORK/fw.bin" "$WORK/fw384.p7s" --trust "$WORK/root.pem" --crl "$WORK/revoked.crl"
expect 0 V "$WORK/fw.bin" "$WORK/fw.bin.p7s" --trust "$WORK/root.pem" --crl "$WORK/other.crl"
ok "a revoked signer is refused with the reason (ours and openssl -crl_check); others pass"
expect 1 V "$WORK/fw.bin" "$WORK/fw384.p7s" --trust "$WORK/root.pem" --crl "$WORK/stale.crl"
err_has "is out of date"
expect 1 V "$WORK/fw.bin" "$WORK/fw384.p7s" --trust "$WORK/root.pem" --crl "$WORK/forged.crl"
err_has "not signed by"
ok "an out-of-date CRL and a CRL not signed by the issuer are refused"

# ---- a signer signs only the packages its certificate names (issue 9
# item 4): a signer for pumps cannot sign valves, whoever makes the CMS
PKG_OID=2.25.5292707027791555232
expect 0 pc --json firmware signer new fw-pk --ca line3 \
  --subject "/O=Acme Plant/CN=Pump Firmware Signer" --package pumps --package pumps-boot
pk_uri=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["key_uri"])' <<<"$OUT")
pk_serial=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])' <<<"$OUT")
expect 0 pc show "$pk_serial" --pem
echo "$OUT" >"$WORK/fw-pk.pem"
openssl x509 -in "$WORK/fw-pk.pem" -outform DER -out "$WORK/fw-pk.der"
openssl x509 -in "$WORK/line3.pem" -outform DER -out "$WORK/line3.der"
openssl x509 -in "$WORK/root.pem" -outform DER -out "$WORK/root.der"
head -c 100000 /dev/urandom >"$WORK/pumps.bin"
printf 'pass phrase for the test\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 pc firmware sign "$WORK/pumps.bin" --signer fw-pk --fw-version 3.2.0 --package pumps -o "$WORK/pumps.p7s"
openssl cms -verify -binary -inform DER -in "$WORK/pumps.p7s" -content "$WORK/pumps.bin" \
  -CAfile "$WORK/root.pem" -purpose any -out /dev/null 2>/dev/null || fail "openssl cms -verify: pumps.p7s"
expect 0 V "$WORK/pumps.bin" "$WORK/pumps.p7s" --trust "$WORK/root.pem" --min-version 3.1
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 "$STATION" verify-firmware "$WORK/st" "$WORK/pumps.bin" "$WORK/pumps.p7s" --min-version 3.1
# the same signer key, package valves: a perfect signature made outside plantca
"$FW_TEST_SIGN" "$SOFTHSM_MODULE" "$TOKEN_LABEL" "$PIN" "$pk_uri" "$WORK/pumps.bin" valves:99.0 \
  "$WORK/valves.p7s" "$WORK/fw-pk.der" "$WORK/line3.der" "$WORK/root.der" || fail "fw_test_sign"
openssl cms -verify -binary -inform DER -in "$WORK/valves.p7s" -content "$WORK/pumps.bin" \
  -CAfile "$WORK/root.pem" -purpose any -out /dev/null 2>/dev/null || fail "the valves signature is not a valid CMS"
expect 1 V "$WORK/pumps.bin" "$WORK/valves.p7s" --trust "$WORK/root.pem" --min-version 3.1
err_has "signer 'Pump Firmware Signer' (serial $pk_serial) is not registered for firmware package 'valves' (it may sign pumps, pumps-boot)"
expect 1 "$STATION" verify-firmware "$WORK/st" "$WORK/pumps.bin" "$WORK/valves.p7s" --min-version 3.1
err_has "is not registered for firmware package 'valves' (it may sign pumps, pumps-boot)"
# OpenSSL reads the extension: non-critical, SEQUENCE OF UTF8String
txt=$(openssl x509 -in "$WORK/fw-pk.pem" -noout -text)
grep -q "^ *$PKG_OID: *\$" <<<"$txt" || fail "no non-critical $PKG_OID extension: $txt"
off=$(openssl asn1parse -inform DER -in "$WORK/fw-pk.der" | grep -A1 ":$PKG_OID\$" | tail -1 | cut -d: -f1 | tr -d ' ')
ext=$(openssl asn1parse -inform DER -in "$WORK/fw-pk.der" -strparse "$off")
[ "$(grep -c 'UTF8STRING' <<<"$ext")" = 2 ] && grep -q ':pumps$' <<<"$ext" && grep -q ':pumps-boot$' <<<"$ext" \
  || fail "package list as OpenSSL reads it: $ext"
openssl verify -x509_strict -purpose any -CAfile "$WORK/root.pem" -untrusted "$WORK/line3.pem" "$WORK/fw-pk.pem" \
  >/dev/null || fail "openssl verify refuses the signer with the package extension"
# GnuTLS reads it too (libtasn1 cannot parse OID arcs of 2^64 or more: the
# reason the OID is not a whole UUID) and verifies the signer's signatures
certtool -i --infile "$WORK/fw-pk.pem" >"$WORK/ct.txt" 2>&1 || { cat "$WORK/ct.txt"; fail "certtool cannot read the signer"; }
grep -q "Unknown extension $PKG_OID (not critical)" "$WORK/ct.txt" || fail "certtool: $(cat "$WORK/ct.txt")"
certtool --p7-verify --load-ca-certificate "$WORK/root.pem" --load-data "$WORK/pumps.bin" \
  --infile "$WORK/pumps.p7s" --inder >/dev/null 2>&1 || fail "certtool --p7-verify: pumps.p7s"
expect 0 pc firmware signer list
grep -q '^fw-pk .*packages pumps,pumps-boot' <<<"$OUT" || fail "signer list: $OUT"
grep -q '^fw-a .*packages fw-a$' <<<"$OUT" || fail "signer list, default package: $OUT"
expect 0 pc --json firmware signer list
python3 -c 'import json,sys; d={s["name"]:s for s in json.load(sys.stdin)}; assert d["fw-pk"]["packages"]==["pumps","pumps-boot"] and d["fw-384"]["packages"]==["pump-fw"], d' <<<"$OUT" \
  || fail "signer list --json packages"
ok "signer new --package: the list is in the certificate (openssl and certtool read it, verify -purpose any, cms -verify and certtool --p7-verify pass); signer list shows it"

expect 1 pc firmware sign "$WORK/pumps.bin" --signer fw-pk --fw-version 99.0 --package valves -o "$WORK/v2.p7s"
err_has "signer 'fw-pk' is not registered for firmware package 'valves' (it may sign pumps, pumps-boot)"
[ ! -e "$WORK/v2.p7s" ] || fail "a refused signing wrote a file"
ok "a pumps signer's signature for valves is refused by plantca firmware verify and plantca-station verify-firmware; firmware sign refuses to make it"

# a code-signing certificate for the same key from another CA, without the
# package list: a valid code signer to OpenSSL, not a plantca firmware signer
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/fr.key" 2>/dev/null
cat >"$WORK/fr.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Foreign Root
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[cs]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
authorityKeyIdentifier = keyid
[cs_pkg]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
authorityKeyIdentifier = keyid
$PKG_OID = DER:30:08:0c:06:76:61:6c:76:65:73
CNF
openssl req -x509 -new -key "$WORK/fr.key" -config "$WORK/fr.cnf" -extensions root -days 10 -out "$WORK/fr.pem"
openssl x509 -in "$WORK/fr.pem" -outform DER -out "$WORK/fr.der"
openssl x509 -in "$WORK/fw-pk.pem" -pubkey -noout >"$WORK/fw-pk.pub"
openssl req -new -key "$WORK/fr.key" -subj "/CN=Foreign Signer" -out "$WORK/fs.csr"
n=0
for x in cs cs_pkg; do
  n=$((n + 1))
  openssl x509 -req -in "$WORK/fs.csr" -force_pubkey "$WORK/fw-pk.pub" -CA "$WORK/fr.pem" -CAkey "$WORK/fr.key" \
    -set_serial 0x700$n -days 5 -extfile "$WORK/fr.cnf" -extensions $x -out "$WORK/$x.pem" 2>/dev/null
  openssl x509 -in "$WORK/$x.pem" -outform DER -out "$WORK/$x.der"
  "$FW_TEST_SIGN" "$SOFTHSM_MODULE" "$TOKEN_LABEL" "$PIN" "$pk_uri" "$WORK/pumps.bin" valves:4.0 \
    "$WORK/$x.p7s" "$WORK/$x.der" "$WORK/fr.der" || fail "fw_test_sign $x"
  openssl cms -verify -binary -inform DER -in "$WORK/$x.p7s" -content "$WORK/pumps.bin" \
    -CAfile "$WORK/fr.pem" -purpose any -out /dev/null 2>/dev/null || fail "openssl cms -verify: $x"
done
expect 0 "$STATION" init "$WORK/st2" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$WORK/fr.pem" --passphrase-file "$WORK/pass"
expect 1 V "$WORK/pumps.bin" "$WORK/cs.p7s" --trust "$WORK/fr.pem"
err_has "signer 'Foreign Signer' (serial 7001) names no firmware packages (no $PKG_OID extension): not a plantca firmware signer"
expect 1 "$STATION" verify-firmware "$WORK/st2" "$WORK/pumps.bin" "$WORK/cs.p7s"
err_has "names no firmware packages"
# the list as OpenSSL wrote it is read as ours is
expect 0 V "$WORK/pumps.bin" "$WORK/cs_pkg.p7s" --trust "$WORK/fr.pem"
out_has "valid signature"
expect 0 "$STATION" verify-firmware "$WORK/st2" "$WORK/pumps.bin" "$WORK/cs_pkg.p7s"
ok "a signer certificate without the package list is refused by both verifiers; one written by OpenSSL for valves is read and accepted"

# ---- publish
expect 0 pc firmware publish line3 "$WORK/fw.bin.p7s"
err_has "queued for segment line3"
expect 1 pc firmware publish line3 "$WORK/fw.bin"
expect 0 pc audit log
out_has "fw.publish"
ok "publish queues a signature, refuses anything else"

# ---- a large image, read in many chunks (its peak memory is measured by
# scripts/bench-firmware, not asserted here: no test asserts memory or time)
truncate -s 256M "$WORK/big.bin"
expect 0 pc firmware sign "$WORK/big.bin" --signer fw-a --fw-version 9.0
expect 0 V "$WORK/big.bin" "$WORK/big.bin.p7s" --trust "$WORK/root.pem"
ok "a 256 MiB image is signed and its signature verifies"

done_testing
