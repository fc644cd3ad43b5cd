#!/usr/bin/env bash
# plantca-station accept switches PKI_DIR from one complete layout to the
# next: the new tree is built beside the old one and exchanged in one
# rename, the sequence is recorded after the switch, files the new bundle
# supersedes are gone, the application's own files stay.
#
#  1. a second bundle that drops a CA from the trust list: the CA's file is
#     removed, the application's private key and rejected/ stay (failed
#     before: the dropped CA stayed trusted);
#  2. a folder made immutable (chattr +i, as root on ext4): before, accept
#     rewrote the CRLs and then stopped, leaving a mixture; now the layout
#     is the new one, complete;
#  3. every fault point accept reaches (common/fault.h; the build needs
#     -Dfault_points=true), killed there and failed there (EIO): PKI_DIR is
#     the old layout or the new one, never anything else, station.conf
#     records the sequence only with the new layout, and accepting the
#     bundle again ends with the new layout.
#
# Environment: STATION, MKRESPONSE, SRCDIR, FAULT_POINTS (true or false).
. "$(dirname "$0")/lib.sh" --no-token
: "${STATION:?}" "${MKRESPONSE:?}"
cd "$WORK"

printf 'correct horse battery staple\n' >pass; chmod 600 pass
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
EOF
serial() { printf '5%s' "$(openssl rand -hex 20 | cut -c1-39)"; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
  -subj "/O=Acme Plant/CN=Acme Plant Root CA" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out root.pem 2>/dev/null
mkca() {  # mkca NAME CN
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -subj "/O=Acme Plant/CN=$2" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA root.pem -CAkey root.key -set_serial "0x$(serial)" -days 1825 \
    -extfile ext.cnf -extensions ca -out "$1.pem" 2>/dev/null
}
mkca line3 "Line 3 Issuing CA"; mkca old3 "Line 3 Old CA"
mkdir dev resp
issue() {  # issue CN -> resp/SERIAL.crt, prints SERIAL
  local s; s=$(serial)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "dev/$1.key" \
    -subj "/O=Acme Plant/CN=$1" -addext "subjectAltName=DNS:$1.line3.plant.local" -out "dev/$1.csr" 2>/dev/null
  openssl x509 -req -in "dev/$1.csr" -CA line3.pem -CAkey line3.key -set_serial "0x$s" -days 365 \
    -copy_extensions copy -extfile ext.cnf -extensions leaf -out "resp/$s.crt" 2>/dev/null
  echo "$s"
}
mkcrl() {  # mkcrl CERT KEY OUT NUMBER
  local d; d=$(mktemp -d "$WORK/crlca.XXXX")
  : >"$d/index.txt"; echo "$4" >"$d/crlnumber"
  printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s/index.txt\ncrlnumber = %s/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n' \
    "$d" "$d" >"$d/ca.cnf"
  openssl ca -batch -config "$d/ca.cnf" -gencrl -cert "$1" -keyfile "$2" -out "$3" 2>/dev/null
}
S1=$(issue pump-12); S2=$(issue opcua-srv)
cat line3.pem root.pem >resp/chain.pem
cat root.pem line3.pem old3.pem >resp/trust1.pem      # bundle 1 trusts the old CA too
cat root.pem line3.pem >resp/trust2.pem               # bundle 2 no longer does
mkcrl line3.pem line3.key resp/line3-1.crl 1000; mkcrl root.pem root.key resp/root-1.crl 1000
mkcrl line3.pem line3.key resp/line3-2.crl 1001; mkcrl root.pem root.key resp/root-2.crl 1001

"$MKRESPONSE" genkey catr.key catr.pub --raw
expect 0 st init S --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass
mk() {  # mk SEQ MEMBER=FILE...: prints the bundle's path
  mkdir -p "b$1"
  "$MKRESPONSE" build --key catr.key --pub catr.pub --passphrase-file pass --segment line3 \
    --sequence "$1" -o "b$1" --reply line3-request-000001 "${@:2}" | tail -1
}
B1=$(mk 1 "$S1.crt=resp/$S1.crt" chain.pem=resp/chain.pem trust.pem=resp/trust1.pem \
  line3.crl=resp/line3-1.crl root.crl=resp/root-1.crl)
B2=$(mk 2 "$S2.crt=resp/$S2.crt" chain.pem=resp/chain.pem trust.pem=resp/trust2.pem \
  line3.crl=resp/line3-2.crl root.crl=resp/root-2.crl)
seq_of() { sed -n 's/^last-response-sequence: //p' "$1/station.conf"; }

# ------------------------------------------------ 1. superseded files go
expect 0 st accept S "$B1" --out pki --layout opcua
[ -f pki/trusted/certs/Line_3_Old_CA.pem ] || fail "bundle 1: no trusted/certs/Line_3_Old_CA.pem: $(find pki)"
# what the OPC UA application keeps in its PKI folder itself
mkdir -p pki/own/private pki/rejected/certs
printf 'the application key\n' >pki/own/private/app.key; chmod 600 pki/own/private/app.key
printf 'rejected peer\n' >pki/rejected/certs/peer.der
cp pki/trusted/certs/Line_3_Issuing_CA.pem pki/trusted/certs/peer-app.pem   # placed by the operator
cp -a S S.1; cp -a pki pki.1; OLD=$(snap pki)

expect 0 st accept S "$B2" --out pki --layout opcua
[ ! -e pki/trusted/certs/Line_3_Old_CA.pem ] \
  || fail "a CA dropped from the trust list is still trusted: pki/trusted/certs/Line_3_Old_CA.pem"
for f in own/certs/pump-12.pem own/certs/opcua-srv.pem trusted/certs/Line_3_Issuing_CA.pem \
  issuers/certs/Acme_Plant_Root_CA.pem own/private/app.key rejected/certs/peer.der trusted/certs/peer-app.pem; do
  [ -f "pki/$f" ] || fail "after bundle 2: no $f ($(find pki -type f))"
done
[ "$(mode pki/own/private/app.key)" = 600 ] || fail "the application key lost its mode: $(mode pki/own/private/app.key)"
cmp -s pki/trusted/crl/line3.crl <(openssl crl -in resp/line3-2.crl) || fail "trusted/crl/line3.crl is not bundle 2's CRL"
[ "$(openssl crl -in pki/trusted/crl/line3.crl -noout -crlnumber)" = "crlNumber=0x1001" ] || fail "CRL number"
grep -qx trusted/certs/peer-app.pem pki/.plantca-layout && fail ".plantca-layout lists the operator's file"
grep -qx own/certs/pump-12.pem pki/.plantca-layout || fail ".plantca-layout lost pump-12: $(cat pki/.plantca-layout)"
for f in pki/own/certs/*.pem; do
  openssl verify -x509_strict -crl_check_all -CRLfile pki/trusted/crl/line3.crl -CRLfile pki/issuers/crl/root.crl \
    -CAfile pki/issuers/certs/Acme_Plant_Root_CA.pem -untrusted pki/trusted/certs/Line_3_Issuing_CA.pem \
    "$f" >/dev/null || fail "$f does not verify with the new CRLs"
done
[ "$(seq_of S)" = 2 ] || fail "sequence: $(cat S/station.conf)"
[ -z "$(find . -maxdepth 1 -name '.pki.accept*')" ] || fail "the old tree was left beside pki: $(ls -a)"
NEW=$(snap pki)
rm -rf pki.new S.new; cp -a pki pki.new; cp -a S S.new
ok "bundle 2 drops the old CA: its file is gone, the application's files and modes stay, CRLs verify"

restore() { rm -rf pki S .pki.accept; cp -a pki.1 pki; cp -a S.1 S; }

# --------------------------------------- 2. an immutable folder (chattr)
restore
if chattr +i pki/own/certs 2>/dev/null; then
  at_exit "chattr -i '$WORK/pki/own/certs' '$WORK/.pki.accept/own/certs' 2>/dev/null"
  rc=0; "$STATION" accept S "$B2" --out pki --layout opcua >out 2>err || rc=$?
  chattr -i pki/own/certs .pki.accept/own/certs 2>/dev/null || true
  if [ "$rc" -eq 0 ]; then
    [ "$(snap pki)" = "$NEW" ] || fail "accept with own/certs immutable: not the new layout: $(diff <(echo "$NEW") <(snap pki))"
    [ "$(seq_of S)" = 2 ] || fail "accepted but the sequence was not recorded"
    grep -q "warning" err || fail "the old tree could not be removed, but no warning: $(cat err)"
  else
    [ "$(snap pki)" = "$OLD" ] || fail "accept failed (exit $rc) and left a mixture in pki: $(diff <(echo "$OLD") <(snap pki))"
    [ "$(seq_of S)" = 1 ] || fail "failed but recorded"
    expect 0 st accept S "$B2" --out pki --layout opcua
    [ "$(snap pki)" = "$NEW" ] || fail "accepting again did not give the new layout"
  fi
  ok "own/certs immutable: pki is the old layout or the new one, complete (exit $rc)"
else
  skip_part "chattr +i not supported here: the immutable-folder case"
fi

# ------------------------------------------------ 3. every fault point
if [ "${FAULT_POINTS:-false}" != true ]; then
  skip_part "built without -Dfault_points=true: the fault sweep"
  done_testing
  exit 0
fi
restore
PLANTCA_FAULT_LOG=$WORK/points expect 0 st accept S "$B2" --out pki --layout opcua
[ "$(snap pki)" = "$NEW" ] || fail "the listing run did not give the new layout"
sort points | uniq -c | awk '{print $2, $1}' >points.n
echo "# fault points of accept: $(tr '\n' ' ' <points.n)"
for p in accept.link accept.switch accept.switched accept.record accept.cleanup file.write dir.sync; do
  grep -q "^$p " points.n || fail "accept never reached fault point $p: $(cat points.n)"
done
runs=0
while read -r point count; do
  for ((n = 1; n <= count; n++)); do
    for how in kill eio; do
      restore
      rc=0
      PLANTCA_FAULT=$point:$n:$how "$STATION" accept S "$B2" --out pki --layout opcua >out 2>err || rc=$?
      runs=$((runs + 1))
      [ "$rc" -ne 0 ] || [ "$point" = accept.cleanup ] || fail "$point:$n:$how: accept exited 0"
      now=$(snap pki); s=$(seq_of S)
      if [ "$now" = "$OLD" ]; then
        [ "$s" = 1 ] || fail "$point:$n:$how: old layout but sequence $s recorded"
      elif [ "$now" = "$NEW" ]; then
        :
      else
        fail "$point:$n:$how (exit $rc): pki is neither the old nor the new layout: $(diff <(echo "$OLD") <(echo "$now") | head)"
      fi
      if [ "$how" = eio ] && [ "$rc" -ne 0 ]; then
        grep -q "injected at fault point $point" err || fail "$point:$n:eio: message: $(cat err)"
      fi
      # and the next accept ends with the new layout, nothing left beside it
      if [ "$s" = 1 ]; then
        expect 0 st accept S "$B2" --out pki --layout opcua
      else
        expect 1 st accept S "$B2" --out pki --layout opcua
      fi
      [ "$(snap pki)" = "$NEW" ] || fail "$point:$n:$how: accepting again did not give the new layout"
      [ "$(seq_of S)" = 2 ] || fail "$point:$n:$how: sequence not 2 after accepting again"
      [ "$s" = 2 ] || [ ! -e .pki.accept ] || fail "$point:$n:$how: the stage was left after accepting again"
    done
  done
done <points.n
ok "$runs faulted accepts (every point, every time it is reached, kill and EIO): always the old or the new layout, and the bundle acceptable again until recorded"

done_testing
