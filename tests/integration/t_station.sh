#!/usr/bin/env bash
# plantca-station on its own (no CA, no token): init, request and accept.
# Request bundles are checked with stock tools (tar, minisign, sha256sum);
# response bundles come from mkresponse (the library's writer, signed with a
# fake CA transfer key) over a real test PKI made with openssl, and the
# unpacked files are checked with openssl verify.  Every crafted bad response
# must exit 1, name the bundle, and leave PKI_DIR and station.conf exactly as
# they were.
#
# Environment: STATION (plantca-station), MKRESPONSE (test tool), SRCDIR.
. "$(dirname "$0")/lib.sh" --no-token
: "${STATION:?}" "${MKRESPONSE:?}"
cd "$WORK"

printf 'correct horse battery staple\n' >pass
printf 'wrong horse\n' >wrongpass
chmod 600 pass wrongpass

# ---------------------------------------------------------------- test PKI
# root (P-384) -> line3 issuing CA (P-256) -> devices; a second, foreign root.
cat >ext.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth, serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leafnoaki]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
[canoaki]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
EOF
serial() { printf '5%s' "$(openssl rand -hex 20 | cut -c1-39)"; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout root.key \
  -subj "/C=DE/O=Acme Plant/CN=Acme Plant Root CA" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out root.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout line3.key \
  -subj "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" -out line3.csr 2>/dev/null
openssl x509 -req -in line3.csr -CA root.pem -CAkey root.key -set_serial "0x$(serial)" -days 1825 \
  -extfile ext.cnf -extensions ca -out line3.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout evil.key \
  -subj "/CN=Evil Root" -days 30 -addext "basicConstraints=critical,CA:TRUE" -out evil.pem 2>/dev/null

mkdir dev
mkdev() {  # mkdev CN -> dev/CN.csr (PEM), dev/CN.der (DER)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "dev/$1.key" \
    -subj "/O=Acme Plant/CN=$1" -out "dev/$1.csr" 2>/dev/null
  openssl req -in "dev/$1.csr" -outform DER -out "dev/$1.der"
}
issue() {  # issue CN -> resp/SERIAL.crt, prints SERIAL
  local s; s=$(serial)
  openssl x509 -req -in "dev/$1.csr" -CA line3.pem -CAkey line3.key -set_serial "0x$s" -days 365 \
    -extfile ext.cnf -extensions leaf -out "resp/$s.crt" 2>/dev/null
  echo "$s"
}
mkcrl() {  # mkcrl CERT KEY OUT: an empty CRL with `openssl ca -gencrl`
  local d; d=$(mktemp -d "$WORK/crlca.XXXX")
  : >"$d/index.txt"; echo 1000 >"$d/crlnumber"
  cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $d/index.txt
crlnumber = $d/crlnumber
default_md = sha256
default_crl_days = 30
EOF
  openssl ca -batch -config "$d/ca.cnf" -gencrl -cert "$1" -keyfile "$2" -out "$3" 2>/dev/null
}
mkdev pump-12; mkdev opcua-srv; mkdev "weird name/../x"  2>/dev/null || true
mkdir resp
S1=$(issue pump-12)
S2=$(issue opcua-srv)
cat line3.pem root.pem >resp/chain.pem
cat root.pem line3.pem >resp/trust.pem
openssl crl2pkcs7 -nocrl -certfile resp/trust.pem -outform DER -out resp/trust.p7b
mkcrl line3.pem line3.key resp/line3.crl
mkcrl root.pem root.key resp/root.crl
ok "test PKI: root, issuing CA line3, two device certificates, CRLs, trust.p7b"

# the fake CA transfer key (unencrypted, test-only: opening a minisign key
# costs seconds of scrypt per bundle) and a foreign one (stock minisign)
"$MKRESPONSE" genkey catr.key catr.pub --raw
if printf '%s\n%s\n' otherpw otherpw | minisign -G -p other.pub -s other.key >/dev/null 2>&1; then
  printf 'otherpw\n' >otherpass; chmod 600 otherpass
else
  "$MKRESPONSE" genkey other.key other.pub --passphrase-file pass; cp pass otherpass
fi

# ------------------------------------------------------------------- init
expect 0 st init S --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass
[ "$(mode S)" = 700 ] || fail "station dir mode $(mode S)"
[ "$(mode S/station.key)" = 600 ] || fail "station.key mode $(mode S/station.key)"
for f in station.pub ca-transfer.pub root.pem station.conf; do [ -f "S/$f" ] || fail "no S/$f"; done
kid=$(head -1 S/station.pub | awk '{print $NF}')
cakid=$(head -1 catr.pub | awk '{print $NF}')
rootfp=$(openssl x509 -in root.pem -outform DER | sha256sum | cut -c1-64 | sed 's/../&:/g; s/:$//')
out_has "$kid" "$cakid" "$rootfp" "plantca station add line3"
cmp <(openssl x509 -in root.pem -outform DER) <(openssl x509 -in S/root.pem -outform DER) || fail "root.pem differs"
grep -q '^segment: line3$' S/station.conf && grep -q '^next-request-sequence: 1$' S/station.conf \
  && grep -q '^last-response-sequence: 0$' S/station.conf || fail "station.conf: $(cat S/station.conf)"
ok "init: DIR 0700, station.key 0600, key id $kid and root SHA-256 printed, station.conf"

mkdir nonempty; touch nonempty/x
expect 1 st init nonempty --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass
err_has "nonempty" "not empty"
[ "$(ls nonempty)" = x ] || fail "init touched a non-empty dir"
expect 1 st init S --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass
err_has "not empty"
expect 2 st init T --segment Line_3 --ca-key catr.pub --trust root.pem --passphrase-file pass
err_has "--segment"
expect 1 st init T --segment line3 --ca-key root.pem --trust root.pem --passphrase-file pass
expect 1 st init T --segment line3 --ca-key catr.pub --trust line3.pem --passphrase-file pass
err_has "line3.pem" "self-signed"
[ ! -e T ] || fail "a refused init left T behind"
expect 2 st init T --segment line3 --ca-key catr.pub --trust root.pem   # no tty, no file
[ ! -e T ] || fail "init without passphrase left T behind"
mkdir E; expect 0 st --json init E --segment line4 --ca-key catr.pub --trust root.pem --passphrase-file pass
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["segment"]=="line4" and len(d["station_key_id"])==16' "$OUT" \
  || fail "init --json: $OUT"
[ "$(mode E)" = 700 ] || fail "existing empty dir not made 0700"
ok "init refuses a non-empty DIR, a bad segment, a non-key, a non-root; --json; empty DIR accepted"

# ---------------------------------------------------------------- request
mkdir usb
expect 0 st request S --passphrase-file pass --profile tls-client dev/pump-12.csr dev/pump-12.der \
  --profile opcua-app dev/opcua-srv.csr dev/pump-12.csr -o usb
req=usb/line3-request-000001.tar
[ -f "$req" ] && [ -f "$req.minisig" ] || fail "no $req(.minisig): $(ls usb)"
out_has "$req" "2 CSRs for profile tls-client" "2 CSRs for profile opcua-app"
tar tvf "$req" >list || fail "tar tvf"
[ "$(awk 'NR==1{print $NF}' list)" = BUNDLE ] && [ "$(awk 'NR==2{print $NF}' list)" = SHA256SUMS ] || fail "order: $(cat list)"
[ "$(awk 'NR>2{print $NF}' list | tr '\n' ' ')" = "pump-12.csr pump-12-2.csr opcua-srv.csr pump-12-3.csr " ] \
  || fail "members: $(cat list)"
minisign -V -p S/station.pub -m "$req" >mv || fail "minisign -V refuses the request"
grep -q "kind=request segment=line3 sender=$kid sequence=1 file=line3-request-000001.tar" mv || fail "trusted comment: $(cat mv)"
mkdir x && tar xf "$req" -C x && (cd x && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c"
grep -q '^csr: pump-12.csr tls-client$' x/BUNDLE && grep -q '^csr: pump-12-2.csr tls-client$' x/BUNDLE \
  && grep -q '^csr: opcua-srv.csr opcua-app$' x/BUNDLE && grep -q '^csr: pump-12-3.csr opcua-app$' x/BUNDLE \
  || fail "BUNDLE: $(cat x/BUNDLE)"
cmp x/pump-12-2.csr dev/pump-12.der && cmp x/pump-12.csr dev/pump-12.csr || fail "CSR bytes changed"
openssl req -in x/opcua-srv.csr -verify -noout 2>/dev/null || fail "CSR unreadable"
grep -q '^next-request-sequence: 2$' S/station.conf || fail "sequence not advanced"
ok "request: tar tvf (BUNDLE, SHA256SUMS, CSRs), minisign -V, sha256sum -c, profiles, bytes kept"

expect 0 st --json request S --passphrase-file pass --expires 2 --profile tls-server dev/opcua-srv.der -o usb
[ -f usb/line3-request-000002.tar ] || fail "second request: $(ls usb)"
grep -q 'sequence=2' < <(minisign -V -p S/station.pub -m usb/line3-request-000002.tar) || fail "sequence 2"
grep -q '^next-request-sequence: 3$' S/station.conf || fail "sequence not advanced twice"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["sequence"]==2 and d["csrs"][0]["member"]=="opcua-srv.csr"' "$OUT" \
  || fail "request --json: $OUT"
ok "a second request has sequence 2"

conf_before=$(sha256sum S/station.conf)
expect 1 st request S --passphrase-file wrongpass --profile tls-client dev/pump-12.csr -o usb
err_has "station.key" "passphrase"
expect 2 st request S --passphrase-file pass dev/pump-12.csr -o usb
err_has "--profile"
expect 1 st request S --passphrase-file pass --profile tls-client root.pem -o usb
err_has "root.pem" "is not CERTIFICATE REQUEST"
head -c 70000 /dev/urandom >big.csr
expect 1 st request S --passphrase-file pass --profile tls-client big.csr -o usb
err_has "big.csr" "limit"
expect 2 st request S --passphrase-file pass --profile "bad profile" dev/pump-12.csr -o usb
[ "$(sha256sum S/station.conf)" = "$conf_before" ] || fail "a refused request changed station.conf"
[ "$(ls usb | wc -l)" = 4 ] || fail "a refused request wrote to the media: $(ls usb)"
ok "wrong passphrase (exit 1), missing profile, non-CSR, oversize CSR refused; nothing written"

# ----------------------------------------------------------------- accept
mk() {  # mk OUTDIR SEQ [mkresponse options...]: a response with the standard payload
  local out=$1 seq=$2; shift 2
  mkdir -p "$out"
  "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
    --sequence "$seq" -o "$out" --reply line3-request-000001 "$@" \
    "$S1.crt=resp/$S1.crt" "$S2.crt=resp/$S2.crt" chain.pem=resp/chain.pem trust.pem=resp/trust.pem \
    trust.p7b=resp/trust.p7b line3.crl=resp/line3.crl root.crl=resp/root.crl
}
mk good 5 >/dev/null
resp=good/line3-response-000005.tar
minisign -V -p catr.pub -m "$resp" >/dev/null || fail "minisign -V refuses mkresponse's bundle"

# flat layout (into a copy of the station, so that opcua can accept the same bundle)
cp -a S S2
expect 0 st accept S2 "$resp" --out flat --layout flat
for f in "certs/$S1.pem" "certs/$S2.pem" chain.pem trust.pem trust.p7b crl/line3.crl crl/root.crl; do
  [ -f "flat/$f" ] || fail "flat: no $f ($(find flat -type f))"
done
[ "$(find flat -type f | wc -l)" = 8 ] || fail "flat: extra files: $(find flat -type f)"
[ "$(sort flat/.plantca-layout)" = "$(cd flat && find . -type f ! -name .plantca-layout | cut -c3- | sort)" ] \
  || fail "flat/.plantca-layout does not list what accept wrote: $(cat flat/.plantca-layout)"
openssl verify -CAfile flat/trust.pem "flat/certs/$S1.pem" >/dev/null || fail "flat cert does not verify"
openssl verify -crl_check_all -CRLfile flat/crl/line3.crl -CRLfile flat/crl/root.crl -CAfile flat/trust.pem \
  "flat/certs/$S2.pem" >/dev/null || fail "flat cert with CRLs"
cmp "flat/certs/$S1.pem" "resp/$S1.crt" || fail "certificate changed"
openssl pkcs7 -inform DER -in flat/trust.p7b -print_certs -noout >/dev/null || fail "trust.p7b"
grep -q '^last-response-sequence: 5$' S2/station.conf || fail "sequence not recorded: $(cat S2/station.conf)"
out_has "sequence 5" "line3-request-000001" "CRL line3"
ok "accept --layout flat: certs/SERIAL.pem, chain, trust.pem/.p7b, crl/; openssl verify -crl_check_all"

expect 0 st --json accept S "$resp" --out pki --layout opcua
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["sequence"]==5 and d["certificates"]==2 and d["crls"]==2 and d["layout"]=="opcua", d' "$OUT" \
  || fail "accept --json: $OUT"
for f in trusted/certs/Line_3_Issuing_CA.pem trusted/crl/line3.crl issuers/certs/Acme_Plant_Root_CA.pem \
  issuers/crl/root.crl own/certs/pump-12.pem own/certs/opcua-srv.pem; do
  [ -f "pki/$f" ] || fail "opcua: no $f ($(find pki -type f))"
done
[ "$(find pki -type f | wc -l)" = 7 ] || fail "opcua: extra files: $(find pki -type f)"   # + .plantca-layout
[ "$(grep -c 'BEGIN CERTIFICATE' pki/own/certs/pump-12.pem)" = 2 ] || fail "own cert is not cert + issuing CA"
for f in pki/own/certs/*.pem; do
  openssl verify -x509_strict -CAfile pki/issuers/certs/Acme_Plant_Root_CA.pem \
    -untrusted pki/trusted/certs/Line_3_Issuing_CA.pem "$f" >/dev/null || fail "$f does not verify"
  openssl verify -CAfile pki/issuers/certs/Acme_Plant_Root_CA.pem -untrusted "$f" "$f" >/dev/null \
    || fail "$f: its own chain does not verify"
  openssl verify -crl_check_all -CRLfile pki/trusted/crl/line3.crl -CRLfile pki/issuers/crl/root.crl \
    -CAfile pki/issuers/certs/Acme_Plant_Root_CA.pem -untrusted pki/trusted/certs/Line_3_Issuing_CA.pem \
    "$f" >/dev/null || fail "$f with CRLs"
done
openssl crl -in pki/trusted/crl/line3.crl -noout -CAfile pki/trusted/certs/Line_3_Issuing_CA.pem 2>/dev/null \
  || fail "trusted/crl unreadable"
ok "accept --layout opcua: trusted/, issuers/, own/certs verify with openssl (and -crl_check_all)"

expect 0 st accept E "$(mk good4 1 --segment line4 | tail -1)" --out pkider --layout opcua --der
[ -f pkider/own/certs/pump-12.der ] && openssl x509 -inform DER -in pkider/own/certs/pump-12.der -noout \
  && openssl crl -inform DER -in pkider/trusted/crl/line3.crl -noout || fail "--der: $(find pkider -type f)"
ok "--der writes DER certificates and CRLs"

# ----------------------------------------------------- refusals leave no trace
pki_before=$(snap pki); conf_before=$(sha256sum S/station.conf)
refused() {  # refused BUNDLE WHY...: exit 1, names the bundle, nothing changed
  local b=$1; shift
  [ -f "$b" ] || fail "test bug: no bundle '$b'"
  expect 1 st accept S "$b" --out pki --layout opcua
  echo "  refused: $ERR"
  err_has "$(basename "$b")" "$@"
  [ "$(snap pki)" = "$pki_before" ] || fail "refused $b changed PKI_DIR"
  [ "$(sha256sum S/station.conf)" = "$conf_before" ] || fail "refused $b changed station.conf"
  expect 1 st accept S "$b" --out fresh --layout flat
  [ ! -e fresh ] || fail "refused $b created the output dir"
}
refused "$resp"                                 # replay of the accepted bundle
[[ "$ERR" == *sequence* || "$ERR" == *replay* || "$ERR" == *newer* ]] || fail "replay message: $ERR"
refused "$(mk old 4 | tail -1)"                 # older sequence
refused "$(mk seg 6 --segment line4 | tail -1)" "line"
refused "$(mk exp 7 --created-offset -200000 --expires-offset -100000 | tail -1)"
refused "$(mk fut 8 --created-offset 200000 | tail -1)"
mkdir -p kind && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 9 -o kind --kind request "$S1.crt=resp/$S1.crt" >/dev/null
refused kind/line3-request-000009.tar
mkdir -p unk && "$MKRESPONSE" build --key other.key --pub other.pub --passphrase-file otherpass --segment line3 \
  --sequence 10 -o unk "$S1.crt=resp/$S1.crt" >/dev/null
refused unk/line3-response-000010.tar
refused "$(mk tamper 11 --tamper | tail -1)"
refused "$(mk link 12 --patch-type "$S1.crt=2" | tail -1)"
refused "$(mk hard 13 --patch-type "chain.pem=1" | tail -1)"
refused "$(mk dir 14 --patch-type "trust.pem=5" | tail -1)"
refused "$(mk dotdot 15 --patch-name "$S1.crt=../$S1.crt" | tail -1)"
refused "$(mk slash 16 --patch-name "chain.pem=a/chain.pem" | tail -1)"
refused "$(mk garb 17 --garbage | tail -1)"
# signature file missing, or from the right key over another bundle
mk nosig 18 >/dev/null; rm nosig/*.minisig; refused nosig/line3-response-000018.tar
mk swap 19 >/dev/null; mk swap2 20 >/dev/null; cp swap2/*.minisig swap/line3-response-000019.tar.minisig
refused swap/line3-response-000019.tar
ok "refused: replay, older, other segment, expired, future, request kind, unknown key, tampered, symlink, hard link, directory, ../ and / names, trailing garbage, missing or foreign .minisig"

# signed but inconsistent content: refused by the station's own checks
cp resp/"$S1".crt wrong.crt
refused "$(mk "badsum" 21 --patch-name "$S1.crt=$(serial).crt" | tail -1)"
mkdir -p ser && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 22 -o ser "$(serial).crt=resp/$S1.crt" chain.pem=resp/chain.pem >/dev/null
refused ser/line3-response-000022.tar "serial"
cat line3.pem evil.pem >evilchain.pem
mkdir -p evil && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 23 -o evil "$S1.crt=resp/$S1.crt" chain.pem=evilchain.pem >/dev/null
refused evil/line3-response-000023.tar "root"
mkdir -p unexp && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 24 -o unexp "$S1.crt=resp/$S1.crt" chain.pem=resp/chain.pem notes.txt=ext.cnf >/dev/null
refused unexp/line3-response-000024.tar "notes.txt" "unexpected"
mkdir -p orphan && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 25 -o orphan "$S1.crt=resp/$S1.crt" >/dev/null
refused orphan/line3-response-000025.tar "issuer"
mkdir -p junk && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 26 -o junk "$S1.crt=ext.cnf" >/dev/null
refused junk/line3-response-000026.tar "$S1.crt"
# forgeries that chain by name: a device certificate naming our line3 as
# issuer but signed by another key, without an AKI (so that wolfSSL looks the
# CA up by name and finds the genuine one); and an impostor "Line 3 Issuing
# CA" naming our root as issuer, signed by another key
# (openssl signs only with a matching -CA/-CAkey pair: look-alike issuers)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout fake3.key \
  -subj "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" -days 30 -out fake3.pem 2>/dev/null
openssl req -x509 -key evil.key -subj "/C=DE/O=Acme Plant/CN=Acme Plant Root CA" -days 30 \
  -out fakeroot.pem 2>/dev/null
openssl req -new -key fake3.key -subj "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" -out fake3.csr
FS=$(serial)
openssl x509 -req -in dev/pump-12.csr -CA fake3.pem -CAkey fake3.key -set_serial "0x$FS" -days 30 \
  -extfile ext.cnf -extensions leafnoaki -out forged.crt 2>/dev/null
mkdir -p forged && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 27 -o forged "$FS.crt=forged.crt" chain.pem=resp/chain.pem >/dev/null
refused forged/line3-response-000027.tar "signature"
openssl x509 -req -in fake3.csr -CA fakeroot.pem -CAkey evil.key -set_serial "0x$(serial)" -days 30 \
  -extfile ext.cnf -extensions canoaki -out fakeca.pem 2>/dev/null
cat fakeca.pem root.pem >fakechain.pem
mkdir -p fakeca && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 28 -o fakeca chain.pem=fakechain.pem >/dev/null
refused fakeca/line3-response-000028.tar "Line 3 Issuing CA" "signature"
ok "refused: renamed member (SHA256SUMS), serial/name mismatch, foreign root in chain, unexpected member, certificate without its CA, junk certificate, forged device and CA certificates (signatures)"

mkcrl evil.pem evil.key evil.crl
mkdir -p evilcrl && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 29 -o evilcrl chain.pem=resp/chain.pem line3.crl=evil.crl >/dev/null
refused evilcrl/line3-response-000029.tar "line3.crl" "issuer"
# a look-alike line3 CRL signed by another key
mkcrl fake3.pem fake3.key fake3.crl
mkdir -p fakecrl && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 30 -o fakecrl chain.pem=resp/chain.pem line3.crl=fake3.crl >/dev/null
refused fakecrl/line3-response-000030.tar "line3.crl" "signature"
# a CRL past its nextUpdate
d=$(mktemp -d "$WORK/crlca.XXXX"); : >"$d/index.txt"; echo 1000 >"$d/crlnumber"
printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s/index.txt\ncrlnumber = %s/crlnumber\ndefault_md = sha256\n' "$d" "$d" >"$d/ca.cnf"
openssl ca -batch -config "$d/ca.cnf" -gencrl -crlsec 1 -cert line3.pem -keyfile line3.key -out old.crl 2>/dev/null
sleep 2
mkdir -p oldcrl && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 31 -o oldcrl chain.pem=resp/chain.pem line3.crl=old.crl >/dev/null
refused oldcrl/line3-response-000031.tar "line3.crl" "expired" "nextUpdate"
# a CRL without nextUpdate, signed by the line 3 CA (RFC 5280 §5.1.2.5: MUST
# be there; without it an old CRL would never expire): the CA's CRL with
# that field cut out and the TBS signed again with the CA's key
python3 - resp/line3.crl nonext.tbs <<'PY'
import subprocess, sys
d = subprocess.run(["openssl", "crl", "-in", sys.argv[1], "-outform", "DER"], stdout=subprocess.PIPE, check=True).stdout
def tlv(b, i):
    n = b[i + 1]
    if n < 0x80: return 2, n
    k = n & 0x7f
    return 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")
def enc(tag, c):
    n = len(c)
    if n < 0x80: return bytes([tag, n]) + c
    l = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(l)]) + l + c
h, n = tlv(d, 0); body = d[h:h + n]
th, tn = tlv(body, 0); tbs = body[th:th + tn]; alg = body[th + tn:]
h, n = tlv(alg, 0); alg = alg[:h + n]
items, i = [], 0
while i < len(tbs):
    h, n = tlv(tbs, i); items.append(tbs[i:i + h + n]); i += h + n
times = [k for k, x in enumerate(items) if x[0] in (0x17, 0x18)]
assert len(times) == 2
del items[times[1]]
open(sys.argv[2], "wb").write(enc(0x30, b"".join(items)))
open(sys.argv[2] + ".alg", "wb").write(alg)
PY
openssl dgst -sha256 -sign line3.key -out nonext.sig nonext.tbs
python3 - nonext.tbs nonext.crl <<'PY'
import sys
def enc(tag, c):
    n = len(c)
    if n < 0x80: return bytes([tag, n]) + c
    l = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(l)]) + l + c
t = open(sys.argv[1], "rb").read(); a = open(sys.argv[1] + ".alg", "rb").read()
s = open("nonext.sig", "rb").read()
open(sys.argv[2], "wb").write(enc(0x30, t + a + enc(0x03, b"\0" + s)))
PY
openssl crl -inform DER -in nonext.crl -CAfile line3.pem -noout 2>&1 | grep -q 'verify OK' \
  || fail "test bug: the CRL without nextUpdate does not verify with openssl"
openssl crl -inform DER -in nonext.crl -noout -nextupdate | grep -q 'NONE' || fail "test bug: nonext.crl has a nextUpdate"
mkdir -p nonext && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 33 -o nonext chain.pem=resp/chain.pem line3.crl=nonext.crl >/dev/null
refused nonext/line3-response-000033.tar "line3.crl: has no nextUpdate"
ok "refused: a CRL from a CA outside the station's PKI, a look-alike CRL with a bad signature, an expired CRL, a CRL without nextUpdate"

# firmware signatures made without an HSM: mkresponse writes the signed
# attributes and the CMS around them, OpenSSL signs (ECDSA P-256, SHA-256)
cat >>ext.cnf <<'EOF'
[fw]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
# the packages this signer may sign (plantca's firmware-package extension,
# docs/firmware.md): without it the verifiers refuse the signer
2.25.5292707027791555232 = ASN1:SEQUENCE:fwpkgs
[fwpkgs]
p1 = UTF8String:pump
EOF
mksigner() {  # mksigner NAME CA.pem CA.key -> NAME.pem, NAME.key: a codeSigning certificate
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -subj "/O=Acme Plant/CN=$1" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$2" -CAkey "$3" -set_serial "0x$(serial)" -days 365 \
    -extfile ext.cnf -extensions fw -out "$1.pem" 2>/dev/null
}
fwsign() {  # fwsign IMAGE PKG:VER KEY OUT.p7s CERT...: a detached firmware signature
  local img=$1 id=$2 key=$3 out=$4; shift 4
  "$MKRESPONSE" fwattrs "$img" "$id" "$out.attrs"
  openssl dgst -sha256 -sign "$key" -out "$out.sig" "$out.attrs"
  "$MKRESPONSE" fwcms "$out.attrs" "$out.sig" "$@" "$out"
}
head -c 5000 /dev/urandom >fw.img
mksigner fwsigner line3.pem line3.key
fwsign fw.img pump:1.2 fwsigner.key fw.p7s fwsigner.pem line3.pem
openssl cms -verify -binary -inform DER -in fw.p7s -content fw.img -CAfile root.pem -purpose any \
  -out /dev/null 2>/dev/null || fail "openssl cms -verify refuses the test firmware signature"

# a newer good response (with a firmware signature) is accepted after all that
expect 0 st accept S "$(mk newer 32 firmware-pump-1.2.p7s=fw.p7s | tail -1)" --out pki --layout opcua
grep -q '^last-response-sequence: 32$' S/station.conf || fail "sequence 32 not recorded"
cmp fw.p7s pki/firmware/firmware-pump-1.2.p7s || fail "firmware signature not delivered"
expect 0 st verify-firmware S fw.img pki/firmware/firmware-pump-1.2.p7s --pki pki
ok "a newer response is accepted after the refusals; firmware-*.p7s lands in firmware/ and verifies"

# --------------------------------------- every certificate written is checked
# (issue 9 item 6) trust.p7b and firmware-*.p7s carry certificates as much
# as chain.pem and trust.pem do: each must be the station's root itself or
# chain up to it, whatever the container.
pki_before=$(snap pki); conf_before=$(sha256sum S/station.conf)
mkt() {  # mkt DIR SEQ MEMBER=FILE...: chain.pem, trust.pem and the given members
  local out=$1 seq=$2; shift 2
  mkdir -p "$out"
  "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
    --sequence "$seq" -o "$out" chain.pem=resp/chain.pem trust.pem=resp/trust.pem "$@" | tail -1
}
p7() { local o=$1; shift; cat "$@" >"$o.pem"; openssl crl2pkcs7 -nocrl -certfile "$o.pem" -outform DER -out "$o"; }
# a second issuing CA of our root: genuine, but not in trust.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout line4.key \
  -subj "/C=DE/O=Acme Plant/OU=Line 4/CN=Line 4 Issuing CA" -out line4.csr 2>/dev/null
openssl x509 -req -in line4.csr -CA root.pem -CAkey root.key -set_serial "0x$(serial)" -days 1825 \
  -extfile ext.cnf -extensions ca -out line4.pem 2>/dev/null
p7 p7-fakeroot.p7b fakeroot.pem line3.pem
refused "$(mkt p7fakeroot 33 trust.p7b=p7-fakeroot.p7b)" "trust.p7b" "Acme Plant Root CA" "not the root this station trusts"
p7 p7-fakeca.p7b root.pem fakeca.pem
refused "$(mkt p7fakeca 34 trust.p7b=p7-fakeca.p7b)" "trust.p7b" "Line 3 Issuing CA" "signature does not verify"
p7 p7-evil.p7b evil.pem
refused "$(mkt p7evil 35 trust.p7b=p7-evil.p7b)" "trust.p7b" "Evil Root"
p7 p7-subset.p7b root.pem
refused "$(mkt p7subset 36 trust.p7b=p7-subset.p7b)" "trust.p7b" "trust.pem" "not the same certificates"
p7 p7-superset.p7b root.pem line3.pem line4.pem
refused "$(mkt p7superset 37 trust.p7b=p7-superset.p7b)" "trust.p7b" "trust.pem" "not the same certificates"
p7 p7-twice.p7b root.pem line3.pem line3.pem
refused "$(mkt p7twice 38 trust.p7b=p7-twice.p7b)" "trust.p7b" "twice"
openssl crl2pkcs7 -nocrl -certfile resp/trust.pem -outform PEM -out p7-pem.p7b
refused "$(mkt p7pem 39 trust.p7b=p7-pem.p7b)" "trust.p7b" "DER"
openssl cms -sign -binary -in ext.cnf -signer line3.pem -inkey line3.key -certfile root.pem -outform DER \
  -out p7-signed.p7b 2>/dev/null
refused "$(mkt p7signed 40 trust.p7b=p7-signed.p7b)" "trust.p7b" "digestAlgorithms"
mkdir -p p7alone && "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
  --sequence 41 -o p7alone chain.pem=resp/chain.pem trust.p7b=resp/trust.p7b >/dev/null
refused p7alone/line3-response-000041.tar "trust.p7b" "without trust.pem"
ok "refused trust.p7b: a foreign root under our root's name, a look-alike issuing CA, a foreign root, fewer or more certificates than trust.pem, one twice, PEM, a signed CMS, no trust.pem"

mksigner evilsigner evil.pem evil.key
fwsign fw.img pump:1.3 evilsigner.key fw-evil.p7s evilsigner.pem evil.pem
refused "$(mkt fwevil 42 firmware-pump-1.3.p7s=fw-evil.p7s)" "firmware-pump-1.3.p7s" "does not chain"
fwsign fw.img pump:1.3 evilsigner.key fw-evil1.p7s evilsigner.pem
refused "$(mkt fwevil1 43 firmware-pump-1.3.p7s=fw-evil1.p7s)" "firmware-pump-1.3.p7s" "does not chain"
fwsign fw.img pump:1.3 "dev/pump-12.key" fw-tls.p7s "resp/$S1.crt" line3.pem
refused "$(mkt fwtls 44 firmware-pump-1.3.p7s=fw-tls.p7s)" "firmware-pump-1.3.p7s" "codeSigning"
head -c 300 /dev/urandom >fw-junk.p7s
refused "$(mkt fwjunk 45 firmware-pump-1.3.p7s=fw-junk.p7s)" "firmware-pump-1.3.p7s" "malformed signature"
ok "refused firmware-*.p7s: a signer under a foreign root (with it and without it), a TLS certificate as signer, random bytes"

# own/ chains and CRL files are the chain that verifies: a certificate and a
# CRL that name line3 as their issuer but carry the root's key identifier and
# signature (so wolfSSL would find the root by AKI) are refused, not filed
# under line3 with a chain that openssl verify would reject
openssl req -x509 -key root.key -subj "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" -days 30 \
  -out l3rootkey.pem 2>/dev/null
XS=$(serial)
openssl x509 -req -in dev/pump-12.csr -CA l3rootkey.pem -CAkey root.key -set_serial "0x$XS" -days 30 \
  -extfile ext.cnf -extensions leaf -out mixed.crt 2>/dev/null
refused "$(mkt mixedcert 47 "$XS.crt=mixed.crt")" "$XS" "signature does not verify"
d=$(mktemp -d "$WORK/crlca.XXXX"); : >"$d/index.txt"; echo 1000 >"$d/crlnumber"
printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s/index.txt\ncrlnumber = %s/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\ncrl_extensions = x\n[x]\nauthorityKeyIdentifier = keyid\n' "$d" "$d" >"$d/ca.cnf"
openssl ca -batch -config "$d/ca.cnf" -gencrl -cert l3rootkey.pem -keyfile root.key -out mixed.crl 2>/dev/null
refused "$(mkt mixedcrl 48 line3.crl=mixed.crl)" "line3.crl" "signature does not verify"
ok "refused: a certificate and a CRL under line3's name with the root's AKI and signature"

# a good trust.p7b as written: the very bytes OpenSSL makes of trust.pem
cp -a S S3
expect 0 st accept S3 "$(mkt p7good 49 trust.p7b=resp/trust.p7b firmware-pump-1.2.p7s=fw.p7s)" --out flat3
cmp flat3/trust.p7b resp/trust.p7b || fail "trust.p7b is not the certs-only PKCS#7 of trust.pem"
[ "$(openssl pkcs7 -inform DER -in flat3/trust.p7b -print_certs | grep -c 'BEGIN CERT')" = 2 ] \
  && diff <(openssl pkcs7 -inform DER -in flat3/trust.p7b -print_certs | openssl x509 -outform DER | sha256sum) \
    <(openssl x509 -in root.pem -outform DER | sha256sum) >/dev/null || fail "trust.p7b certificates"
expect 0 st verify-firmware S3 fw.img flat3/firmware/firmware-pump-1.2.p7s --pki flat3
ok "a checked trust.p7b is written as the certs-only PKCS#7 of trust.pem (cmp, openssl pkcs7 -print_certs)"

# -------------------------------------------- own/certs: one file, one identity
# (issue 9 item 5) own/certs/NAME.pem is named after the CN, so that an OPC
# UA application finds its renewed certificate where it was configured to
# look.  A file there is replaced only by a certificate for the same
# identity (the same set of SANs: the URI is the ApplicationUri, OPC 10000-6
# §6.2.2), never by another device's certificate that happens to share the
# CN; a clash refuses the whole response and names both certificates.
expect 0 st init O --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass
mkdir -p ids
issue_san() {  # issue_san TAG CN SAN [SERIAL]: ids/TAG.crt, ids/TAG.serial (a new key each time)
  local s=${4:-$(serial)}
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "ids/$1.key" \
    -subj "/O=Acme Plant/CN=$2" -out "ids/$1.csr" 2>/dev/null
  printf '[x]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n%s\n%s\n%s\nsubjectAltName = %s\n' \
    'extendedKeyUsage = clientAuth, serverAuth' 'subjectKeyIdentifier = hash' \
    'authorityKeyIdentifier = keyid' "$3" >"ids/$1.cnf"
  ${FAKETIME:+faketime -f "$FAKETIME"} openssl x509 -req -in "ids/$1.csr" -CA line3.pem -CAkey line3.key \
    -set_serial "0x$s" -days 365 -extfile "ids/$1.cnf" -extensions x -out "ids/$1.crt" 2>/dev/null
  echo "$s" >"ids/$1.serial"
}
sn() { cat "ids/$1.serial"; }
mko() {  # mko DIR SEQ TAG...: a response for station O with the certificates ids/TAG.crt
  local out=$1 seq=$2 t; shift 2
  local args=()
  for t in "$@"; do args+=("$(sn "$t").crt=ids/$t.crt"); done
  mkdir -p "$out"
  "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
    --sequence "$seq" -o "$out" "${args[@]}" chain.pem=resp/chain.pem trust.pem=resp/trust.pem | tail -1
}
first() { openssl x509 -in "$1" -outform DER | sha256sum; }  # the first certificate of a file
orefused() {  # orefused BUNDLE OUT "LAYOUT [--der]" WHY...: exit 1, nothing written, nothing recorded
  local b=$1 out=$2 layout=$3; shift 3
  local before conf
  before=$(snap "$out"); conf=$(sha256sum O/station.conf)
  # shellcheck disable=SC2086  # LAYOUT carries the options
  expect 1 st accept O "$b" --out "$out" --layout $layout
  echo "  refused: $ERR"
  err_has "$(basename "$b")" "$@"
  [ "$(snap "$out")" = "$before" ] || fail "refused $b changed $out"
  [ "$(sha256sum O/station.conf)" = "$conf" ] || fail "refused $b changed O/station.conf"
}
own=opki/own/certs/Line_3_OPC_UA_server.pem
issue_san srv "Line 3 OPC UA server" "URI:urn:acme:line3:opcua-srv,DNS:srv.line3.plant.local"
expect 0 st accept O "$(mko own1 1 srv)" --out opki --layout opcua
[ "$(first $own)" = "$(first ids/srv.crt)" ] || fail "$own does not hold the server's certificate"
issue_san evil "Line 3 OPC UA server" "URI:urn:acme:line3:evil"
orefused "$(mko own2 2 evil)" opki opcua "own/certs/Line_3_OPC_UA_server.pem" "$(sn srv)" "$(sn evil)" \
  "uri:urn:acme:line3:opcua-srv" "uri:urn:acme:line3:evil" "dns:srv.line3.plant.local"
[ "$(first $own)" = "$(first ids/srv.crt)" ] || fail "$own was replaced by another device's certificate"
ok "own/certs: a later certificate with the same CN but another ApplicationUri and key is refused, naming both"

issue_san srv3 "Line 3 OPC UA server" "URI:urn:acme:line3:opcua-srv"
orefused "$(mko own3 3 srv3)" opki opcua "Line_3_OPC_UA_server.pem" "$(sn srv)" "$(sn srv3)"
issue_san srv4 "Line 3 OPC UA server" "URI:urn:acme:line3:opcua-srv,DNS:srv.line3.plant.local,DNS:srv2.line3.plant.local"
orefused "$(mko own4 4 srv4)" opki opcua "Line_3_OPC_UA_server.pem" "$(sn srv)" "$(sn srv4)"
# the renewal: a new key, the same SANs (listed in another order: sets)
issue_san srv2 "Line 3 OPC UA server" "DNS:srv.line3.plant.local,URI:urn:acme:line3:opcua-srv"
expect 0 st accept O "$(mko own5 5 srv2)" --out opki --layout opcua
[ "$(first $own)" = "$(first ids/srv2.crt)" ] || fail "the renewal did not replace $own"
openssl verify -x509_strict -CAfile opki/issuers/certs/Acme_Plant_Root_CA.pem -untrusted "$own" "$own" >/dev/null \
  || fail "$own does not verify"
cmp <(openssl x509 -in "$own" -noout -ext subjectAltName) <(openssl x509 -in ids/srv.crt -noout -ext subjectAltName) \
  && fail "test bug: the renewal's SANs are not in another order"
ok "own/certs: one SAN fewer or more is refused; the renewal (new key, same SAN set) replaces the file"

issue_san hmi "Line 3 HMI" "URI:urn:acme:line3:hmi"
issue_san hmix "Line 3 HMI" "URI:urn:acme:line3:hmi-evil"
orefused "$(mko own6 6 hmi hmix)" opki opcua "own/certs/Line_3_HMI.pem" "$(sn hmi)" "$(sn hmix)" \
  "uri:urn:acme:line3:hmi" "uri:urn:acme:line3:hmi-evil"
[ ! -e opki/own/certs/Line_3_HMI.pem ] || fail "a refused bundle wrote Line_3_HMI.pem"
# the same identity twice in one bundle: the newer certificate takes the name
FAKETIME=-2d issue_san hmiold "Line 3 HMI" "URI:urn:acme:line3:hmi"
expect 0 st accept O "$(mko own7 7 hmiold hmi)" --out opki --layout opcua
[ "$(first opki/own/certs/Line_3_HMI.pem)" = "$(first ids/hmi.crt)" ] || fail "Line_3_HMI.pem is not the newer certificate"
[ "$(first "opki/own/certs/$(sn hmiold).pem")" = "$(first ids/hmiold.crt)" ] || fail "the older HMI certificate is not kept by serial"
ok "own/certs: two identities for one name in one bundle are refused; the same identity twice: the newer takes the name"

printf 'not a certificate\n' >opki/own/certs/Line_3_Pump.pem
issue_san pump "Line 3 Pump" "URI:urn:acme:line3:pump"
orefused "$(mko own8 8 pump)" opki opcua "own/certs/Line_3_Pump.pem" "$(sn pump)"
[ "$(cat opki/own/certs/Line_3_Pump.pem)" = "not a certificate" ] || fail "Line_3_Pump.pem was overwritten"
rm opki/own/certs/Line_3_Pump.pem
# --der: own/certs/NAME.der, the same rule
expect 0 st accept O "$(mko own9 9 srv)" --out oder --layout opcua --der
b10=$(mko own10 10 evil)
orefused "$b10" oder "opcua --der" "own/certs/Line_3_OPC_UA_server.der" "$(sn srv)" "$(sn evil)"
# NAME.pem and NAME.der are one name to an application: the other suffix counts too
orefused "$b10" opki "opcua --der" "own/certs/Line_3_OPC_UA_server.pem" "$(sn srv2)" "$(sn evil)"
# flat: certs/SERIAL.pem is replaced only by the same identity too (a serial
# reused for another device is a CA defect, not a renewal)
issue_san flat1 "Line 3 Pump" "URI:urn:acme:line3:pump"
expect 0 st accept O "$(mko own11 11 flat1)" --out oflat --layout flat
issue_san flat2 "Line 3 Pump" "URI:urn:acme:line3:pump-evil" "$(sn flat1)"
orefused "$(mko own12 12 flat2)" oflat flat "certs/$(sn flat1).pem" "uri:urn:acme:line3:pump-evil"
ok "own/certs: a file that holds no certificate is not overwritten; --der and flat follow the same rule"

# ------------------------------------------------ signed audit checkpoints
# a checkpoint signed by OpenSSL (any Ed25519 key stands for the CA's audit
# key here), one with a bad signature, one by a second key
mkcp() {  # mkcp KEY.pem SEQ OUT
  local key; key=$(openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | xxd -p -c 64)
  printf 'plantca audit checkpoint 1\nsequence: %s\nhead: %064x\ntime: 1764590000\nkey: %s\n' "$2" "$2" "$key" >"$3.msg"
  { cat "$3.msg"; printf 'signature: %s\n' "$(openssl pkeyutl -sign -inkey "$1" -rawin -in "$3.msg" | xxd -p -c 128)"; } >"$3"
}
if command -v xxd >/dev/null; then
  openssl genpkey -algorithm ED25519 -out audit1.pem; openssl genpkey -algorithm ED25519 -out audit2.pem
  mkcp audit1.pem 7 cp7.txt; mkcp audit2.pem 9 cp9-other.txt
  sed 's/^time: 1764590000/time: 1764590001/' cp7.txt >cp7-forged.txt
  pki_before=$(snap pki); conf_before=$(sha256sum S/station.conf)
  refused "$(mk cpbad 60 audit-checkpoint.txt=cp7-forged.txt | tail -1)" "checkpoint of event 7: signature does not verify"
  expect 0 st accept S "$(mk cpgood 61 audit-checkpoint.txt=cp7.txt | tail -1)" --out pki --layout opcua
  cmp cp7.txt S/audit/00000000000000000007.checkpoint || fail "checkpoint not kept: $(ls S/audit)"
  pki_before=$(snap pki); conf_before=$(sha256sum S/station.conf)
  refused "$(mk cpother 62 audit-checkpoint.txt=cp9-other.txt | tail -1)" "another audit key"
  ok "audit-checkpoint.txt: a forged one and one by another audit key refuse the bundle; a good one is kept in DIR/audit/"
else
  skip_part "xxd not installed: the audit checkpoint members"
fi


expect 0 st --help
out_has "init DIR" "request DIR" "accept DIR" "--layout" "Exit status"
out_has "replaced only by a renewal" "same subjectAltName set" "holding exactly trust.pem's"
expect 2 st frobnicate
expect 2 st accept S "$resp"
err_has "--out"
ok "--help, unknown verb and missing --out are usage errors"
done_testing
