#!/usr/bin/env bash
# plantca-station's side of the bundle limits (issue 9 item 8): a response
# bundle living longer than TR_LIFETIME_MAX_DAYS, or whose sequence jumps
# more than TR_SEQ_STEP_MAX past the last accepted one (2^64-1 would lock
# the station out for ever), is refused and changes nothing; `request
# --expires` stays within the lifetime the CA accepts.  Response bundles are
# built by mkbundle.py (ustar + minisign -S with a stand-in CA transfer key),
# not by the library's writer, which would refuse to write them.
#
# Environment: STATION (plantca-station), SRCDIR.
. "$(dirname "$0")/lib.sh" --no-token
: "${STATION:?}"
cd "$WORK"
LIFETIME_MAX_DAYS=366       # TR_LIFETIME_MAX_DAYS
SEQ_STEP_MAX=1000000        # TR_SEQ_STEP_MAX

printf 'correct horse battery staple\n' >pass
chmod 600 pass
minisign -G -W -p catr.pub -s catr.key >/dev/null
# a test PKI: root -> line3 issuing CA; a response carrying chain.pem alone is
# a good one (the station checks it against its root)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout root.key \
  -subj "/O=Acme Plant/CN=Test Root" -days 3650 -out root.pem 2>/dev/null \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout line3.key \
  -subj "/O=Acme Plant/CN=Line 3 CA" -out line3.csr 2>/dev/null
printf '[ca]\nbasicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = critical, keyCertSign, cRLSign\n%s\n' \
  'subjectKeyIdentifier = hash' >ext.cnf
openssl x509 -req -in line3.csr -CA root.pem -CAkey root.key -set_serial 0x1234 -days 1825 \
  -extfile ext.cnf -extensions ca -out line3.pem 2>/dev/null
cat line3.pem root.pem >chain.pem
expect 0 st init S --segment line3 --ca-key catr.pub --trust root.pem --passphrase-file pass

# ---------------------------------------------------------------- request --expires
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dev.key \
  -subj "/O=Acme Plant/CN=dev" -out dev.csr 2>/dev/null
mkdir usb
expect 2 st request S --passphrase-file pass --expires $((LIFETIME_MAX_DAYS + 1)) --profile tls-client dev.csr -o usb
err_has "--expires '$((LIFETIME_MAX_DAYS + 1))': expected 1..$LIFETIME_MAX_DAYS days"
[ -z "$(ls usb)" ] || fail "a refused request wrote a bundle"
expect 0 st request S --passphrase-file pass --expires $LIFETIME_MAX_DAYS --profile tls-client dev.csr -o usb
mkdir x && tar -xf usb/*.tar -C x BUNDLE
c=$(date -u -d "$(sed -n 's/^created: //p' x/BUNDLE)" +%s); x=$(date -u -d "$(sed -n 's/^expires: //p' x/BUNDLE)" +%s)
[ $((x - c)) -eq $((LIFETIME_MAX_DAYS * 86400)) ] || fail "request bundle lives $((x - c)) s"
ok "request --expires: $((LIFETIME_MAX_DAYS + 1)) days refused, $LIFETIME_MAX_DAYS days written"

# ---------------------------------------------------------------- accept
resp() { python3 "$SRCDIR/tests/integration/mkbundle.py" --key catr.key --pub catr.pub \
  --segment line3 --kind response -o usb "$@" chain.pem=chain.pem; }
conf=$(sha256sum S/station.conf)
check_refused() {   # BUNDLE FRAGMENT...
  local b=$1; shift
  expect 1 st accept S "$b" --out pki
  err_has "$(basename "$b")" "$@"
  [ "$(snap pki)" = absent ] || fail "$b: a refused bundle wrote files"
  [ "$(sha256sum S/station.conf)" = "$conf" ] || fail "$b: station.conf changed"
}
check_refused "$(resp --sequence 1 --name century --lifetime $((100 * 365 * 86400)))" \
  "lives 36500 days" "a bundle may live at most $LIFETIME_MAX_DAYS days"
check_refused "$(resp --sequence 1 --name oversize --lifetime $((LIFETIME_MAX_DAYS * 86400 + 1)))" \
  "a bundle may live at most $LIFETIME_MAX_DAYS days"
ok "a response bundle living 100 years, or $LIFETIME_MAX_DAYS days + 1 s, is refused; nothing written"
check_refused "$(resp --sequence 18446744073709551615)" \
  "sequence 18446744073709551615 jumps more than $SEQ_STEP_MAX past 0"
check_refused "$(resp --sequence $((SEQ_STEP_MAX + 1)))" "jumps more than $SEQ_STEP_MAX past 0"
ok "response sequences 2^64-1 and $SEQ_STEP_MAX + 1 (first accept) refused; station.conf unchanged"
expect 0 st accept S "$(resp --sequence $SEQ_STEP_MAX --lifetime $((LIFETIME_MAX_DAYS * 86400)))" --out pki
cmp -s pki/chain.pem chain.pem || fail "chain.pem not written"
expect 0 st accept S "$(resp --sequence $((SEQ_STEP_MAX + 1)))" --out pki
ok "at the bounds ($SEQ_STEP_MAX past 0, living $LIFETIME_MAX_DAYS days) a response is accepted, and the next one after it"
done_testing
