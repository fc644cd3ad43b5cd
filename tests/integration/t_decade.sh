#!/usr/bin/env bash
# A plant run for eleven years with faketime (issue 12 item 7, the part
# plantca can do today: renewal and the issuing CA rollover; it cannot roll
# the root yet).  Root 20 years, issuing CAs 10 (one per segment, line3 and
# line4), device certificates 3 years (tls-server and tls-client set to
# 1095 days).  Every year: renew what expires within 400 days, sign, new
# CRLs, export to both segments, accept at both stations; then in each
# segment the server and the client device complete a real TLS handshake
# with the station's current files (openssl s_server/s_client
# -verify_return_error -crl_check_all, both under the year's clock), the
# chain passes certtool --verify-chain, and a device revoked in year 1 is
# refused.  In year 7 line3's issuing CA is rolled (plantca ca roll): its
# devices run on, across the two key generations, past the old CA's tenth
# year, when the old generation retires; line4, not rolled, stops with its
# CA in year 10.  No file is edited by hand.  At the end audit verify
# passes and every certificate the stations were ever given is in the
# store.  Prints the year-by-year table.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need faketime "the years pass with faketime (scripts/setup installs it)"
# Under the sanitizer build, LeakSanitizer's exit-time scan under
# libfaketime aborts now and then ("The futex facility returned an
# unexpected error code"): runs under faketime leave leak checking out
# (the runs at the real clock at the end keep it)
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 faketime "$@"; }
need certtool "the chains are also checked with GnuTLS certtool (gnutls-bin)"

T0='2027-01-04 08:00:00'
when() { date -u -d "$T0 UTC + $1 days + ${2:-0} minutes" '+%Y-%m-%d %H:%M:%S'; }
ca() { ft "$NOW" "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
sta() { ft "$(date -u -d "$NOW UTC + 20 minutes" '+%Y-%m-%d %H:%M:%S')" "$STATION" "$@"; }
SEGS=(line3 line4)
NOW=$(when 0)

expect 0 ca init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" --subject "/O=Acme Plant/CN=Acme Root" --days 7300
sed -e 's/^days = 730$/days = 1095/' -e 's/^max-days = 825$/max-days = 1095/' \
  "$SRCDIR/policy/default.policy" >"$WORK/plant.policy"
expect 0 ca policy set "$WORK/plant.policy"
printf 'pw\n' >"$WORK/pass"; chmod 600 "$WORK/pass"
port=$((20000 + RANDOM % 20000))
for s in "${SEGS[@]}"; do
  expect 0 ca ca new "$s" --subject "/O=Acme Plant/CN=$s CA" --days 3650 --permit "dns:$s.plant.local"
  expect 0 sta init "$WORK/st-$s" --segment "$s" --ca-key "$CAHOME/public/transfer.pub" \
    --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
  expect 0 ca station add "$s" "$WORK/st-$s/station.pub" --ca "$s"
  mkdir -p "$WORK/dev-$s" "$WORK/usb-$s"
  mkcsr p256 srv "$WORK/dev-$s/srv.csr" "DNS:srv.$s.plant.local"
  mkcsr p256 cli "$WORK/dev-$s/cli.csr" "DNS:cli.$s.plant.local"
  mkcsr p256 bad "$WORK/dev-$s/bad.csr" "DNS:bad.$s.plant.local"
  expect 0 sta request "$WORK/st-$s" --passphrase-file "$WORK/pass" --profile tls-server \
    "$WORK/dev-$s/srv.csr" --profile tls-client "$WORK/dev-$s/cli.csr" "$WORK/dev-$s/bad.csr" \
    -o "$WORK/usb-$s"
  expect 0 ca import "$WORK/usb-$s/$s-request-000001.tar"
done
expect 0 ca sign

# the current certificate of device DEV of segment S, as the station was
# given it: the one of that subject that is valid and not superseded
current() {
  ca --json certs --segment "$1" | python3 -c '
import json, sys
c = [x for x in json.load(sys.stdin) if x["subject"].startswith("CN=" + sys.argv[1] + ",")
     and x["status"] == "valid" and "superseded_by" not in x]
assert len(c) == 1, c
print(c[0]["serial"])' "$2"
}

# one TLS handshake under the year's clock: server SRV of segment S, client
# CLI; prints "ok" or "refused"
handshake() {
  local s=$1 srv=$2 cli=$3 pki=$WORK/pki-$1 t
  t=$(date -u -d "$NOW UTC + 30 minutes" '+%Y-%m-%d %H:%M:%S')
  # trust anchors and the delivered CRLs in one CAfile (OpenSSL loads both)
  cat "$pki/trust.pem" "$pki"/crl/*.crl >"$WORK/crls-$s.pem"
  port=$((port + 1))
  ft "$t" openssl s_server -accept "127.0.0.1:$port" -naccept 1 -cert "$pki/certs/$srv.pem" \
    -key "$WORK/dev-$s/srv.csr.key" -cert_chain "$pki/chain.pem" -CAfile "$WORK/crls-$s.pem" \
    -Verify 2 -verify_return_error -crl_check_all -www \
    >"$WORK/srv.log" 2>&1 &
  local sp=$! i
  for i in $(seq 1 100); do
    ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && break
    sleep 0.1
  done
  local rc=0
  printf 'GET / HTTP/1.0\r\n\r\n' | ft "$t" openssl s_client -connect "127.0.0.1:$port" \
    -servername "srv.$s.plant.local" -verify_hostname "srv.$s.plant.local" \
    -cert "$pki/certs/$cli.pem" -key "$WORK/dev-$s/$4.csr.key" -CAfile "$WORK/crls-$s.pem" \
    -verify_return_error -crl_check_all -quiet >"$WORK/cli.log" 2>&1 || rc=$?
  wait "$sp" 2>/dev/null || true
  if [ "$rc" -eq 0 ] && grep -q 'HTTP/1.0 200' "$WORK/cli.log"; then echo ok; else echo refused; fi
}

# certtool --verify-chain wants the chain in order: the certificate, the
# CA generation that issued it (chain.pem holds every generation still in
# use), the root
chain_for() {
  local cert=$1 pki=$2 out=$3 aki f
  aki=$(openssl x509 -in "$cert" -noout -ext authorityKeyIdentifier | tail -1 | sed 's/keyid://' | tr -d ' :')
  rm -f "$WORK"/cas-*.pem
  awk -v d="$WORK" '/BEGIN CERT/{n++} {print > (d "/cas-" n ".pem")}' "$pki/chain.pem"
  cp "$cert" "$out"
  for f in "$WORK"/cas-*.pem; do
    [ "$(openssl x509 -in "$f" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :')" = "$aki" ] && cat "$f" >>"$out"
  done
  for f in "$WORK"/cas-*.pem; do
    openssl x509 -in "$f" -noout -text | grep -q 'Subject: .*Acme Root' && cat "$f" >>"$out"
  done
}

# line3's key generations as this year's table shows them
gens() {
  ca --json ca list | python3 -c '
import json, sys
c = [x for x in json.load(sys.stdin) if x["name"] == "line3"][0]
old = ", ".join("%d %s" % (g["generation"], "retired" if g["state"] == "retired" else "CRL only")
                for g in c["generations"])
print("%d%s" % (c["generation"], " (" + old + ")" if old else ""))'
}

printf '%-4s %-10s %-8s %-7s %-10s %-10s %-10s %-18s %s\n' YEAR DATE RENEWED ISSUED "line3 TLS" "line4 TLS" CERTTOOL "REVOKED DEVICE" "LINE3 CA GEN" >"$WORK/table"
total_issued=6
for year in $(seq 0 11); do
  NOW=$(when $((year * 365)))
  renewed=0
  # line4's CA is not rolled: it expires in year 10, and its segment with it
  if [ "$year" -ge 10 ]; then SEGS=(line3); fi
  if [ "$year" -eq 7 ]; then
    expect 0 ca ca roll line3 --days 3650
    out_has "issuing CA 'line3' generation 2"
  fi
  if [ "$year" -gt 0 ]; then
    expect 0 ca renew --expiring 400
    renewed=$(sed -n 's/^\([0-9]*\) renewal request(s) queued.*/\1/p' <<<"$OUT")
    expect 0 ca sign
  fi
  if [ "$year" -eq 1 ]; then
    for s in "${SEGS[@]}"; do expect 0 ca revoke "$(current "$s" bad)" --reason keyCompromise; done
  fi
  total_issued=$((total_issued + renewed))
  expect 0 ca crl
  for s in "${SEGS[@]}"; do
    rm -f "$WORK/usb-$s"/*
    expect 0 ca export "$s" "$WORK/usb-$s"
    expect 0 sta accept "$WORK/st-$s" "$WORK/usb-$s"/"$s"-response-*.tar --out "$WORK/pki-$s" --layout flat
  done
  res=()
  ct=ok
  for s in "${SEGS[@]}"; do
    srv=$(current "$s" srv); cli=$(current "$s" cli)
    [ -f "$WORK/pki-$s/certs/$srv.pem" ] && [ -f "$WORK/pki-$s/certs/$cli.pem" ] \
      || fail "year $year: the station of $s lacks the current certificates"
    r=$(handshake "$s" "$srv" "$cli" cli)
    [ "$r" = ok ] || fail "year $year $s: TLS handshake refused: $(cat "$WORK/cli.log" "$WORK/srv.log" | tail -5)"
    res+=("$r")
    for c in "$srv" "$cli"; do
      chain_for "$WORK/pki-$s/certs/$c.pem" "$WORK/pki-$s" "$WORK/chain-check.pem"
      ft "$(date -u -d "$NOW UTC + 30 minutes" '+%Y-%m-%d %H:%M:%S')" certtool --verify-chain \
        --infile "$WORK/chain-check.pem" >"$WORK/certtool.log" 2>&1 || ct=FAILED
      grep -q 'Chain verification output: Verified' "$WORK/certtool.log" || ct=FAILED
    done
    [ "$ct" = ok ] || fail "year $year $s: certtool --verify-chain: $(cat "$WORK/certtool.log")"
  done
  rev=-
  if [ "$year" -ge 1 ] && [ "$year" -le 2 ]; then
    # the revoked device (its certificate lasts into year 3) is refused
    s=line3
    bad=$(ca --json certs --segment "$s" | python3 -c 'import json,sys; print([x["serial"] for x in json.load(sys.stdin) if x["subject"].startswith("CN=bad,")][0])')
    rev=$(handshake "$s" "$(current "$s" srv)" "$bad" bad)
    [ "$rev" = refused ] || fail "year $year: the revoked device completed a handshake"
    grep -qi 'revoked' "$WORK/srv.log" || fail "year $year: refused, but not as revoked: $(cat "$WORK/srv.log")"
    rev="refused (revoked)"
  fi
  printf '%-4s %-10s %-8s %-7s %-10s %-10s %-10s %-18s %s\n' "$year" "${NOW%% *}" "$renewed" "$total_issued" \
    "${res[0]}" "${res[1]:-CA expired}" "$ct" "$rev" "$(gens)" >>"$WORK/table"
done
cat "$WORK/table"
ok "eleven years: every year the segments' devices handshake with the station's current files (s_server/s_client -verify_return_error -crl_check_all), certtool --verify-chain passes, the revoked device is refused"
# the roll in year 7 carried line3 past its first CA's end
grep -q '^7 .* 2 (1 CRL only)' "$WORK/table" || fail "year 7: line3 not rolled: $(cat "$WORK/table")"
# the old generation retires once the last certificate it issued has
# expired: renewals from year 7 on come from generation 2
retired=$(awk '/2 \(1 retired\)/ { print $1; exit }' "$WORK/table")
[ -n "$retired" ] && [ "$retired" -gt 7 ] && [ "$retired" -le 10 ] || fail "line3's first generation not retired between years 8 and 10: $(cat "$WORK/table")"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/pki-line3/trust.pem")" -eq 2 ] || fail "line3's station still trusts the retired generation"
ok "line3's CA rolled in year 7; its first generation retired in year $retired and left the station's trust; line3 ran on past its first CA's end (year 10) to year 11, line4 stopped with its CA"
SEGS=(line3 line4)

expect 0 ca audit verify
out_has "audit trail intact"
expect 0 ca --json certs
n_store=$(python3 -c 'import json,sys; print(len([c for c in json.load(sys.stdin) if c["kind"] == "leaf"]))' <<<"$OUT")
[ "$n_store" -eq "$total_issued" ] || fail "the store holds $n_store device certificates, $total_issued were issued"
for s in "${SEGS[@]}"; do
  for f in "$WORK/pki-$s"/certs/*.pem; do
    grep -q "\"$(basename "$f" .pem)\"" <<<"$OUT" || fail "$f is not in the store"
  done
done
ok "audit verify passes; all $total_issued device certificates are in the store, every one a station holds among them"
expect 0 "$PLANTCA" --home "$CAHOME" status
expect 0 "$PLANTCA" --home "$CAHOME" --json renew --expiring 36500
ok "status and renew over the eleven years' store at the real clock"
done_testing
