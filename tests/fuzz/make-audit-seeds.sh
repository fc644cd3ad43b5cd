#!/usr/bin/env bash
# Seeds for fuzz_checkpoint (transfer/checkpoint.c) and fuzz_trail
# (transfer/station/audit.c).  The valid checkpoint is signed by OpenSSL
# (Ed25519) with a throwaway key, so the parser's notion of the signed
# bytes is checked against an independent signer; the bad ones are edits
# of it.  The tables tests/unit/station/bad-checkpoint.txt and
# bad-trail.txt give the message each bad seed must produce.
# Run from the source root: tests/fuzz/make-audit-seeds.sh
set -euo pipefail
c=tests/fuzz/corpus/fuzz_checkpoint t=tests/fuzz/corpus/fuzz_trail
mkdir -p "$c" "$t"
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
openssl genpkey -algorithm ED25519 -out "$d/k.pem"
key=$(openssl pkey -in "$d/k.pem" -pubout -outform DER | tail -c 32 | xxd -p -c 64)
head=$(printf 'event 2' | sha256sum | cut -c1-64)
printf 'plantca audit checkpoint 1\nsequence: 2\nhead: %s\ntime: 1764590000\nkey: %s\n' "$head" "$key" >"$d/msg"
sig=$(openssl pkeyutl -sign -inkey "$d/k.pem" -rawin -in "$d/msg" | xxd -p -c 128)
v=$c/valid-openssl.txt
{ cat "$d/msg"; printf 'signature: %s\n' "$sig"; } >"$v"
sed 's/^time: 1764590000/time: 1764590001/' "$v" >"$c/badsig-time.txt"
printf 'plantca audit checkpoint 2\n' >"$c/bad-magic.txt"; tail -n +2 "$v" >>"$c/bad-magic.txt"
sed 's/^sequence: 2/sequence: 02/' "$v" >"$c/bad-leading-zero.txt"
sed 's/^sequence: 2/sequence: 0/' "$v" >"$c/bad-seq-zero.txt"
sed 's/^sequence: 2/sequence: +2/' "$v" >"$c/bad-seq-plus.txt"
sed 's/^sequence: 2/sequence: 18446744073709551616/' "$v" >"$c/bad-seq-overflow.txt"
sed '/^head: /{s/^head: //;y/abcdef/ABCDEF/;s/^/head: /}' "$v" >"$c/bad-head-upper.txt"
sed 's/^head: ./head: /' "$v" >"$c/bad-head-short.txt"
sed 's/^key: /key:  /' "$v" >"$c/bad-key-space.txt"
sed 's/^signature: ../signature: /' "$v" >"$c/bad-sig-short.txt"
grep -v '^time:' "$v" >"$c/bad-no-time.txt"
{ cat "$v"; printf 'extra\n'; } >"$c/bad-trailing.txt"
head -c -1 "$v" >"$c/bad-no-final-newline.txt"
sed 's/$/\r/' "$v" >"$c/bad-crlf.txt"
python3 -c "import sys; sys.stdout.write(open('$v').read() + 'x' * 1024)" >"$c/bad-too-long.txt"

hx() { printf '%s' "$1" | xxd -p -c 1000; }
printf 'plantca audit trail 1\n1 1764590000 %s %s 6f6b -\n2 1764590001 %s - 6f6b %s\n' \
  "$(hx init)" "$(hx 5f)" "$(hx crl)" "$(hx 'CRL number 2')" >"$t/valid-two.trail"
printf 'plantca audit trail 1\n' >"$t/valid-empty.trail"
printf 'plantca audit trail 2\n' >"$t/bad-magic.trail"
printf 'plantca audit trail 1\n2 1 - - - -\n' >"$t/bad-starts-at-2.trail"
printf 'plantca audit trail 1\n1 1 - - - -\n3 1 - - - -\n' >"$t/bad-gap.trail"
printf 'plantca audit trail 1\n1 1 - - -\n' >"$t/bad-five-fields.trail"
printf 'plantca audit trail 1\n1 1 - - - - -\n' >"$t/bad-seven-fields.trail"
printf 'plantca audit trail 1\n1  1 - - - -\n' >"$t/bad-double-space.trail"
printf 'plantca audit trail 1\n01 1 - - - -\n' >"$t/bad-leading-zero.trail"
printf 'plantca audit trail 1\n1 1 ABCD - - -\n' >"$t/bad-upper-hex.trail"
printf 'plantca audit trail 1\n1 1 abc - - -\n' >"$t/bad-odd-hex.trail"
printf 'plantca audit trail 1\n1 1 - - - -' >"$t/bad-no-newline.trail"
printf 'plantca audit trail 1\n1 x - - - -\n' >"$t/bad-time.trail"
# found by scripts/fuzz: a NUL inside a hex field made the event hash fail
# as an internal error with no file or line
printf 'plantca audit trail 1\n1 1 - - - 41004200\n' >"$t/crash-nul-in-field.trail"
