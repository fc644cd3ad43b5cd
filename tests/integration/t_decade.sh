#!/usr/bin/env bash
# A plant run for thirty years with faketime (issue 12 item 7).  Root 20
# years, issuing CAs 10 (one per segment, line3 and line4), device
# certificates 3 years (tls-server and tls-client set to 1095 days).  Years
# 0 to 30, one step a year; every year, in this order: the year's rollovers
# (the schedule below), revocations, new devices, `plantca renew --expiring
# 400`, sign, new CRLs (`plantca crl`, every CA), export to both segments,
# accept at both stations.  Then in each segment the server and the client
# device complete a real TLS handshake with the station's current files
# (openssl s_server/s_client -verify_return_error -crl_check_all, under the
# year's clock), both chains pass certtool --verify-chain (the path built
# from the station's files by decade.py chain), and every revoked device
# whose certificate has not expired yet is refused as revoked.
#
# The schedule (printed in the table):
#   ca roll line3    years 7, 15 (the first generation under the new root), 22
#   ca roll line4    years 4, 11, 18, 25 (staggered; the year-11 generation
#                    is cut to the old root's end, year 20)
#   root roll        year 15; the old root expires in year 20, after which
#                    the stations hold only the new one
#   transfer roll    year 12: the export announces the key, both stations
#                    confirm in a request, the next export switches them
#   station rekey    year 22, line4's station; the export confirms it
#   revocations      line3/line4 bad (enrolled 0, revoked 1), line4 rv9
#                    (8, 9), line3 rv16 (14, 16: from the generation the
#                    year-15 roll replaced), line3 rv21 (19, 21), line4
#                    rv24 (23, 24: refused in year 25 through the CRL of
#                    the generation rolled that year), line3 rv28 (27, 28)
# Both segments stay alive all thirty years.  No file is edited by hand.
# At the end audit verify passes and every certificate issued (counted as
# the years go: device certificates, and the CA certificates the root
# signed) is in the store, every one a station holds among them.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need faketime "the years pass with faketime (scripts/setup installs it)"
# Under the sanitizer build, LeakSanitizer's exit-time scan under
# libfaketime aborts now and then ("The futex facility returned an
# unexpected error code"): runs under faketime leave leak checking out
# (the runs at the real clock at the end keep it)
ft() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 faketime "$@"; }
need certtool "the chains are also checked with GnuTLS certtool (gnutls-bin)"
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography not installed: decade.py reads the store and builds the chains for certtool (scripts/setup installs it)" >&2; exit 77; }

YEARS=30
ROLL_line3=" 7 15 22 "
ROLL_line4=" 4 11 18 25 "
ROOT_ROLL=15
TRANSFER_ROLL=12
REKEY_YEAR=22 REKEY_SEG=line4
# segment, device, year enrolled, year revoked (keyCompromise)
REVOKE=("line3 bad 0 1" "line4 bad 0 1" "line4 rv9 8 9" "line3 rv16 14 16" "line3 rv21 19 21"
  "line4 rv24 23 24" "line3 rv28 27 28")

# year 0 at T0 (init), every later yearly round an hour into the day: the
# old root, made at T0, has expired by the round of year 20
T0='2027-01-04 08:00:00'
when() { date -u -d "$T0 UTC + $(($1 * 365)) days + $(($1 > 0 ? 60 : 0)) minutes" '+%Y-%m-%d %H:%M:%S'; }
plus() { date -u -d "$NOW UTC + $1 minutes" '+%Y-%m-%d %H:%M:%S'; }
ca() { ft "$NOW" "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "$@"; }
sta() { ft "$(plus 20)" "$STATION" "$@"; }
SEGS=(line3 line4)
NOW=$(when 0)
# key id of a minisign public key file, as plantca prints it
keyid() { python3 -c 'import base64,sys
k=base64.b64decode(open(sys.argv[1]).read().splitlines()[1])
print("%016X" % int.from_bytes(k[2:10], "little"))' "$1"; }
fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

expect 0 ca init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" --subject "/O=Acme Plant/CN=Acme Root" --days 7300
cp "$CAHOME/public/root.pem" "$WORK/root-gen1.pem"
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
done
TRANSFER0=$(keyid "$CAHOME/public/transfer.pub")
STATION0=$(keyid "$WORK/st-$REKEY_SEG/station.pub")

# enroll S DEV...: the station of S sends CSRs (the first one a tls-server,
# srv, the rest tls-client), the CA imports them
enroll() {
  local s=$1 d args=(); shift
  for d in "$@"; do
    [ -f "$WORK/dev-$s/$d.csr" ] || mkcsr p256 "$d" "$WORK/dev-$s/$d.csr" "DNS:$d.$s.plant.local"
    if [ "$d" = srv ]; then args+=(--profile tls-server); else args+=(--profile tls-client); fi
    args+=("$WORK/dev-$s/$d.csr")
  done
  rm -f "$WORK/usb-$s"/*
  expect 0 sta request "$WORK/st-$s" --passphrase-file "$WORK/pass" "${args[@]}" -o "$WORK/usb-$s"
  expect 0 ca import "$WORK/usb-$s"/"$s"-request-*.tar
}
for s in "${SEGS[@]}"; do enroll "$s" srv cli bad; done
expect 0 ca sign

# the year's facts from the store (decade.py facts): CUR[SEG/DEV] the
# current certificate of each device, REV[SEG/DEV] a revoked one that has
# not expired by the handshakes, GEN[CA] the key generations
declare -A CUR REV GEN
facts() {
  ca --json certs >"$WORK/certs.json"
  ca --json ca list >"$WORK/calist.json"
  CUR=() REV=() GEN=()
  python3 "$SRCDIR/tests/integration/decade.py" facts "$WORK/certs.json" "$WORK/calist.json" "$(plus 30)" \
    >"$WORK/facts" || fail "year $year: $(cat "$WORK/facts")"
  . "$WORK/facts"
}

# one TLS handshake under the year's clock in segment S: server SRV (the
# certificate in the station's PKI dir), client certificate file CLIPEM
# with the key of device KEYDEV; prints "ok" or "refused"
handshake() {
  local s=$1 srv=$2 clipem=$3 keydev=$4 pki=$WORK/pki-$1 t
  t=$(plus 30)
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
    sleep 0.05
  done
  local rc=0
  printf 'GET / HTTP/1.0\r\n\r\n' | ft "$t" openssl s_client -connect "127.0.0.1:$port" \
    -servername "srv.$s.plant.local" -verify_hostname "srv.$s.plant.local" \
    -cert "$clipem" -key "$WORK/dev-$s/$keydev.csr.key" -CAfile "$WORK/crls-$s.pem" \
    -verify_return_error -crl_check_all -quiet >"$WORK/cli.log" 2>&1 || rc=$?
  kill "$sp" 2>/dev/null || true
  wait "$sp" 2>/dev/null || true
  if [ "$rc" -eq 0 ] && grep -q 'HTTP/1.0 200' "$WORK/cli.log"; then echo ok; else echo refused; fi
}

printf '%-4s %-10s %-3s %-4s %-8s %-8s %-8s %-20s %-12s %-15s %-7s %s\n' YEAR DATE REN ISS "line3" "line4" CERTTOOL \
  "REVOKED REFUSED" "LINE3 GEN" "LINE4 GEN" ROOT EVENTS >"$WORK/table"
total_issued=6
ca_issued=${#SEGS[@]}
n_refused=0
declare -A refused_years
for year in $(seq 0 "$YEARS"); do
  NOW=$(when "$year")
  renewed=0 enrolled=0 ev=()
  if [ "$year" -eq "$ROOT_ROLL" ]; then
    expect 0 ca root roll
    out_has "root generation 2" "NewWithOld" "OldWithNew"
    # the two cross-certificates and each current issuing CA re-certified
    n=$(grep -c "re-certified under the new root" <<<"$OUT" || true)
    [ "$n" -eq "${#SEGS[@]}" ] || fail "root roll re-certified $n issuing CAs: $OUT"
    ca_issued=$((ca_issued + 2 + n))
    ev+=("root roll")
  fi
  for s in "${SEGS[@]}"; do
    v=ROLL_$s
    if [[ "${!v}" == *" $year "* ]]; then
      expect 0 ca ca roll "$s" --days 3650
      ca_issued=$((ca_issued + 1))
      g=$(sed -n "s/.*issuing CA '$s' generation \([0-9]*\).*/\1/p" <<<"$OUT" | head -1)
      [ -n "$g" ] || fail "year $year: ca roll $s: $OUT"
      ev+=("$s roll g$g")
    fi
  done
  if [ "$year" -eq "$TRANSFER_ROLL" ]; then
    expect 0 ca transfer roll
    TRANSFER1=$(keyid "$CAHOME/public/transfer.pub")
    [ "$TRANSFER1" != "$TRANSFER0" ] || fail "transfer roll kept the key"
    ev+=("transfer roll $TRANSFER0>$TRANSFER1")
  fi
  if [ "$year" -eq "$REKEY_YEAR" ]; then
    rm -f "$WORK/usb-$REKEY_SEG"/*
    expect 0 sta rekey "$WORK/st-$REKEY_SEG" --passphrase-file "$WORK/pass" -o "$WORK/usb-$REKEY_SEG"
    STATION1=$(keyid "$WORK/st-$REKEY_SEG/station.next.pub")
    expect 0 ca import "$WORK/usb-$REKEY_SEG"/"$REKEY_SEG"-request-*.tar
    ev+=("rekey $REKEY_SEG $STATION0>$STATION1")
  fi
  # revocations first: a revoked certificate is not renewed
  for r in "${REVOKE[@]}"; do [ "${r##* }" -ne "$year" ] || { facts; break; }; done
  for r in "${REVOKE[@]}"; do
    read -r s d ye yr <<<"$r"
    [ "$yr" -eq "$year" ] || continue
    expect 0 ca revoke "${CUR[$s/$d]:?year $year: $s/$d has no current certificate}" --reason keyCompromise
    ev+=("revoke $s/$d")
  done
  for r in "${REVOKE[@]}"; do
    read -r s d ye yr <<<"$r"
    [ "$ye" -eq "$year" ] && [ "$year" -gt 0 ] || continue
    enroll "$s" "$d"
    enrolled=$((enrolled + 1))
    ev+=("enroll $s/$d")
  done
  if [ "$year" -gt 0 ]; then
    expect 0 ca renew --expiring 400
    renewed=$(sed -n 's/^\([0-9]*\) renewal request(s) queued.*/\1/p' <<<"$OUT")
    [ -n "$renewed" ] || renewed=0
    expect 0 ca sign
  fi
  total_issued=$((total_issued + renewed + enrolled))
  expect 0 ca crl
  for s in "${SEGS[@]}"; do
    rm -f "$WORK/usb-$s"/*
    expect 0 ca export "$s" "$WORK/usb-$s"
    expect 0 sta accept "$WORK/st-$s" "$WORK/usb-$s"/"$s"-response-*.tar --out "$WORK/pki-$s" --layout flat
    if [ "$year" -eq "$ROOT_ROLL" ]; then
      out_has "accepted: cross-certified by the trusted root (NewWithOld)"
    fi
    if [ "$year" -eq "$TRANSFER_ROLL" ]; then out_has "CA transfer key $TRANSFER1 announced and kept"; fi
    if [ "$year" -eq "$REKEY_YEAR" ] && [ "$s" = "$REKEY_SEG" ]; then
      out_has "station key change confirmed by the CA"
      [ "$(keyid "$WORK/st-$s/station.pub")" = "$STATION1" ] || fail "year $year: $s's station key is not $STATION1"
      ev+=("rekey confirmed")
    fi
  done
  if [ "$year" -eq "$TRANSFER_ROLL" ]; then
    # a response still signed by the old key, kept aside
    mkdir "$WORK/old-key"
    expect 0 ca export line3 "$WORK/old-key"
    # each station says it holds the new key; the next export, signed by
    # it, switches them
    for s in "${SEGS[@]}"; do
      rm -f "$WORK/usb-$s"/*
      expect 0 sta request "$WORK/st-$s" --passphrase-file "$WORK/pass" -o "$WORK/usb-$s"
      out_has "tells the CA this station holds its new transfer key $TRANSFER1"
      expect 0 ca import "$WORK/usb-$s"/"$s"-request-*.tar
      rm -f "$WORK/usb-$s"/*
      expect 0 ca export "$s" "$WORK/usb-$s"
      expect 0 sta accept "$WORK/st-$s" "$WORK/usb-$s"/"$s"-response-*.tar --out "$WORK/pki-$s" --layout flat
      out_has "CA transfer key is now $TRANSFER1"
      [ "$(keyid "$WORK/st-$s/ca-transfer.pub")" = "$TRANSFER1" ] || fail "$s's station does not hold $TRANSFER1"
    done
    expect 1 sta accept "$WORK/st-line3" "$WORK"/old-key/line3-response-*.tar --out "$WORK/pki-line3" --layout flat
    err_has "signed by CA transfer key $TRANSFER0, which this station replaced by $TRANSFER1"
    ev+=("both stations switched")
  fi
  # the stations' roots: the new one from the roll on, the old one kept
  # until it expires
  for s in "${SEGS[@]}"; do
    if [ "$year" -lt "$ROOT_ROLL" ]; then
      cmp -s "$WORK/st-$s/root.pem" "$WORK/root-gen1.pem" || fail "year $year: $s's root changed"
    elif [ "$year" -lt 20 ]; then
      cmp -s "$WORK/st-$s/root.pem" "$CAHOME/public/root.pem" || fail "year $year: $s's station lacks the new root"
      cmp -s "$WORK/st-$s/root.prev.pem" "$WORK/root-gen1.pem" || fail "year $year: $s's station dropped the old root early"
    else
      [ ! -e "$WORK/st-$s/root.prev.pem" ] || fail "year $year: $s's station keeps the expired old root"
      ! grep -q "$(sed -n 2p "$WORK/root-gen1.pem")" "$WORK/pki-$s/trust.pem" "$WORK/pki-$s/chain.pem" \
        || fail "year $year: $s's trust.pem or chain.pem still holds the old root"
    fi
  done

  facts
  res=()
  ct=ok
  chain_args=()
  for s in "${SEGS[@]}"; do
    srv=${CUR[$s/srv]:?year $year: $s/srv has no current certificate}
    cli=${CUR[$s/cli]:?year $year: $s/cli has no current certificate}
    [ -f "$WORK/pki-$s/certs/$srv.pem" ] && [ -f "$WORK/pki-$s/certs/$cli.pem" ] \
      || fail "year $year: the station of $s lacks the current certificates"
    r=$(handshake "$s" "$srv" "$WORK/pki-$s/certs/$cli.pem" cli)
    [ "$r" = ok ] || fail "year $year $s: TLS handshake refused: $(cat "$WORK/cli.log" "$WORK/srv.log" | tail -5)"
    res+=("$r")
    cat "$WORK/pki-$s/chain.pem" "$WORK/pki-$s/trust.pem" >"$WORK/pool-$s.pem"
    chain_args+=(-- "$WORK/st-$s/root.pem" "$WORK/pool-$s.pem" "$WORK/pki-$s/certs/$srv.pem" "$WORK/cc-$s-srv.pem"
      "$WORK/pki-$s/certs/$cli.pem" "$WORK/cc-$s-cli.pem")
  done
  python3 "$SRCDIR/tests/integration/decade.py" chain "$(plus 30)" "${chain_args[@]:1}" >"$WORK/paths" \
    || fail "year $year: $(cat "$WORK/paths")"
  for s in "${SEGS[@]}"; do
    for c in srv cli; do
      ft "$(plus 30)" certtool --verify-chain --infile "$WORK/cc-$s-$c.pem" >"$WORK/certtool.log" 2>&1 || ct=FAILED
      grep -q 'Chain verification output: Verified' "$WORK/certtool.log" || ct=FAILED
      [ "$ct" = ok ] || fail "year $year $s $c: certtool --verify-chain: $(cat "$WORK/paths" "$WORK/certtool.log")"
      # after the overlap only the new root carries the devices
      if [ "$year" -ge 20 ]; then
        awk '/BEGIN CERT/{b=""} {b=b $0 "\n"} END{printf "%s", b}' "$WORK/cc-$s-$c.pem" >"$WORK/cc-top.pem"
        [ "$(fpr "$WORK/cc-top.pem")" = "$(fpr "$CAHOME/public/root.pem")" ] \
          || fail "year $year $s $c: the chain does not end at the new root: $(cat "$WORK/paths")"
      fi
    done
  done
  rv=()
  for r in "${REVOKE[@]}"; do
    read -r s d ye yr <<<"$r"
    # only while its certificate would still be valid
    [ "$yr" -le "$year" ] && [ -n "${REV[$s/$d]:-}" ] || continue
    ca show "${REV[$s/$d]}" --pem >"$WORK/revoked.pem"
    h=$(handshake "$s" "${CUR[$s/srv]}" "$WORK/revoked.pem" "$d")
    [ "$h" = refused ] || fail "year $year: revoked $s/$d completed a handshake"
    grep -qi 'certificate revoked' "$WORK/srv.log" || fail "year $year: $s/$d refused, but not as revoked: $(cat "$WORK/srv.log")"
    rv+=("$s/$d")
    n_refused=$((n_refused + 1))
    refused_years[$s/$d]+=" $year"
  done
  rvs=$(IFS=,; echo "${rv[*]:--}")
  evs=$(IFS=';'; echo "${ev[*]:--}")
  printf '%-4s %-10s %-3s %-4s %-8s %-8s %-8s %-20s %-12s %-15s %-7s %s\n' "$year" "${NOW%% *}" "$renewed" "$total_issued" \
    "${res[0]}" "${res[1]}" "$ct" "$rvs" "${GEN[line3]}" "${GEN[line4]}" "${GEN[root]}" "$evs" >>"$WORK/table"
done
cat "$WORK/table"
ok "thirty years: every year both segments' devices handshake with the station's current files (s_server/s_client -verify_return_error -crl_check_all) and certtool --verify-chain passes; both segments alive all thirty years"

# every revoked device was refused, as revoked, in every year it would
# still have been valid: at least once each
for r in "${REVOKE[@]}"; do
  read -r s d ye yr <<<"$r"
  [ -n "${refused_years[$s/$d]:-}" ] || fail "$s/$d was never tried after its revocation"
done
ok "$n_refused handshakes of revoked devices refused (certificate revoked), each device in every year its certificate would still have been valid: $(for k in "${!refused_years[@]}"; do printf '%s:%s ' "$k" "${refused_years[$k]}"; done)"

# the generations: one per roll of the schedule, the old root retired
set -- $ROLL_line3; g3=$(($# + 1)); set -- $ROLL_line4; g4=$(($# + 1))
expect 0 ca --json ca list
python3 - "$OUT" "$g3" "$g4" <<'PY' || fail "ca list at the end: $OUT"
import json, sys
d = {c["name"]: c for c in json.loads(sys.argv[1])}
assert d["line3"]["generation"] == int(sys.argv[2]) and d["line4"]["generation"] == int(sys.argv[3]), d
assert d["root"]["generation"] == 2, d["root"]
assert [g["state"] for g in d["root"]["generations"]] == ["retired"], d["root"]
PY
ok "line3 at its generation $g3, line4 at its generation $g4, the root at its 2nd; the old root retired"

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
n_store=$(python3 -c 'import json,sys; print(len([c for c in json.load(sys.stdin) if c["kind"] == "ca"]))' <<<"$OUT")
[ "$n_store" -eq "$ca_issued" ] || fail "the store holds $n_store CA certificates, $ca_issued were issued by the root"
ok "audit verify passes; all $total_issued device certificates are in the store, every one a station holds among them, and all $ca_issued CA certificates the root issued (ca new, ca roll, the root roll's cross-certificates and re-certifications)"
expect 0 "$PLANTCA" --home "$CAHOME" status
expect 0 "$PLANTCA" --home "$CAHOME" --json renew --expiring 36500
ok "status and renew over the thirty years' store at the real clock"
done_testing
