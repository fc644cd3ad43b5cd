#!/usr/bin/env bash
# Loose permissions are refused (issue 9 item 9), through the real programs:
#  - init makes an existing empty HOME 0700 and refuses one owned by
#    someone else;
#  - every command refuses a HOME, HOME/db (and its files) or
#    HOME/policy.conf that group or others may write, or that another user
#    owns, and says what to chmod/chown; the store is left as it was;
#  - a PIN or passphrase file that group or others may read (or write) is
#    refused, by plantca and by plantca-station.
# The tests run as root: "someone else" is nobody (chown).
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

other=$(id -u nobody)

# ---------------------------------------------------------------- init
mkdir -m 0777 "$CAHOME"
make_ca
[ "$(mode "$CAHOME")" = 700 ] || fail "init left HOME mode $(mode "$CAHOME")"
ok "init into an existing empty mode-0777 HOME leaves it 0700"

mkdir -m 0700 "$WORK/theirs"
chown nobody "$WORK/theirs"
expect 1 "$PLANTCA" --home "$WORK/theirs" --pin-file "$PIN" init --module "$SOFTHSM_MODULE" \
  --token "$TOKEN_LABEL" --subject "/CN=Theirs"
err_has "$WORK/theirs" "owned by uid $other"
[ -z "$(ls -A "$WORK/theirs")" ] && [ "$(stat -c %u "$WORK/theirs")" = "$other" ] \
  || fail "a refused init touched the directory"
ok "init refuses an empty HOME owned by another user: ${ERR#plantca: }"

# ---------------------------------------------------------------- every command
expect 0 pc policy set "$SRCDIR/policy/default.policy"
before=$(store_dump)
VERBS=("ca list" "requests" "audit verify" "status" "station list" "policy show" "crl")
refused() {   # what the message must say
  local v
  for v in "${VERBS[@]}"; do
    # shellcheck disable=SC2086
    expect 1 pc $v
    err_has "$@"
  done
}
for m in 0777 0770 0702 0720; do
  chmod "$m" "$CAHOME"
  refused "$CAHOME: writable by group or others (mode $m)" "chmod go-w $CAHOME"
done
chmod 0750 "$CAHOME"
expect 0 pc ca list
chmod 0700 "$CAHOME"
ok "every command refuses a HOME writable by group or others (0777, 0770, 0702, 0720); 0750 is fine"

for f in db db/data.mdb db/lock.mdb policy.conf; do
  m=$(mode "$CAHOME/$f")
  chmod g+w "$CAHOME/$f"
  refused "$CAHOME/$f: writable by group or others" "chmod go-w $CAHOME/$f"
  chmod "$m" "$CAHOME/$f"
  chown nobody "$CAHOME/$f"
  refused "$CAHOME/$f: owned by uid $other" "chown"
  chown 0 "$CAHOME/$f"
done
chown nobody "$CAHOME"
refused "$CAHOME: owned by uid $other"
chown 0 "$CAHOME"
[ "$(store_dump)" = "$before" ] || fail "a refused command changed the store"
expect 0 pc ca list
ok "every command refuses HOME/db, its files and HOME/policy.conf when group-writable or another user's, and HOME owned by another user"

# ---------------------------------------------------------------- PIN and passphrase files
cp "$PIN" "$WORK/pin.loose"
for m in 0644 0640 0604 0620; do
  chmod "$m" "$WORK/pin.loose"
  expect 1 "$PLANTCA" --home "$CAHOME" --pin-file "$WORK/pin.loose" crl --ca line3 -o "$WORK/x.crl"
  err_has "$WORK/pin.loose" "group or others" "chmod 600 $WORK/pin.loose"
done
[ ! -e "$WORK/x.crl" ] && [ "$(store_dump)" = "$before" ] || fail "a refused PIN file signed something"
chmod 0600 "$WORK/pin.loose"
expect 0 "$PLANTCA" --home "$CAHOME" --pin-file "$WORK/pin.loose" crl --ca line3 -o "$WORK/x.crl"
chmod 0644 "$WORK/pin.loose"
expect 1 "$PLANTCA" --home "$WORK/new" --pin-file "$WORK/pin.loose" init --module "$SOFTHSM_MODULE" \
  --token "$TOKEN_LABEL" --subject "/CN=New"
err_has "chmod 600"
[ ! -e "$WORK/new" ] || fail "init with a refused PIN file left a HOME"
ok "a PIN file readable or writable by group or others is refused (crl, init); 0600 works"

printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 0644 "$WORK/pass"
expect 1 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
err_has "$WORK/pass" "chmod 600"
[ ! -e "$WORK/st" ] || fail "station init with a refused passphrase file left a directory"
chmod 0600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
ok "plantca-station refuses a passphrase file readable by others; 0600 works"
done_testing
