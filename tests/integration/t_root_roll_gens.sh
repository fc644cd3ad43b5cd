#!/usr/bin/env bash
# plantca root roll after a ca roll (issue 12 items 2 and 3): the key
# generation the ca roll replaced still signs the CRL of the certificates
# it issued, so the root roll re-certifies it under the new root like the
# current one (same key, subject, SKI, name constraints and notAfter),
# exports deliver that certificate, and ca list shows it.  A relying party
# that trusts only the new root and holds only what the new root certified
# (no old root, no OldWithNew) validates a device of the replaced
# generation with openssl verify -x509_strict -crl_check and GnuTLS; a
# revoked one is refused.  Past the old root's end nothing of that
# generation is valid any more (its certificates never outlive the root
# that certified it): the station drops the old root and OldWithNew, and
# what the replaced generation issued has expired with it.  On the way,
# crl --ca line3 --clock-override (after CRLs signed with the clock ahead)
# signs the replaced generation's CRL too.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need faketime "the roll happens months after init (scripts/setup installs it)"
need certtool "the chain is checked with GnuTLS too (scripts/setup installs gnutls-bin)"
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 faketime "$@"; }

T0='2027-03-01 09:00:00'
d() { date -u -d "$T0 UTC + $1 days" '+%Y-%m-%d %H:%M:%S'; }
NOW=$T0
ca() { ft "$NOW" "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
sta() { ft "$(date -u -d "$NOW UTC + 10 minutes" '+%Y-%m-%d %H:%M:%S')" "$STATION" "$@"; }
later() { date -u -d "$NOW UTC + 20 minutes" '+%Y-%m-%d %H:%M:%S'; }
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :'; }
aki() { openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -1 | sed 's/keyid://' | tr -d ' :'; }
enddate() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }
sn() { ca --json certs | python3 -c '
import json, sys
print([c["serial"] for c in json.load(sys.stdin) if c["subject"].startswith("CN=" + sys.argv[1] + ",")][0])' "$1"; }
# split a PEM file into DIR/N.pem, one certificate each
split_pem() { mkdir -p "$2"; awk -v d="$2" '/BEGIN CERT/{n++} n{print > (d "/" n ".pem")}' "$1"; }

# a root of three years, line3 of 1000 days under it
expect 0 ca init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" \
  --subject "/C=DE/O=Acme Plant/CN=Acme Plant Root CA" --days 1095
expect 0 ca ca new line3 --subject "/C=DE/O=Acme Plant/OU=Line 3/CN=Line 3 Issuing CA" \
  --permit dns:line3.plant.local --days 1000
cp "$CAHOME/public/root.pem" "$WORK/old-root.pem"
ca ca cert line3 >"$WORK/gen1-old.pem"
G1=$(ski "$WORK/gen1-old.pem")
printf 'pw\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
expect 0 sta init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 ca station add line3 "$WORK/st/station.pub" --ca line3
mkdir -p "$WORK/dev" "$WORK/usb"
for n in srv1 rev1 srv2 srv3; do
  mkcsr p256 "$n" "$WORK/dev/$n.csr" "DNS:$n.line3.plant.local"
done
exp_and_accept() {
  rm -rf "$WORK/usb"; mkdir "$WORK/usb"
  expect 0 ca export line3 "$WORK/usb"
  expect 0 sta accept "$WORK/st" "$WORK"/usb/line3-response-*.tar --out "$WORK/pki" --layout flat
}
request() {
  rm -rf "$WORK/usb"; mkdir "$WORK/usb"
  expect 0 sta request "$WORK/st" --passphrase-file "$WORK/pass" "$@" -o "$WORK/usb"
  expect 0 ca import "$WORK"/usb/line3-request-*.tar
  expect 0 ca sign
}

# generation 1 issues srv1 and rev1; ca roll; generation 2 issues srv2
NOW=$(d 10)
request --profile tls-server "$WORK/dev/srv1.csr" "$WORK/dev/rev1.csr"
S_SRV1=$(sn srv1); S_REV1=$(sn rev1)
NOW=$(d 100)
expect 0 ca ca roll line3
ca ca cert line3 >"$WORK/gen2-old.pem"
NOW=$(d 110)
request --profile tls-server "$WORK/dev/srv2.csr"
S_SRV2=$(sn srv2)
expect 0 ca revoke "$S_REV1" --reason keyCompromise
expect 0 ca crl
# CRLs signed with the clock 40 days ahead: with the clock right again,
# crl --ca line3 is refused, and --clock-override signs both generations
NOW=$(d 150)
expect 0 ca crl --ca line3 -o "$WORK/ahead.crl"
out_has "CA 'line3' generation 1"
NOW=$(d 110)
expect 1 ca crl --ca line3 -o "$WORK/now.crl"
err_has "earlier than the last CRL's thisUpdate"
expect 0 ca crl --ca line3 --clock-override --reason "clock was 40 days ahead" -o "$WORK/now.crl"
out_has "CRL" "of CA 'line3' generation 1"
err_has "CA 'line3': clock override" "CA 'line3~1': clock override"
for f in "$WORK/now.crl" "$CAHOME/crl/line3~1.crl"; do
  [ "$(date -u -d "$(openssl crl -in "$f" -noout -lastupdate | cut -d= -f2)" +%F)" = "$(date -u -d "$NOW" +%F)" ] \
    || fail "$f: lastUpdate $(openssl crl -in "$f" -noout -lastupdate) after the override"
done
expect 0 ca audit log
[ "$(grep -c 'crl.clock-override' <<<"$OUT")" -eq 2 ] || fail "audit: $(grep 'clock-override' <<<"$OUT")"
ok "after CRLs signed with the clock ahead, crl --ca line3 --clock-override signs generation 1's CRL too, dated now, both overrides audited"
exp_and_accept
cp "$WORK/pki/certs/$S_SRV1.pem" "$WORK/srv1.pem"
ca show "$S_REV1" --pem >"$WORK/rev1.pem"
[ "$(aki "$WORK/srv1.pem")" = "$G1" ] || fail "srv1 is not from generation 1"
ok "generation 1 issued srv1 and rev1 (revoked), ca roll, generation 2 issued srv2"

# the root roll, on day 400: both generations of line3 re-certified
NOW=$(d 400)
expect 0 ca root roll --days 3650
out_has "issuing CA 'line3' re-certified under the new root (same key)" \
  "issuing CA 'line3' generation 1 re-certified under the new root (same key; it signs only its CRL, until $(date -u -d "$(openssl x509 -in "$WORK/srv1.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%d))"
cp "$CAHOME/public/root.pem" "$WORK/new-root.pem"
NEWK=$(ski "$WORK/new-root.pem")
expect 0 ca audit log
[ "$(grep -c 'root.recert' <<<"$OUT")" -eq 2 ] || fail "audit: $(grep 'root.recert' <<<"$OUT")"
expect 0 ca ca list
out_has "generation 1 (signs only its CRL" \
  "re-certified under the current root (same key); its certificate from the previous root runs until"
expect 0 ca --json ca list
python3 - "$OUT" <<'PY' || fail "ca list --json: $OUT"
import json, sys
l = {c["name"]: c for c in json.loads(sys.argv[1])}
c = l["line3"]
assert c["generation"] == 2 and c["previous_root_cert"]["sha256"], c
g = c["generations"][0]
assert g["generation"] == 1 and g["state"] == "crl-only" and g["previous_root_cert"]["not_after"], g
assert l["root"]["previous_root_cert"] is None, l["root"]
PY
# run again: complete, nothing changes
before=$(store_dump)
expect 0 ca root roll
out_has "is complete: nothing to do"
[ "$(store_dump)" = "$before" ] || fail "a second root roll changed the store"
ok "root roll re-certifies the current generation of line3 and the replaced generation 1 (audited twice); ca list (text and --json) shows both re-certifications; run again it changes nothing"

expect 0 ca crl
exp_and_accept
# the station's CA certificates: which one is generation 1 under the new root
split_pem "$WORK/pki/trust.pem" "$WORK/trust"
G1NEW=
for f in "$WORK"/trust/*.pem; do
  if [ "$(ski "$f")" = "$G1" ] && [ "$(aki "$f")" = "$NEWK" ]; then G1NEW=$f; fi
done
[ -n "$G1NEW" ] || fail "the station's trust.pem has no certificate of generation 1 from the new root"
openssl x509 -in "$G1NEW" -noout -subject -nameopt RFC2253 >"$WORK/s1"
openssl x509 -in "$WORK/gen1-old.pem" -noout -subject -nameopt RFC2253 >"$WORK/s0"
cmp -s "$WORK/s0" "$WORK/s1" || fail "generation 1 re-certified with another subject"
[ "$(enddate "$G1NEW")" = "$(enddate "$WORK/gen1-old.pem")" ] || fail "re-certification changed generation 1's notAfter"
openssl x509 -in "$G1NEW" -noout -text | grep -q 'DNS:line3.plant.local' || fail "generation 1 re-certified without its name constraints"
grep -q "$(sed -n 2p "$WORK/gen1-old.pem")" "$WORK/pki/trust.pem" || fail "the station dropped generation 1's certificate from the old root inside the overlap"
ok "the export delivers generation 1's certificate from the new root (same subject, SKI, notAfter, name constraints) beside the one from the old root"

# a relying party that trusts only the new root and holds only what the
# new root certified: the station's CA certificates whose issuer key is
# the new root's, and the station's CRLs
: >"$WORK/newonly.pem"
for f in "$WORK"/trust/*.pem; do
  if [ "$(aki "$f")" = "$NEWK" ] && [ "$(ski "$f")" != "$NEWK" ]; then cat "$f" >>"$WORK/newonly.pem"; fi
done
cat "$WORK/pki/crl"/*.crl >"$WORK/crls.pem"
vfy() { ft "$(later)" openssl verify -x509_strict -crl_check -CAfile "$WORK/new-root.pem" \
  -untrusted "$WORK/newonly.pem" -CRLfile "$WORK/crls.pem" "$@" 2>&1; }
r=$(vfy "$WORK/srv1.pem") || fail "a generation-1 device under the new root only: $r"
r=$(vfy "$WORK/pki/certs/$S_SRV2.pem") || fail "a generation-2 device under the new root only: $r"
r=$(vfy "$WORK/rev1.pem") && fail "revoked rev1 verifies: $r"
grep -q 'certificate revoked' <<<"$r" || fail "rev1 refused otherwise: $r"
r=$(ft "$(later)" openssl verify -x509_strict -crl_check_all -CAfile "$WORK/new-root.pem" \
  -untrusted "$WORK/newonly.pem" -CRLfile "$WORK/crls.pem" "$WORK/srv1.pem" 2>&1) \
  || fail "srv1 with -crl_check_all under the new root: $r"
cat "$WORK/srv1.pem" "$G1NEW" >"$WORK/srv1-chain.pem"
r=$(ft "$(later)" certtool --verify --load-ca-certificate "$WORK/new-root.pem" \
  --infile "$WORK/srv1-chain.pem" 2>&1) || fail "certtool: srv1 under the new root: $r"
ok "trusting only the new root, with only the certificates it signed: srv1 of generation 1 (and srv2) pass openssl verify -x509_strict -crl_check (and -crl_check_all) and certtool; revoked rev1 is refused as revoked"

# past the old root's end: generation 1's certificates (and generation
# 2's, whose certificate the old root also capped) ended no later than
# the old root, so nothing of them is left to validate; a third
# generation, rolled under the new root before that, carries line3 on;
# the station drops the old root and the cross-certificates
[ "$(enddate "$WORK/srv1.pem")" -le "$(enddate "$WORK/gen1-old.pem")" ] && \
  [ "$(enddate "$WORK/gen1-old.pem")" -le "$(enddate "$WORK/old-root.pem")" ] \
  || fail "a generation-1 certificate outlives the root that certified its CA"
NOW=$(d 900)
expect 0 ca ca roll line3 --days 2000
request --profile tls-server "$WORK/dev/srv3.csr"
S_SRV3=$(sn srv3)
NOW=$(date -u -d "@$(( $(enddate "$WORK/old-root.pem") + 86400 ))" '+%Y-%m-%d %H:%M:%S')
expect 0 ca crl
out_has "CA 'line3' generation 1" "CA 'line3' generation 2" "the generation is retired"
exp_and_accept
grep -q "$(sed -n 2p "$WORK/old-root.pem")" "$WORK/pki/trust.pem" && fail "the station kept the old root past its end"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem")" -eq 2 ] || fail "trust.pem past the old root's end: $(grep -c 'BEGIN CERTIFICATE' "$WORK/pki/trust.pem") certificates"
cat "$WORK/pki/crl"/*.crl >"$WORK/crls.pem"
r=$(ft "$(later)" openssl verify -x509_strict -crl_check -CAfile "$WORK/new-root.pem" -untrusted "$WORK/pki/trust.pem" \
  -CRLfile "$WORK/crls.pem" "$WORK/pki/certs/$S_SRV3.pem" 2>&1) || fail "after the old root's end, srv3: $r"
r=$(ft "$(later)" openssl verify -x509_strict -CAfile "$WORK/new-root.pem" -untrusted "$WORK/newonly.pem" "$WORK/srv1.pem" 2>&1) \
  && fail "srv1 verifies past the old root's end: $r"
grep -q 'certificate has expired' <<<"$r" || fail "srv1 past the old root's end: $r"
expect 0 ca ca list
out_has "generation 1 (retired" "generation 2 (retired"
ok "past the old root's end: generations 1 and 2 retired with their last certificates (never later than the old root); the station holds no old root; srv3 of generation 3 verifies under the new root (-x509_strict -crl_check)"

expect 0 ca audit verify
out_has "audit trail intact"
ok "audit verify passes"
done_testing
