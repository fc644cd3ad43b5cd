#!/usr/bin/env bash
# Disk full, for real: the CA home, the station directories and the media
# live on a small file system made by the test (tmpfs when run as root,
# else a loop-mounted ext4 image; neither possible: skipped, 77).  Each
# state-changing command (station add, the station's request and accept,
# import, sign, issue, revoke and revoke --from-file, crl and crl -o,
# export, ca new, ca roll, transfer roll, root roll, firmware signer new,
# firmware sign, policy set, audit checkpoint, backup, restore, approve,
# reject, renew, the station's rekey) runs with the file system filled to
# leave 0, 4, 8, 16 ... KiB
# free until it succeeds.  Each run that fails must say "no space left"
# and name the file; the store must open and `audit verify` pass; a failed
# command changed the store only together with its audit events (the dump
# of the store is unchanged, or the trail grew), the issuance intents
# excepted, which the next run completes with their issue.recovered
# events; once space is freed the same command completes the work.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need mdb_dump "to compare the store before and after a failed command"
need fallocate "to fill the small file system"

M=$WORK/m
mkdir "$M"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=24m tmpfs "$M" 2>/dev/null; then
  fs=tmpfs
elif truncate -s 24M "$WORK/fs.img" && mkfs.ext4 -q "$WORK/fs.img" 2>/dev/null &&
     mount -o loop "$WORK/fs.img" "$M" 2>/dev/null; then
  fs="ext4 on a loop device"
else
  echo "SKIP: cannot mount a small file system here (tmpfs needs root; so does a loop mount)" >&2
  exit 77
fi
at_exit "umount '$M'"
ok "a 24 MiB $fs at $M"

IN=$WORK/in
mkdir "$IN"
printf 'correct horse battery staple\n' >"$IN/pass"; chmod 600 "$IN/pass"
CAHOME=$M/ca
make_ca
mkdir "$M/usb" "$M/out" "$M/od"
expect 0 "$STATION" init "$M/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$IN/pass"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$IN/k.pem" 2>/dev/null
mkdir "$IN/a"
for i in $(seq 1 30); do
  openssl req -new -key "$IN/k.pem" -subj "/O=Acme Plant/CN=a$i" \
    -addext "subjectAltName=DNS:a$i.line3.plant.local" -out "$IN/a/a$i.csr" 2>/dev/null
done
head -c 65536 /dev/urandom >"$IN/img"
sed 's/^days = 730$/days = 700/' "$SRCDIR/policy/default.policy" >"$IN/plant.policy"
prepare() { cp -a "$M" "$WORK/p.$1"; }

prepare station_add
expect 0 pc station add line3 "$M/st/station.pub" --ca line3
prepare request
expect 0 "$STATION" request "$M/st" --passphrase-file "$IN/pass" --profile tls-client "$IN/a" -o "$M/usb"
prepare import
expect 0 pc import "$M/usb/line3-request-000001.tar"
prepare sign
expect 0 pc sign
prepare issue
victim=$(pc --json certs | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin) if c["profile"]=="tls-client"][0]["serial"])')
prepare revoke
prepare revoke_file
pc --json certs | python3 -c 'import json,sys; print("\n".join([c["serial"] for c in json.load(sys.stdin) if c["profile"]=="tls-client"][1:4]))' >"$IN/serials"
expect 0 pc revoke "$victim" --reason keyCompromise
prepare crl
prepare crl_o
expect 0 pc crl
prepare export
expect 0 pc export line3 "$M/usb"
prepare accept
prepare ca_new
prepare fw_signer
expect 0 pc firmware signer new pumpfw --ca line3 --subject "/O=Acme Plant/CN=Pump firmware signer"
prepare fw_sign
prepare policy_set
prepare ca_roll
prepare transfer_roll
prepare root_roll
prepare audit_checkpoint
prepare backup
expect 0 pc backup "$M/out/bk"
prepare restore
# the officer's verbs on requests, and the station's rekey: an LDevID
# request (approval = single) to approve and one to reject, a renewal
mkdir "$IN/l"
for i in 1 2; do
  openssl req -new -key "$IN/k.pem" -subj "/O=Acme Plant/serialNumber=PUMP-000$i/CN=pump$i" \
    -addext "subjectAltName=DNS:pump$i.line3.plant.local" -out "$IN/l/l$i.csr" 2>/dev/null
done
expect 0 "$STATION" request "$M/st" --passphrase-file "$IN/pass" --profile ldevid "$IN/l" -o "$M/usb"
expect 0 pc import "$M/usb/line3-request-000002.tar"
out_has "2 pending"
pending=($(pc --json requests | python3 -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin) if r["status"] == "pending"))'))
[ "${#pending[@]}" = 2 ] || fail "pending requests: ${pending[*]}"
renewee=$(pc --json certs | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin) if c["profile"]=="tls-client" and c["status"]=="valid"][-1]["serial"])')
prepare approve
prepare reject
prepare renew
prepare rekey
ok "story run once with space to spare; each command's starting point kept"

declare -A CMD
CMD[station_add]="pc station add line3 $M/st/station.pub --ca line3"
CMD[request]="st request $M/st --passphrase-file $IN/pass --profile tls-client $IN/a -o $M/usb"
CMD[import]="pc import $M/usb/line3-request-000001.tar"
CMD[sign]='pc sign'
CMD[issue]="pc issue $(echo "$IN"/a/a1*.csr) --ca line3 --profile tls-client --out-dir $M/od"
CMD[revoke]="pc revoke $victim --reason keyCompromise"
CMD[revoke_file]="pc revoke --from-file $IN/serials --reason superseded"
CMD[crl]='pc crl'
CMD[crl_o]="pc crl --ca line3 -o $M/out/line3.crl"
CMD[export]="pc export line3 $M/usb"
CMD[accept]="st accept $M/st $M/usb/line3-response-000001.tar --out $M/pki"
CMD[ca_new]='pc ca new line4 --subject /C=DE/O=Acme~Plant/CN=Line~4~CA'
CMD[fw_signer]='pc firmware signer new pumpfw --ca line3 --subject /O=Acme~Plant/CN=Pump~firmware~signer'
CMD[fw_sign]="pc firmware sign $IN/img --signer pumpfw --fw-version 1.2.3 -o $M/out/img.p7s"
CMD[policy_set]="pc policy set $IN/plant.policy"
CMD[backup]="pc backup $M/out/bk"
CMD[ca_roll]='pc ca roll line3'
CMD[transfer_roll]='pc transfer roll'
CMD[root_roll]='pc root roll'
CMD[audit_checkpoint]='pc audit checkpoint'
CMD[restore]="pr restore $M/out/bk --home $M/new"
CMD[approve]="pc approve ${pending[0]}"
CMD[reject]="pc reject ${pending[1]} --reason not~this~pump"
CMD[renew]="pc renew --serial $renewee"
CMD[rekey]="st rekey $M/st -o $M/usb --passphrase-file $IN/pass"

restore() { find "$M" -mindepth 1 -maxdepth 1 -exec rm -rf {} +; cp -a "$WORK/p.$1/." "$M/"; }
fill() {  # fill KIB: leave about KIB KiB free on $M
  local avail
  rm -f "$M/filler"
  sync -f "$M" 2>/dev/null || true
  avail=$(df -B1 --output=avail "$M" | tail -1)
  [ "$avail" -gt $(($1 * 1024)) ] || return 0
  fallocate -l $((avail - $1 * 1024)) "$M/filler" 2>/dev/null ||
    dd if=/dev/zero of="$M/filler" bs=4096 count=$(((avail - $1 * 1024) / 4096)) 2>/dev/null || true
}
dump() { if [ -d "$CAHOME/db" ]; then mdb_dump -a "$CAHOME/db" 2>/dev/null | sha256sum | cut -d' ' -f1; fi; }
events() { pc audit log 2>/dev/null | wc -l; }

failures=0
for name in station_add request import sign issue revoke revoke_file crl crl_o export accept ca_new \
    ca_roll transfer_roll root_roll fw_signer fw_sign policy_set audit_checkpoint backup restore \
    approve reject renew rekey; do
  cmd=()
  for word in ${CMD[$name]}; do cmd+=("${word//\~/ }"); done
  [ "${cmd[0]}" = st ] && cmd[0]=$STATION
  [ "${cmd[0]}" = pc ] && cmd=("$PLANTCA" --home "$CAHOME" --pin-file "$PIN" "${cmd[@]:1}")
  [ "${cmd[0]}" = pr ] && cmd=("$PLANTCA" --pin-file "$PIN" "${cmd[@]:1}")
  done_at=
  for kib in 0 4 8 16 32 64 128 256 512 1024 2048 4096 8192; do
    restore "$name"
    d0=$(dump); e0=$(events)
    fill "$kib"
    rc=0
    "${cmd[@]}" >"$WORK/f.out" 2>"$WORK/f.err" </dev/null || rc=$?
    rm -f "$M/filler"
    if [ "$rc" -eq 0 ]; then
      expect 0 pc audit verify
      done_at=$kib
      break
    fi
    failures=$((failures + 1))
    grep -qi 'no space left' "$WORK/f.err" || fail "$name at $kib KiB free: exit $rc without 'no space left': $(cat "$WORK/f.err")"
    # a file on the full file system (every file the commands write is there)
    grep -qF "$M/" "$WORK/f.err" || fail "$name at $kib KiB free: the message names no file on $M: $(cat "$WORK/f.err")"
    expect 0 pc audit verify
    if [ "$(dump)" != "$d0" ] && [ "$(events)" -le "$e0" ]; then
      # the one change before its event: issuance intents (serials
      # reserved, ca/pipeline.c), which the next signing command completes
      # with an issue.recovered event each
      expect 0 pc ca list
      [[ "$ERR" == *"issuance(s) were interrupted"* ]] ||
        fail "$name at $kib KiB free: the store changed without an audit event: $(cat "$WORK/f.err")"
      intents=yes
    fi
    # with space again the same command completes the work
    rc=0
    "${cmd[@]}" >"$WORK/r.out" 2>"$WORK/r.err" </dev/null || rc=$?
    # (or refuses a repeat of work the failed run had done, as in
    # t_fault_sweep: a second transfer roll before the stations hold the
    # key the first one recorded)
    [ "$rc" -eq 0 ] || grep -qE 'already|not yet the current one' "$WORK/r.err" ||
      fail "$name at $kib KiB free, then with space: exit $rc: $(cat "$WORK/r.err")"
    expect 0 pc audit verify
    if [ "${intents:-}" = yes ]; then
      grep -q 'completed [0-9]* interrupted issuance' "$WORK/r.err" || fail "$name at $kib KiB free: intents left, not completed: $(cat "$WORK/r.err")"
      intents=
    fi
    echo "# $name, $kib KiB free: $(head -1 "$WORK/f.err")"
  done
  [ -n "$done_at" ] || fail "$name: failed even with 8 MiB free"
  ok "$name: every run short of space failed naming the file and 'no space left', store consistent; succeeds with $done_at KiB free"
done
[ "$failures" -gt 0 ] || fail "no command ever ran out of space: the test proves nothing"
ok "$failures runs out of space in all"
done_testing
