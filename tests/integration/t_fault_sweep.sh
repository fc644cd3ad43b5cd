#!/usr/bin/env bash
# Deterministic faults at every durable step (common/fault.h; the build
# needs -Dfault_points=true) of: station add, the station's request, import
# of a 500-request bundle, sign (60 requests), issue --out-dir (100 CSRs), revoke,
# revoke --from-file, crl (into HOME/crl and -o), export, the station's
# accept, ca new, firmware signer new, firmware sign, policy set, backup.
# Each command is first run once with PLANTCA_FAULT_LOG to list the points
# it reaches; then every point, each time it is reached, is hit with
# SIGKILL, and (except the token's signatures, which fail with EIO only)
# with EIO and ENOSPC, each on a fresh copy (cp -a) of the prepared world:
# CA home, token, station directories, media.  After each fault:
#   - the store opens and no serial appears twice (plantca --json certs);
#   - `plantca audit verify` passes (chain, checkpoints, store invariants);
#   - no certificate exists outside the store and no CRL number was given
#     to two different CRLs (fault_check.py over every file of the world,
#     temporary files left by a kill included);
#   - every output directory holds the old state or the new one (a bundle
#     complete and verified by minisign, or none; a firmware signature
#     openssl cms verifies, or none; a backup sha256sum -c accepts, or none;
#     the station's PKI_DIR equal to the one before or after);
#   - the command run again exits 0 (or, when the faulted run had finished
#     the work, refuses the repeat) and the work is complete: no accepted
#     request lost, each certificate once, no interrupted issuance left.
# Sweeps run two at a time.  Prints the distinct (command, point, N, mode)
# and (point, N, mode) runs it made (at least 1,000).
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
[ "${FAULT_POINTS:-false}" = true ] || { echo "SKIP: built without -Dfault_points=true" >&2; exit 77; }
need minisign "to verify bundles written under faults"
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography missing (fault_check.py reads certificates and CRLs)" >&2; exit 77; }
IN=$WORK/in
mkdir "$IN"
printf 'correct horse battery staple\n' >"$IN/pass"; chmod 600 "$IN/pass"

# ------------------------------------------------------------ the world
# Everything a command reads or writes lives under one directory W, always
# at the same path while a sweep runs: W/ca (CAHOME), W/hsm (the token),
# W/stA and W/stB (stations of segments line3 and cell7), W/usbA, W/usbB,
# W/out, W/pki, W/od.
B=$WORK/w.base
mkdir -p "$B"
CAHOME=$B/ca
cp -a "$WORK/hsm" "$B/hsm"
sed -i "s|^directories.tokendir = .*|directories.tokendir = $B/hsm/tokens|" "$B/hsm/softhsm2.conf"
export SOFTHSM2_CONF=$B/hsm/softhsm2.conf
make_ca
mkdir "$B/usbA" "$B/usbB" "$B/out" "$B/od"
for s in A:line3 B:cell7; do
  expect 0 "$STATION" init "$B/st${s%%:*}" --segment "${s#*:}" --ca-key "$CAHOME/public/transfer.pub" \
    --trust "$CAHOME/public/root.pem" --passphrase-file "$IN/pass"
done
# prepare NAME: the world as it is now is the starting point of sweep NAME
prepare() { cp -a "$B" "$WORK/p.$1"; }

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$IN/k.pem" 2>/dev/null
mkdir "$IN/a" "$IN/b" "$IN/i"
for i in $(seq 1 500); do
  openssl req -new -key "$IN/k.pem" -subj "/O=Acme Plant/CN=a$i" \
    -addext "subjectAltName=DNS:a$i.line3.plant.local" -out "$IN/a/a$i.csr" 2>/dev/null
done
for i in $(seq 1 60); do
  openssl req -new -key "$IN/k.pem" -subj "/O=Acme Plant/CN=b$i" \
    -addext "subjectAltName=DNS:b$i.line3.plant.local" -out "$IN/b/b$i.csr" 2>/dev/null
done
for i in $(seq 1 100); do
  openssl req -new -key "$IN/k.pem" -subj "/O=Acme Plant/CN=i$i" \
    -addext "subjectAltName=DNS:i$i.line3.plant.local" -out "$IN/i/i$i.csr" 2>/dev/null
done
head -c 65536 /dev/urandom >"$IN/img"
sed 's/^days = 730$/days = 700/' "$SRCDIR/policy/default.policy" >"$IN/plant.policy"
cmp -s "$IN/plant.policy" "$SRCDIR/policy/default.policy" && fail "the test policy does not differ from the default"
ok "world prepared: CA, two stations, 660 CSRs"

# the story, each step's starting point kept for its sweep
prepare station_add
expect 0 pc station add cell7 "$B/stB/station.pub" --ca line3
expect 0 pc station add line3 "$B/stA/station.pub" --ca line3
prepare request
expect 0 "$STATION" request "$B/stB" --passphrase-file "$IN/pass" --profile tls-client "$IN/b" -o "$B/usbB"
expect 0 "$STATION" request "$B/stA" --passphrase-file "$IN/pass" --profile tls-client "$IN/a" -o "$B/usbA"
expect 0 pc import "$B/usbB/cell7-request-000001.tar"
prepare sign
prepare import
expect 0 pc sign
expect 0 pc import "$B/usbA/line3-request-000001.tar"
expect 0 pc sign
prepare issue
pc --json certs | python3 -c 'import json,sys; print("\n".join([c["serial"] for c in json.load(sys.stdin) if c["profile"]=="tls-client"][:10]))' >"$IN/serials"
victim=$(pc --json certs | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin) if c["profile"]=="tls-client"][-1]["serial"])')
prepare revoke_file
expect 0 pc revoke --from-file "$IN/serials" --reason superseded
prepare revoke
expect 0 pc revoke "$victim" --reason keyCompromise
prepare crl
prepare crl_o
expect 0 pc crl
prepare export
expect 0 pc export cell7 "$B/usbB"
prepare accept
prepare ca_new
prepare ca_roll
prepare transfer_roll
prepare fw_signer
expect 0 pc firmware signer new pumpfw --ca line3 --subject "/O=Acme Plant/CN=Pump firmware signer"
prepare fw_sign
prepare policy_set
prepare backup
ok "story run once, each sweep's starting point kept"

# The sweeps' commands, as words; @W stands for the world directory, ~ for
# a space.
declare -A CMD
CMD[station_add]='pc station add cell7 @W/stB/station.pub --ca line3'
CMD[request]="st request @W/stB --passphrase-file $IN/pass --profile tls-client $IN/b -o @W/usbB"
CMD[import]='pc import @W/usbA/line3-request-000001.tar'
CMD[sign]='pc sign'
CMD[issue]="pc issue $(echo "$IN"/i/*.csr) --ca line3 --profile tls-client --out-dir @W/od"
CMD[revoke_file]="pc revoke --from-file $IN/serials --reason superseded"
CMD[revoke]="pc revoke $victim --reason keyCompromise"
CMD[crl]='pc crl'
CMD[crl_o]='pc crl --ca line3 -o @W/out/line3.crl'
CMD[export]='pc export cell7 @W/usbB'
CMD[accept]='st accept @W/stB @W/usbB/cell7-response-000001.tar --out @W/pki'
CMD[ca_new]='pc ca new line4 --subject /C=DE/O=Acme~Plant/CN=Line~4~CA'
CMD[ca_roll]='pc ca roll line3'
CMD[transfer_roll]='pc transfer roll'
CMD[fw_signer]='pc firmware signer new pumpfw --ca line3 --subject /O=Acme~Plant/CN=Pump~firmware~signer'
CMD[fw_sign]="pc firmware sign $IN/img --signer pumpfw --fw-version 1.2.3 -o @W/out/img.p7s"
CMD[policy_set]="pc policy set $IN/plant.policy"
CMD[backup]='pc backup @W/out/bk'

# ------------------------------------------------------------ the checks
# in a sweep: W the world, pc and st run against it
certs_json() {
  pc --json certs >"$J/certs.json" 2>"$J/certs.err" && pc --json ca list >"$J/cas.json" 2>>"$J/certs.err" \
    || fail "$1: the store does not open: $(cat "$J/certs.err")"
}
consistent() {  # consistent CONTEXT [lone]: lone, a tar without its signature may be left
  certs_json "$1"
  expect 0 pc audit verify
  local answer
  echo "$J/certs.json $J/cas.json $J/crls-seen $W" >&"${CHK[1]}"
  read -r answer <&"${CHK[0]}" || fail "$1: fault_check.py stopped"
  [[ "$answer" == "ok "* ]] || fail "$1: $answer"
  read -r _ LEAVES TLSC <<<"$answer"
  bundles_whole "$1" "$W/usbA" "$W/stA/station.pub" "${2:-}"
  bundles_whole "$1" "$W/usbB" "$W/stB/station.pub" "${2:-}"
  if [ -e "$W/out/img.p7s" ]; then
    openssl cms -verify -binary -inform DER -in "$W/out/img.p7s" -content "$IN/img" -CAfile "$W/ca/public/root.pem" \
      -purpose any -out /dev/null 2>"$J/cms.err" || fail "$1: out/img.p7s in place but does not verify: $(cat "$J/cms.err")"
  fi
  if [ -d "$W/out/bk" ]; then
    (cd "$W/out/bk" && sha256sum -c --quiet MANIFEST) >/dev/null 2>&1 || fail "$1: an incomplete backup in place"
  fi
  if [ -d "$W/pki" ] || [ -e "$J/pki.new" ]; then
    local now; now=$(snap "$W/pki")
    [ "$now" = "$(cat "$J/pki.old")" ] || [ "$now" = "$(cat "$J/pki.new")" ] || fail "$1: PKI_DIR is neither the old layout nor the new"
  fi
  [ ! -d "$W/ca/crl/current" ] || [ -z "$(ls "$W/ca/crl/current" | sed -n 's/\.[0-9]*\.der$//p' | sort | uniq -d)" ] \
    || fail "$1: HOME/crl/current holds two CRLs of one CA: $(ls "$W/ca/crl/current")"
}
bundles_whole() {  # CONTEXT DIR PUB [lone]: every bundle in DIR complete and signed, no signature alone
  local f
  for f in "$2"/*.tar; do
    [ -e "$f" ] || continue
    if [ ! -f "$f.minisig" ]; then
      # no bundle (every reader refuses it): left by a run stopped between
      # the tar and its signature; the next run must replace it
      [ "${4:-}" = lone ] || fail "$1: $f without its .minisig"
      continue
    fi
    # a bundle the job verified before (same size and time, both files)
    # is not verified again
    local id
    id=$(find "$f" "$f.minisig" -printf '%s:%T@ ' 2>/dev/null)
    [ "${VERIFIED[$f]:-}" != "$id" ] || continue
    # by the station's key, the CA's current one, or one a transfer roll
    # replaced (public/transfer-ID.pub)
    local k okk=no
    for k in "$3" "$W/ca/public/transfer.pub" "$W"/ca/public/transfer-*.pub; do
      [ -f "$k" ] || continue
      if minisign -V -q -p "$k" -m "$f" >/dev/null 2>&1; then okk=yes; break; fi
    done
    [ "$okk" = yes ] || fail "$1: $f does not verify"
    VERIFIED[$f]=$id
  done
  for f in "$2"/*.minisig; do [ -e "$f" ] || continue; [ -f "${f%.minisig}" ] || fail "$1: $f alone"; done
}
# done_NAME CONTEXT: the work of the sweep's command is complete
done_station_add() { expect 0 pc station list; out_has cell7; }
done_request() {
  [ -f "$W/usbB/cell7-request-000001.tar" ] || fail "$1: no request bundle"
  expect 0 pc import "$W/usbB/cell7-request-000001.tar"
}
requests_n() { pc --json requests | grep -o '"status":' | wc -l; }
done_import() { [ "$(requests_n)" = 560 ] || fail "$1: $(requests_n) requests, not 560"; }
no_intents() {
  expect 0 pc ca list
  [[ "$ERR" != *interrupted* ]] || fail "$1: interrupted issuances left: $ERR"
  local n_events
  n_events=$(pc audit log | grep -cE ' issue(\.recovered)? ' || true)
  [ "$LEAVES" -eq "$n_events" ] || fail "$1: $LEAVES leaf certificates but $n_events issue events"
}
done_sign() {
  [ "$TLSC" = 60 ] || fail "$1: $TLSC certificates, not 60"
  expect 0 pc --json requests
  [ "$(grep -o '"status":"issued"' <<<"$OUT" | wc -l)" = 60 ] || fail "$1: not every request issued"
  no_intents "$1"
}
done_issue() {
  [ "$TLSC" -ge 660 ] || fail "$1: $TLSC certificates, fewer than 660"
  [ "$(ls "$W/od" | grep -vc '\.tmp\.' || true)" -ge 100 ] || fail "$1: fewer than 100 certificates in the out dir"
  no_intents "$1"
}
revoked_n() { pc --json certs --revoked | grep -o '"serial":' | wc -l; }
done_revoke_file() { [ "$(revoked_n)" = 10 ] || fail "$1: $(revoked_n) revoked, not 10"; }
done_revoke() { [ "$(revoked_n)" = 11 ] || fail "$1: $(revoked_n) revoked, not 11"; }
crl_ok() {  # CONTEXT FILE CA-PEM
  openssl crl -in "$2" -inform "${4:-PEM}" -CAfile "$3" -noout 2>&1 | grep -q 'verify OK' || fail "$1: $2 does not verify"
}
done_crl() {
  local n; for n in root line3; do
    [ -f "$W/ca/crl/$n.crl" ] || fail "$1: no $n.crl"
  done
  cat "$W/ca/public/root.pem" >"$J/chain.pem"; pc ca cert line3 >>"$J/chain.pem"
  crl_ok "$1" "$W/ca/crl/line3.crl" "$J/chain.pem"
}
done_crl_o() { [ -f "$W/out/line3.crl" ] || fail "$1: no out/line3.crl"; }
done_export() { ls "$W"/usbB/cell7-response-*.tar >/dev/null 2>&1 || fail "$1: no response bundle"; }
done_accept() { [ "$(snap "$W/pki")" = "$(cat "$J/pki.new")" ] || fail "$1: PKI_DIR is not the new layout"; }
done_ca_new() {
  pc ca cert line4 >"$J/line4.pem" || fail "$1: no CA line4"
  openssl verify -x509_strict -CAfile "$W/ca/public/root.pem" "$J/line4.pem" >/dev/null || fail "$1: line4 does not verify"
}
done_ca_roll() {
  pc --json ca list | python3 -c 'import json,sys
d=json.load(sys.stdin); d=d if isinstance(d,list) else d.get("cas",d)
assert any(c.get("name")=="line3" and c.get("generation")==2 for c in d), d' >/dev/null 2>"$J/calist.err" \
    || fail "$1: line3 is not at generation 2: $(cat "$J/calist.err")"
}
# the roll recorded and HOME/public saying so: transfer.pub a new key, the
# old one kept as transfer-OLDID.pub
done_transfer_roll() {
  local old=$P/ca/public/transfer.pub   # the prepared world (sweep's P)
  ! cmp -s "$old" "$W/ca/public/transfer.pub" || fail "$1: public/transfer.pub is still the old key"
  cmp -s "$old" "$W"/ca/public/transfer-*.pub || fail "$1: public/transfer-OLDID.pub is not the old key"
}
done_fw_signer() { expect 0 pc firmware signer list; out_has pumpfw; }
done_fw_sign() { [ -f "$W/out/img.p7s" ] || fail "$1: no signature"; }
done_policy_set() { expect 0 pc policy show; out_has "$(sha256sum "$IN/plant.policy" | cut -d' ' -f1)"; }
done_backup() { [ -f "$W/out/bk/MANIFEST" ] || fail "$1: no backup"; }

# ------------------------------------------------------------ one sweep
sweep() {  # sweep NAME: in a background job; results in $WORK/res.NAME
  local name=$1 P=$WORK/p.$1 res=$WORK/res.$1
  W=$WORK/w.$name J=$WORK/j.$name
  mkdir -p "$J"
  WORK=$J            # expect's $OUT/$ERR files: this job's own
  CAHOME=$W/ca
  export SOFTHSM2_CONF=$W/hsm/softhsm2.conf
  local cmd=() word
  for word in ${CMD[$name]}; do word=${word//@W/$W}; cmd+=("${word//\~/ }"); done
  [ "${cmd[0]}" = st ] && cmd[0]=$STATION
  [ "${cmd[0]}" = pc ] && cmd=("$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "${cmd[@]:1}")
  restore() {
    rm -rf "$W"; cp -a "$P" "$W"
    sed -i "s|^directories.tokendir = .*|directories.tokendir = $W/hsm/tokens|" "$W/hsm/softhsm2.conf"
    : >"$J/crls-seen"
  }
  declare -gA VERIFIED=()
  coproc CHK { python3 "$SRCDIR/tests/integration/fault_check.py" --serve; }
  restore
  if [ "$name" = accept ]; then
    snap "$W/pki" >"$J/pki.old"; : >"$J/pki.new"
  fi
  PLANTCA_FAULT_LOG=$J/points expect 0 "${cmd[@]}"
  [ "$name" != accept ] || snap "$W/pki" >"$J/pki.new"
  [ -s "$J/points" ] || fail "$name: reaches no fault point"
  sort "$J/points" | uniq -c | awk '{print $2, $1}' >"$J/points.n"
  consistent "$name, unfaulted"
  "done_$name" "$name, unfaulted"
  local point count n how rc ctx modes pair=0
  while read -r point count; do
    for ((n = 1; n <= count; n++)); do
      modes=(kill eio enospc)
      [[ "$point" != hsm.* ]] || modes=(kill eio)
      pair=$((pair + 1))
      for how in "${modes[@]}"; do
        # sampled (see SAMPLED above): one mode per (point, N), in turn
        [ "$SAMPLED" = no ] || [ "$how" = "${modes[pair % ${#modes[@]}]}" ] || continue
        ctx="$name $point:$n:$how"
        restore
        rc=0
        PLANTCA_FAULT=$point:$n:$how "${cmd[@]}" >"$J/f.out" 2>"$J/f.err" </dev/null || rc=$?
        [ "$rc" -ne 0 ] || fail "$ctx: exited 0"
        case $how in
          kill) [ "$rc" -eq 137 ] || fail "$ctx: exit $rc, not killed: $(cat "$J/f.err")" ;;
          eio) grep -q "Input/output error (injected at fault point $point)" "$J/f.err" || fail "$ctx: $(cat "$J/f.err")" ;;
          enospc) grep -q "No space left on device (injected at fault point $point)" "$J/f.err" || fail "$ctx: $(cat "$J/f.err")" ;;
        esac
        echo "$name $point $n $how" >>"$res"
        consistent "$ctx" lone
        # again: completes the work; a repeat of work the faulted run had
        # finished may be refused, then the work must be complete already
        # (a backup in place was checked complete above; backup wants a
        # new DIR)
        [ "$name" != backup ] || rm -rf "$W/out/bk"
        rc=0
        "${cmd[@]}" >"$J/r.out" 2>"$J/r.err" </dev/null || rc=$?
        if [ "$rc" -ne 0 ]; then
          grep -qE 'already|not newer than the last accepted|not yet the current one' "$J/r.err" || fail "$ctx, run again: exit $rc: $(cat "$J/r.err")"
        fi
        ! grep -q 'completed [0-9]* interrupted issuance' "$J/r.err" || echo "$ctx" >>"$J/recovered"
        consistent "$ctx, run again"
        "done_$name" "$ctx, run again"
      done
    done
  done <"$J/points.n"
}

# ------------------------------------------------------------ run them
# Every point, every time it is reached, in every mode: 1,100 runs or
# more.  A sanitizer build (SANITIZE, set by meson) is three to four times
# slower per run, so there the sweep is sampled: each (point, N) with one
# of its modes, in turn, about a third of the runs; the normal build of
# the same CI run makes all of them.  FAULT_SAMPLE=no|yes overrides.
SAMPLED=${FAULT_SAMPLE:-$([ "${SANITIZE:-none}" = none ] && echo no || echo yes)}
[ "$SAMPLED" = no ] || echo "# sampled: one mode per (point, N) (SANITIZE=${SANITIZE:-none}); the normal build runs every mode"
names=(sign accept import request station_add issue revoke_file revoke crl crl_o export ca_new ca_roll transfer_roll fw_signer fw_sign policy_set backup)
if [ -n "${FAULT_SWEEPS:-}" ]; then read -ra names <<<"$FAULT_SWEEPS"; fi
pids=()
for name in "${names[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
  ( trap - EXIT; sweep "$name" ) >"$WORK/log.$name" 2>&1 &
  pids+=("$!:$name")
done
bad=0
for p in "${pids[@]}"; do
  if wait "${p%%:*}"; then
    ok "${p#*:}: $(wc -l <"$WORK/res.${p#*:}") faulted runs, each consistent and completed by the next run"
  else
    echo "--- sweep ${p#*:}:"; tail -30 "$WORK/log.${p#*:}"; bad=1
  fi
done
[ "$bad" -eq 0 ] || fail "a sweep failed (above)"
# some fault of a signing batch landed between the intent and the
# certificate commits, and the next run completed that issuance
for name in sign issue; do
  [ ! -d "$WORK/j.$name" ] || [ -s "$WORK/j.$name/recovered" ] || fail "$name: no fault left an interrupted issuance to complete"
done
[ ! -d "$WORK/j.issue" ] || ok "interrupted issuances completed by the next run: $(wc -l <"$WORK/j.issue/recovered") faults of issue, $(wc -l <"$WORK/j.sign/recovered" 2>/dev/null || echo 0) of sign"
cat "$WORK"/res.* >"$WORK/all-runs"
runs=$(sort -u "$WORK/all-runs" | wc -l)
triples=$(cut -d' ' -f2- "$WORK/all-runs" | sort -u | wc -l)
points=$(cut -d' ' -f2 "$WORK/all-runs" | sort -u | tr '\n' ' ')
echo "# fault sweep: $runs distinct (command, point, N, mode) runs; $triples distinct (point, N, mode); points: $points"
# (FAULT_SWEEPS=NAMES: only those sweeps, for work on one command)
[ "$runs" -ge 1000 ] || [ -n "${FAULT_SWEEPS:-}" ] || [ "$SAMPLED" = yes ] || fail "only $runs distinct faulted runs, fewer than 1,000"
ok "$runs distinct faulted runs ($triples distinct (point, N, mode))"

# A file that appears between the writer's check and its publish is never
# replaced (tr_bundle_stream published with rename() before: the file was
# lost): the export stops at file.link, another file takes the name, the
# export goes on and fails, naming it; the file is untouched, nothing of
# the export stays, and the store did not record it.
W=$B
mkdir "$B/race"
events=$(pc audit log | wc -l)
PLANTCA_FAULT=file.link:1:stop "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" export cell7 "$B/race" \
  >"$WORK/race.out" 2>"$WORK/race.err" </dev/null &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = T ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = T ] || fail "export did not stop at file.link: $(cat "$WORK/race.err")"
echo "another writer's file" >"$B/race/cell7-response-000002.tar"
kill -CONT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 1 ] || fail "export over a file that appeared: exit $rc: $(cat "$WORK/race.err")"
grep -q "cell7-response-000002.tar: already exists; not overwriting" "$WORK/race.err" || fail "$(cat "$WORK/race.err")"
[ "$(cat "$B/race/cell7-response-000002.tar")" = "another writer's file" ] || fail "the other file was replaced"
[ "$(ls "$B/race")" = cell7-response-000002.tar ] || fail "the export left files: $(ls "$B/race")"
expect 0 pc audit verify
[ "$(pc audit log | wc -l)" = "$events" ] || fail "the failed export left audit events: $(pc audit log | tail -3)"
# that file is not this bundle's own tar: the next export refuses it too
expect 1 pc export cell7 "$B/race"
err_has "cell7-response-000002.tar: already exists"
[ "$(cat "$B/race/cell7-response-000002.tar")" = "another writer's file" ] || fail "the other file was replaced by the next export"
ok "a file created between check and publish is not replaced; the export fails naming it and records nothing"
done_testing
