#!/usr/bin/env bash
# plantca root roll (issue 12 item 3, RFC 4210 §4.4): a new root key and
# self-signed certificate with the same subject, NewWithOld (the new key
# under the old root) and OldWithNew (the old key under the new root), and
# every issuing CA's key re-certified under the new root.  A device that
# trusts only the old root validates new certificates through NewWithOld,
# one that trusts only the new root old certificates through OldWithNew
# (openssl verify -x509_strict, a TLS handshake, certtool).  Exports carry
# both roots, both cross-certificates and both CA certificates; a station
# takes the new root only through NewWithOld (key continuity) and refuses
# a self-signed root of the same name that is not cross-certified, leaving
# its directory as it was.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need faketime "the roll happens years after init (scripts/setup installs it)"
need certtool "the new chain is checked with GnuTLS too (scripts/setup installs gnutls-bin)"
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 faketime "$@"; }

T0='2027-03-01 09:00:00'
d() { date -u -d "$T0 UTC + $1 days" '+%Y-%m-%d %H:%M:%S'; }
NOW=$T0
ca() { ft "$NOW" "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
sta() { ft "$(date -u -d "$NOW UTC + 10 minutes" '+%Y-%m-%d %H:%M:%S')" "$STATION" "$@"; }
later() { date -u -d "$NOW UTC + 20 minutes" '+%Y-%m-%d %H:%M:%S'; }
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :'; }
aki() { openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -1 | sed 's/keyid://' | tr -d ' :'; }
sn() { ca --json certs | python3 -c '
import json, sys
print([c["serial"] for c in json.load(sys.stdin) if c["subject"].startswith("CN=" + sys.argv[1] + ",")][0])' "$1"; }
# the n-th certificate (from 1) of a PEM file
nth() { awk -v n="$2" '/BEGIN CERT/{i++} i==n{print} /END CERT/&&i==n{exit}' "$1"; }

expect 0 ca init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
  --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA" --days 3650
expect 0 ca ca new line3 --subject "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" \
  --permit dns:line3.plant.local --days 3000
cp "$CAHOME/public/root.pem" "$WORK/old-root.pem"
ca ca cert line3 >"$WORK/ica-old.pem"
printf 'pw\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
for st in st st2; do
  expect 0 sta init "$WORK/$st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
    --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
  expect 0 ca station add line3 "$WORK/$st/station.pub" --ca line3
done
mkdir -p "$WORK/dev" "$WORK/usb"
for n in srv1 cli1 srv2 cli2 rev2; do
  mkcsr p256 "$n" "$WORK/dev/$n.csr" "DNS:$n.line3.plant.local"
done
exp_and_accept() {
  rm -rf "$WORK/usb"; mkdir "$WORK/usb"
  expect 0 ca export line3 "$WORK/usb"
  expect 0 sta accept "$WORK/st" "$WORK"/usb/line3-response-*.tar --out "$WORK/pki" --layout flat
  expect 0 sta accept "$WORK/st2" "$WORK"/usb/line3-response-*.tar --out "$WORK/ua" --layout opcua
}
request() {
  rm -rf "$WORK/usb"; mkdir "$WORK/usb"
  expect 0 sta request "$WORK/st" --passphrase-file "$WORK/pass" "$@" -o "$WORK/usb"
  expect 0 ca import "$WORK"/usb/line3-request-*.tar
  expect 0 ca sign
}

# before the roll (seven years and ten months on): srv1 and cli1 from
# line3 under the old root
NOW=$(d 2890)
request --profile tls-server "$WORK/dev/srv1.csr" --profile tls-client "$WORK/dev/cli1.csr"
expect 0 ca crl
exp_and_accept
S_SRV1=$(sn srv1); S_CLI1=$(sn cli1)
OLDK=$(ski "$WORK/old-root.pem")
ok "before the roll: srv1 and cli1 issued and delivered"

# the roll, a month later, two years before the old root expires
NOW=$(d 2920)
expect 0 ca root roll
out_has "root generation 2 (ec-p384)" "NewWithOld" "OldWithNew" \
  "issuing CA 'line3' re-certified under the new root (same key)"
cp "$CAHOME/public/root.pem" "$WORK/new-root.pem"
cp "$CAHOME"/public/root-newwithold.gen2.pem "$WORK/nwo.pem"
cp "$CAHOME"/public/root-oldwithnew.gen2.pem "$WORK/own.pem"
cmp -s "$CAHOME/public/root.gen1.pem" "$WORK/old-root.pem" || fail "public/root.gen1.pem is not the old root"
ca ca cert line3 >"$WORK/ica-new.pem"
NEWK=$(ski "$WORK/new-root.pem")
[ "$OLDK" != "$NEWK" ] || fail "the roll kept the root key"
subj() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
iss() { openssl x509 -in "$1" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//'; }
for f in new-root nwo own; do
  [ "$(subj "$WORK/$f.pem")" = "$(subj "$WORK/old-root.pem")" ] || fail "$f: subject $(subj "$WORK/$f.pem")"
  [ "$(iss "$WORK/$f.pem")" = "$(subj "$WORK/old-root.pem")" ] || fail "$f: issuer"
done
[ "$(ski "$WORK/nwo.pem")" = "$NEWK" ] && [ "$(aki "$WORK/nwo.pem")" = "$OLDK" ] || fail "NewWithOld key ids"
[ "$(ski "$WORK/own.pem")" = "$OLDK" ] && [ "$(aki "$WORK/own.pem")" = "$NEWK" ] || fail "OldWithNew key ids"
[ "$(openssl x509 -in "$WORK/nwo.pem" -noout -enddate)" = "$(openssl x509 -in "$WORK/old-root.pem" -noout -enddate)" ] \
  || fail "NewWithOld does not end with the old root"
[ "$(openssl x509 -in "$WORK/own.pem" -noout -enddate)" = "$(openssl x509 -in "$WORK/old-root.pem" -noout -enddate)" ] \
  || fail "OldWithNew does not end with the old root"
ft "$(later)" openssl verify -x509_strict -check_ss_sig -CAfile "$WORK/new-root.pem" "$WORK/new-root.pem" >/dev/null \
  || fail "the new root's self-signature"
ft "$(later)" openssl verify -x509_strict -partial_chain -CAfile "$WORK/old-root.pem" "$WORK/nwo.pem" >/dev/null \
  || fail "NewWithOld does not verify with the old root"
ft "$(later)" openssl verify -x509_strict -partial_chain -CAfile "$WORK/new-root.pem" "$WORK/own.pem" >/dev/null \
  || fail "OldWithNew does not verify with the new root"
[ "$(ski "$WORK/ica-new.pem")" = "$(ski "$WORK/ica-old.pem")" ] || fail "line3 re-certified with another key"
[ "$(aki "$WORK/ica-new.pem")" = "$NEWK" ] || fail "line3's new certificate is not from the new root"
[ "$(openssl x509 -in "$WORK/ica-new.pem" -noout -enddate)" = "$(openssl x509 -in "$WORK/ica-old.pem" -noout -enddate)" ] \
  || fail "re-certification changed line3's notAfter"
openssl x509 -in "$WORK/ica-new.pem" -noout -text | grep -q 'DNS:line3.plant.local' || fail "name constraints lost"
ft "$(later)" openssl verify -x509_strict -CAfile "$WORK/new-root.pem" "$WORK/ica-new.pem" >/dev/null \
  || fail "line3's new certificate does not verify under the new root"
expect 0 ca audit log
out_has "root.roll root ok root generation 2" "ca.roll root ok generation 2" "root.recert"
ok "root roll: new key and self-signed root with the same subject; NewWithOld and OldWithNew with the right key ids and the old root's notAfter; line3 re-certified (same key, notAfter, constraints); audited"

# run again, the roll is complete: nothing changes (a second roll inside
# the overlap is not made: stations keep one previous root)
before=$(store_dump)
expect 0 ca root roll
out_has "the root roll to generation 2 is complete: nothing to do" \
  "once generation 1 has expired ($(date -u -d "$T0 UTC + 3650 days" +%Y-%m-%d)"
[ "$(store_dump)" = "$before" ] || fail "a second root roll changed the store"
cmp -s "$CAHOME/public/root.pem" "$WORK/new-root.pem" || fail "a second root roll changed public/root.pem"
expect 0 ca ca list
out_has "generation 2 (current: signs certificates and its CRL)" "generation 1 (signs only its CRL"
ok "root roll run again inside the overlap changes nothing and says when the next one is possible; ca list shows both root generations"

# after the roll: srv2, cli2, rev2 from line3 (same key) - device certs
request --profile tls-server "$WORK/dev/srv2.csr" --profile tls-client "$WORK/dev/cli2.csr" "$WORK/dev/rev2.csr"
S_SRV2=$(sn srv2); S_CLI2=$(sn cli2); S_REV2=$(sn rev2)
expect 0 ca revoke "$S_REV2" --reason keyCompromise
expect 0 ca crl
out_has "CRL" "of CA 'root' generation 1"
rm -rf "$WORK/usb"; mkdir "$WORK/usb"
expect 0 ca export line3 "$WORK/usb"
tar -xf "$WORK"/usb/line3-response-*.tar -C "$WORK/usb" 2>/dev/null
ls "$WORK/usb" >"$WORK/usb.ls"
for m in trust.pem chain.pem trust.p7b root.crl root.gen1.crl line3.crl; do
  grep -qx "$m" "$WORK/usb.ls" || fail "the response lacks $m: $(cat "$WORK/usb.ls")"
done
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/usb/trust.pem")" -eq 6 ] || fail "trust.pem: $(grep -c 'BEGIN CERTIFICATE' "$WORK/usb/trust.pem") certificates, expected 2 roots, 2 cross, 2 line3"
openssl pkcs7 -inform DER -in "$WORK/usb/trust.p7b" -print_certs -out "$WORK/p7.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/p7.pem")" -eq 6 ] || fail "trust.p7b"
for f in old-root new-root nwo own ica-old ica-new; do
  grep -q "$(sed -n 2p "$WORK/$f.pem")" "$WORK/usb/trust.pem" || fail "trust.pem lacks $f"
  grep -q "$(sed -n 2p "$WORK/$f.pem")" "$WORK/usb/chain.pem" || fail "chain.pem lacks $f"
done
crl_aki() { openssl crl -in "$1" -noout -text | grep -A1 'Authority Key Identifier' | tail -1 | sed 's/keyid://' | tr -d ' :'; }
[ "$(crl_aki "$WORK/usb/root.gen1.crl")" = "$OLDK" ] && [ "$(crl_aki "$WORK/usb/root.crl")" = "$NEWK" ] \
  || fail "root CRL key ids: $(crl_aki "$WORK/usb/root.gen1.crl") $(crl_aki "$WORK/usb/root.crl")"
ft "$(later)" openssl crl -in "$WORK/usb/root.gen1.crl" -noout -CAfile "$WORK/old-root.pem" -verify 2>&1 | grep -q 'verify OK' \
  || fail "the old root's CRL does not verify with the old root"
ft "$(later)" openssl crl -in "$WORK/usb/root.crl" -noout -CAfile "$WORK/new-root.pem" -verify 2>&1 | grep -q 'verify OK' \
  || fail "the new root's CRL does not verify with the new root"
ok "after the roll: the response carries both roots, both cross-certificates and both line3 certificates (trust.pem, trust.p7b, chain.pem) and both roots' CRLs, each signed by its own key"

pem_of() { openssl x509 -in "$WORK/usb/$1.crt" -out "$2" 2>/dev/null ||
  openssl x509 -inform DER -in "$WORK/usb/$1.crt" -out "$2"; }
pem_of "$S_SRV2" "$WORK/srv2.pem"; pem_of "$S_CLI2" "$WORK/cli2.pem"
ca show "$S_REV2" --pem >"$WORK/rev2.pem"
cp "$WORK/pki/certs/$S_SRV1.pem" "$WORK/srv1.pem"
[ "$(aki "$WORK/srv2.pem")" = "$(ski "$WORK/ica-new.pem")" ] || fail "srv2 is not from line3"

# a device trusting only the old root: a new certificate through NewWithOld
vfy() { ft "$(later)" openssl verify -x509_strict "$@" 2>&1; }
r=$(vfy -CAfile "$WORK/old-root.pem" -untrusted <(cat "$WORK/nwo.pem" "$WORK/ica-new.pem") "$WORK/srv2.pem") \
  || fail "old-root device, new chain: $r"
r=$(vfy -CAfile "$WORK/old-root.pem" -untrusted "$WORK/ica-new.pem" "$WORK/srv2.pem") \
  && fail "the new chain verified under the old root without NewWithOld: $r"
# a device trusting only the new root: the old CA certificate through OldWithNew
r=$(vfy -CAfile "$WORK/new-root.pem" -untrusted "$WORK/own.pem" "$WORK/ica-old.pem") \
  || fail "new-root device, old CA certificate: $r"
r=$(vfy -CAfile "$WORK/new-root.pem" "$WORK/ica-old.pem") \
  && fail "the old CA certificate verified under the new root without OldWithNew: $r"
r=$(vfy -CAfile "$WORK/new-root.pem" -untrusted <(cat "$WORK/own.pem" "$WORK/ica-old.pem") "$WORK/srv1.pem") \
  || fail "new-root device, old device certificate: $r"
# and the plain paths
r=$(vfy -CAfile "$WORK/new-root.pem" -untrusted "$WORK/ica-new.pem" "$WORK/srv2.pem") || fail "new chain: $r"
r=$(vfy -CAfile "$WORK/old-root.pem" -untrusted "$WORK/ica-old.pem" "$WORK/srv1.pem") || fail "old chain: $r"
ok "openssl verify -x509_strict: an old-root device validates srv2 through NewWithOld (and not without it); a new-root device validates the old line3 certificate and srv1 through OldWithNew (and not without it)"

# TLS: the server presents srv2 with line3's new certificate and NewWithOld;
# the client trusts only the old root
port=$((20000 + RANDOM % 20000))
handshake() {
  local ca=$1 t
  t=$(later)
  port=$((port + 1))
  ft "$t" openssl s_server -accept "127.0.0.1:$port" -naccept 1 -cert "$WORK/srv2.pem" \
    -key "$WORK/dev/srv2.csr.key" -cert_chain "$WORK/srv2-chain.pem" -www >"$WORK/srv.log" 2>&1 &
  local sp=$! i rc=0
  for i in $(seq 1 100); do
    ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && break
    sleep 0.1
  done
  printf 'GET / HTTP/1.0\r\n\r\n' | ft "$t" openssl s_client -connect "127.0.0.1:$port" \
    -verify_hostname srv2.line3.plant.local -CAfile "$ca" -x509_strict -verify_return_error \
    -quiet >"$WORK/cli.log" 2>&1 || rc=$?
  kill "$sp" 2>/dev/null || true
  wait "$sp" 2>/dev/null || true
  if [ "$rc" -eq 0 ] && grep -q 'HTTP/1.0 200' "$WORK/cli.log"; then echo ok; else echo refused; fi
}
cat "$WORK/ica-new.pem" "$WORK/nwo.pem" >"$WORK/srv2-chain.pem"
[ "$(handshake "$WORK/old-root.pem")" = ok ] || fail "TLS, old-root client: $(tail -5 "$WORK/cli.log" "$WORK/srv.log")"
[ "$(handshake "$WORK/new-root.pem")" = ok ] || fail "TLS, new-root client: $(tail -5 "$WORK/cli.log" "$WORK/srv.log")"
cat "$WORK/ica-new.pem" >"$WORK/srv2-chain.pem"
[ "$(handshake "$WORK/old-root.pem")" = refused ] || fail "TLS without NewWithOld let the old-root client in"
grep -q 'unable to get local issuer certificate' "$WORK/cli.log" || fail "refused, but not for the missing issuer: $(cat "$WORK/cli.log")"
ok "TLS (s_server/s_client -x509_strict -verify_return_error): a client trusting only the old root accepts the new chain with NewWithOld, refuses it without; a new-root client accepts it too"

# GnuTLS: the new chain, and the cross path, each up to a self-signed root
cc() {
  cat "$@" >"$WORK/cc.pem"
  ft "$(later)" certtool --verify-chain --infile "$WORK/cc.pem" >"$WORK/certtool.log" 2>&1 &&
    grep -q 'Chain verification output: Verified' "$WORK/certtool.log"
}
cc "$WORK/srv2.pem" "$WORK/ica-new.pem" "$WORK/new-root.pem" || fail "certtool, new chain: $(tail -5 "$WORK/certtool.log")"
cc "$WORK/srv2.pem" "$WORK/ica-new.pem" "$WORK/nwo.pem" "$WORK/old-root.pem" || fail "certtool, through NewWithOld: $(tail -5 "$WORK/certtool.log")"
cc "$WORK/srv1.pem" "$WORK/ica-old.pem" "$WORK/own.pem" "$WORK/new-root.pem" || fail "certtool, through OldWithNew: $(tail -5 "$WORK/certtool.log")"
ok "certtool --verify-chain: srv2 up to the new root, and through NewWithOld up to the old root; srv1 through OldWithNew up to the new root"

# the stations accept the new root through NewWithOld
cp "$WORK/st/root.pem" "$WORK/st-root-before.pem"
rm -rf "$WORK/usb"; mkdir "$WORK/usb"
expect 0 ca export line3 "$WORK/usb"
expect 0 sta accept "$WORK/st" "$WORK"/usb/line3-response-*.tar --out "$WORK/pki" --layout flat
out_has "new root 'Acme Plant Root CA'" "accepted: cross-certified by the trusted root (NewWithOld)"
expect 0 sta accept "$WORK/st2" "$WORK"/usb/line3-response-*.tar --out "$WORK/ua" --layout opcua
for st in st st2; do
  cmp -s "$WORK/$st/root.pem" "$WORK/new-root.pem" || fail "$st/root.pem is not the new root"
  cmp -s "$WORK/$st/root.prev.pem" "$WORK/old-root.pem" || fail "$st/root.prev.pem is not the old root"
done
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem")" -eq 6 ] || fail "station trust.pem: $(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem")"
[ -f "$WORK/pki/crl/root.crl" ] && [ -f "$WORK/pki/crl/root.gen1.crl" ] || fail "station CRLs: $(ls "$WORK/pki/crl")"
for f in old-root new-root nwo own ica-old ica-new; do
  grep -rqF "$(sed -n 2p "$WORK/$f.pem")" "$WORK/ua/issuers/certs" "$WORK/ua/trusted/certs" || fail "OPC UA layout lacks $f: $(ls -R "$WORK/ua")"
done
cat "$WORK/pki/crl"/*.crl >"$WORK/crls.pem"
# (srv2, cli2 and rev2 came in the response taken apart above)
for f in "$WORK/pki/certs/$S_SRV1.pem" "$WORK/pki/certs/$S_CLI1.pem" "$WORK/srv2.pem" "$WORK/cli2.pem"; do
  r=$(ft "$(later)" openssl verify -x509_strict -crl_check -CAfile "$WORK/pki/trust.pem" \
    -CRLfile "$WORK/crls.pem" "$f" 2>&1) || fail "openssl verify $f with the station's files: $r"
done
r=$(ft "$(later)" openssl verify -x509_strict -crl_check -CAfile "$WORK/pki/trust.pem" \
  -CRLfile "$WORK/crls.pem" "$WORK/rev2.pem" 2>&1) && fail "revoked rev2 verifies: $r"
grep -q 'certificate revoked' <<<"$r" || fail "rev2 refused otherwise: $r"
ok "the stations accept the new root through NewWithOld (key continuity): root.pem is the new root, root.prev.pem the old one; the flat and OPC UA layouts hold both roots, both cross-certificates and both line3 certificates; old and new devices verify with the station's files, revoked rev2 does not"

# the next response, with the new root trusted and the old one kept
NOW=$(d 2930)
expect 0 ca crl
exp_and_accept
[[ "$OUT" != *"new root"* ]] || fail "the new root was taken again: $OUT"
cmp -s "$WORK/st/root.prev.pem" "$WORK/old-root.pem" || fail "root.prev.pem lost"
ok "the next response is accepted under the new root with the old one still trusted"

# a forged new root: a second CA home with a root of the same name (not
# cross-certified), whose transfer key a third station trusts beside the
# plant's own root
FORGE=$WORK/forge
fca() { ft "$NOW" "$PLANTCA" --home "$FORGE" --pin-file "$PIN" "$@"; }
expect 0 fca init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
  --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA"
expect 0 fca ca new line3 --subject "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA"
expect 0 sta init "$WORK/st3" --segment line3 --ca-key "$FORGE/public/transfer.pub" \
  --trust "$WORK/new-root.pem" --passphrase-file "$WORK/pass"
expect 0 fca station add line3 "$WORK/st3/station.pub" --ca line3
expect 0 fca crl
rm -rf "$WORK/usb"; mkdir "$WORK/usb"
expect 0 fca export line3 "$WORK/usb"
mkdir -p "$WORK/pki3"; echo keep >"$WORK/pki3/marker"
# every file but the lock (it holds the PID of the last run that took it)
snap() { (cd "$1" && find . -type f ! -name lock -print0 | sort -z | xargs -0 sha256sum); }
b3=$(snap "$WORK/st3"); p3=$(snap "$WORK/pki3")
FP=$(openssl x509 -in "$FORGE/public/root.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr 'A-F' 'a-f')
B=$(ls "$WORK"/usb/line3-response-*.tar)
expect 1 sta accept "$WORK/st3" "$B" --out "$WORK/pki3" --layout flat
err_has "$B: chain.pem: new root 'Acme Plant Root CA' (SHA-256 $FP) is not cross-certified by the trusted root 'Acme Plant Root CA' (DIR/root.pem)"
[ "$(snap "$WORK/st3")" = "$b3" ] || fail "the refused accept changed the station directory"
[ "$(snap "$WORK/pki3")" = "$p3" ] || fail "the refused accept changed PKI_DIR"
ok "a self-signed root of the same name that is not cross-certified is refused, naming the bundle, the member and the root; station directory and PKI_DIR unchanged"

# line3 gets a key generation under the new root (its first ends at day
# 3000, before the old root); then, past the old root's end, the old root
# signs its final CRL and leaves the exports and the stations
NOW=$(d 2940)
expect 0 ca ca roll line3
ca ca cert line3 >"$WORK/ica-g2.pem"
[ "$(aki "$WORK/ica-g2.pem")" = "$NEWK" ] || fail "line3 generation 2 is not from the new root"
expect 0 ca crl
exp_and_accept
NOW=$(d 3651)
expect 0 ca crl
out_has "of CA 'root' generation 1" "its final CRL"
expect 0 ca ca list
out_has "generation 1 (retired"
exp_and_accept
[ ! -e "$WORK/st/root.prev.pem" ] && [ ! -e "$WORK/st2/root.prev.pem" ] || fail "a station kept the expired old root"
cmp -s "$WORK/st/root.pem" "$WORK/new-root.pem" || fail "st/root.pem changed"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem")" -eq 2 ] || fail "trust.pem after the overlap: $(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem") certificates, expected the new root and line3 generation 2"
for f in old-root nwo own ica-old ica-new; do
  ! grep -rqF "$(sed -n 2p "$WORK/$f.pem")" "$WORK/pki/trust.pem" "$WORK/pki/chain.pem" "$WORK/ua/issuers" "$WORK/ua/trusted" || fail "$f still in the station's trust"
done
[ ! -e "$WORK/pki/crl/root.gen1.crl" ] || fail "the station kept the old root's CRL"
mkcsr p256 srv3 "$WORK/dev/srv3.csr" "DNS:srv3.line3.plant.local"
request --profile tls-server "$WORK/dev/srv3.csr"
S_SRV3=$(sn srv3)
exp_and_accept
cat "$WORK/pki/crl"/*.crl >"$WORK/crls.pem"
r=$(ft "$(later)" openssl verify -x509_strict -crl_check -CAfile "$WORK/pki/trust.pem" \
  -CRLfile "$WORK/crls.pem" "$WORK/pki/certs/$S_SRV3.pem" 2>&1) || fail "srv3 after the overlap: $r"
ok "past the old root's notAfter: its final CRL, retired; exports and stations drop the old root, the cross-certificates and the old CA certificates (root.prev.pem removed); a new certificate verifies with the station's files"

expect 0 ca audit verify
out_has "audit trail intact"
ok "audit verify passes"
done_testing
