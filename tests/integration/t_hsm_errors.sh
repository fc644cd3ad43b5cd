#!/usr/bin/env bash
# Clear errors for a wrong PIN, a missing token and a module that does not load.
. "$(dirname "$0")/lib.sh"

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
done_testing
