#!/usr/bin/env bash
# Clear errors for a wrong PIN, a missing token and a module that does not
# load; then, verb by verb from --help: missing arguments, a missing CA
# home, and for every verb that signs, a wrong PIN and a missing token,
# each with its message and exit status, leaving the store as it was.
# (Options a verb does not take: t_cli.sh; plantca-station: t_station_cli.sh.)
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

printf 'wrong-pin\n' >"$WORK/badpin"
chmod 600 "$WORK/badpin"
expect 1 "$PLANTCA" --home "$CAHOME" --pin-file "$WORK/badpin" init --module "$SOFTHSM_MODULE" \
  --token "$TOKEN_LABEL" --subject "/CN=Root"
err_has "PIN" "$TOKEN_LABEL"
[ ! -e "$CAHOME" ] || fail "a failed init left $CAHOME behind"
ok "wrong PIN: exit 1, token named, no CA home left behind (${ERR#plantca: })"

expect 2 pc init --module "$SOFTHSM_MODULE" --token no-such-token --subject "/CN=Root"
err_has "no-such-token"
ok "missing token: exit 2 (${ERR#plantca: })"

expect 2 pc init --module /nonexistent/libpkcs11.so --token "$TOKEN_LABEL" --subject "/CN=Root"
err_has "/nonexistent/libpkcs11.so"
ok "module that does not load: exit 2 (${ERR#plantca: })"

expect 2 pc init --module "$SOFTHSM_MODULE" --token "pkcs11:token=$TOKEN_LABEL;bogus" --subject "/CN=Root"
ok "bad token URI refused (${ERR#plantca: })"

# a token URI works as well as a label
expect 0 pc init --module "$SOFTHSM_MODULE" --token "pkcs11:token=$TOKEN_LABEL" --subject "/CN=Root"
ok "token found by RFC 7512 URI"

# a CA home is never overwritten
expect 1 pc init --module "$SOFTHSM_MODULE" --token "$TOKEN_LABEL" --subject "/CN=Root2"
err_has "not empty"
ok "init refuses an existing CA home"

# read-only commands never ask for the PIN (no terminal, no pin file)
expect 0 "$PLANTCA" --home "$CAHOME" ca list </dev/null
ok "ca list needs no PIN"

# a signing command without a PIN file and without a terminal says so
mkcsr p256 x "$WORK/x.csr" "DNS:x.example"
expect 2 setsid "$PLANTCA" --home "$CAHOME" ca new l1 --subject "/CN=L1" </dev/null
err_has "no terminal"
ok "no PIN file and no terminal: clear usage error"

expect 2 "$PLANTCA" --home "$WORK/nowhere" ca list
err_has "not a CA home"
ok "not a CA home"

expect 2 "$PLANTCA" --home "$CAHOME" frobnicate
err_has "unknown verb"
expect 0 "$PLANTCA" --help
out_has "Exit status" "--pin-file"
ok "usage errors and --help"

# ------------------------------------------------- every verb, mechanically
expect 0 "$PLANTCA" --help
mapfile -t LINES < <(printf '%s\n' "$OUT" | awk '
  /^refused/ { on = 1; next }
  /^Global options:/ { on = 0 }
  on && /^  [a-z]/ { sub(/^  /, ""); line = $0; getline nxt
    while (nxt ~ /^      [^ ]/ && nxt !~ /^        /) { sub(/^ +/, " ", nxt); line = line nxt; getline nxt }
    print line }')
[ "${#LINES[@]}" -ge 30 ] || fail "only ${#LINES[@]} verbs in --help"
words_of() { awk '{ v = ""; for (i = 1; i <= NF && $i ~ /^[a-z]+$/; i++) v = v (v ? " " : "") $i; print v }' <<<"$1"; }
# the arguments a synopsis requires, each "x": operands before the first
# option and unbracketed --options with their value (up to a '|')
dummy_args() {
  local syn=$1 w out=() br=0
  for w in $syn; do
    [ "$w" = "|" ] && break
    case $w in
    \[*) br=1 ;;
    esac
    if [ "$br" = 0 ]; then
      case $w in
      --*) out+=("$w") ;;
      [A-Z]*) out+=(x) ;;
      esac
    fi
    case $w in
    *\]|*\]...) br=0 ;;
    esac
  done
  echo "${out[@]}"
}

# missing arguments: a verb whose synopsis requires something, run with
# nothing, says how it is used (exit 2) before it touches the store
before=$(store_dump)
needs=0
for line in "${LINES[@]}"; do
  v=$(words_of "$line"); syn=${line#"$v"}; syn=${syn# }
  [ -n "$syn" ] && [[ "$syn" != "["* ]] || continue
  read -ra w <<<"$v"
  expect 2 pc "${w[@]}"
  [[ "$ERR" == "plantca: usage: plantca $v"* || "$ERR" == "plantca: $v needs "* ]] ||
    fail "$v without arguments: $ERR"
  needs=$((needs + 1))
done
[ "$(store_dump)" = "$before" ] || fail "a usage error changed the store"
[ "$needs" -ge 19 ] || fail "only $needs verbs require arguments"
ok "$needs verbs run without their arguments: exit 2 with their usage line; store unchanged"

# a missing CA home: every verb that uses one names the path (exit 2) and
# creates nothing; without --home and PLANTCA_HOME it says how to give one
NOHOME=$WORK/no-ca-home
homes=0
for line in "${LINES[@]}"; do
  v=$(words_of "$line"); syn=${line#"$v"}
  read -ra w <<<"$v"
  "$PLANTCA" "${w[@]}" --help | grep -qx 'Needs no CA home.' && continue
  read -ra args <<<"$(dummy_args "$syn")"
  expect 2 "$PLANTCA" --home "$NOHOME" --pin-file "$PIN" "${w[@]}" "${args[@]}"
  [ "$ERR" = "plantca: $NOHOME: not a CA home (run plantca init)" ] || fail "$v ${args[*]}: $ERR"
  [ ! -e "$NOHOME" ] || fail "$v created $NOHOME"
  # policy show without any home shows the built-in default
  if [ "$v" != "policy show" ]; then
    env -u PLANTCA_HOME "$PLANTCA" "${w[@]}" "${args[@]}" >/dev/null 2>"$WORK/err" </dev/null && fail "$v ran without a home"
    [ "$(cat "$WORK/err")" = "plantca: no CA home: use --home DIR or set PLANTCA_HOME" ] || fail "$v: $(cat "$WORK/err")"
  fi
  homes=$((homes + 1))
done
[ "$homes" -ge 25 ] || fail "only $homes verbs use a CA home"
ok "$homes verbs with a missing CA home: exit 2 naming it, nothing created; without any home: how to give one"

# a wrong PIN and a missing token, for every verb that signs: a CA home
# with an issuing CA, a station, an approved request, a firmware signer
rm -rf "$CAHOME"
make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkcsr p256 dev "$WORK/dev.csr" "DNS:dev.line3.plant.local"
mkdir "$WORK/usb" "$WORK/outdir"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK/dev.csr" -o "$WORK/usb"
expect 0 pc import "$WORK/usb/line3-request-000001.tar"
expect 0 pc firmware signer new fw1 --ca line3 --subject "/O=Acme Plant/CN=Firmware 1"
echo firmware >"$WORK/img"
mkdir -p "$WORK/empty-tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$WORK/empty-tokens" >"$WORK/no-token.conf"
SIGNING=(
  "ca new line4 --subject /CN=Line4"
  "issue $WORK/dev.csr --ca line3 --profile tls-client --out-dir $WORK/outdir"
  "sign"
  "crl"
  "export line3 $WORK/outdir"
  "firmware signer new fw2 --ca line3 --subject /O=Acme/CN=fw2"
  "firmware sign $WORK/img --signer fw1 --fw-version 1 -o $WORK/outdir/img.p7s"
)
before=$(store_dump)
for c in "${SIGNING[@]}"; do
  read -ra args <<<"$c"
  expect 1 "$PLANTCA" --home "$CAHOME" --pin-file "$WORK/badpin" "${args[@]}"
  err_has "token \"$TOKEN_LABEL\": wrong user PIN (CKR_PIN_INCORRECT)"
  SOFTHSM2_CONF=$WORK/no-token.conf expect 2 pc "${args[@]}"
  err_has "token \"$TOKEN_LABEL\": no such initialised token in PKCS#11 module $SOFTHSM_MODULE"
  [ "$(store_dump)" = "$before" ] || fail "$c: a refused login changed the store"
  [ -z "$(ls "$WORK/outdir")" ] || fail "$c: a refused login wrote $(ls "$WORK/outdir")"
done
expect 0 pc requests --status approved
out_has "dev"
ok "${#SIGNING[@]} signing verbs: wrong PIN exit 1, missing token exit 2, each naming the token; store and output untouched"

# a locked token: SoftHSM2 never locks, so a shim module in front of it
# (tests/tools/p11_shim.c) answers C_Login with CKR_PIN_LOCKED on demand
: "${P11_SHIM:?}"
export P11_SHIM_TARGET=$SOFTHSM_MODULE
LHOME=$WORK/locked-home
expect 0 "$PLANTCA" --home "$LHOME" --pin-file "$PIN" init --module "$P11_SHIM" --token "$TOKEN_LABEL" \
  --subject "/CN=Shim Root"
before=$(mdb_dump -a "$LHOME/db" | sha256sum)
for c in "ca new l5 --subject /CN=L5" "crl"; do
  read -ra args <<<"$c"
  P11_SHIM_LOCKED=1 expect 1 "$PLANTCA" --home "$LHOME" --pin-file "$PIN" "${args[@]}"
  [ "$ERR" = "plantca: token \"$TOKEN_LABEL\": the user PIN is locked (CKR_PIN_LOCKED); the security officer must unlock it" ] ||
    fail "$c with a locked token: $ERR"
done
[ "$(mdb_dump -a "$LHOME/db" | sha256sum)" = "$before" ] || fail "a locked token's refusal changed the store"
expect 0 "$PLANTCA" --home "$LHOME" --pin-file "$PIN" crl
ok "locked token: exit 1, 'the security officer must unlock it', store unchanged; unlocked, the same command signs"
done_testing
