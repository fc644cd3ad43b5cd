#!/usr/bin/env bash
# A hostile plant station cannot repaint the officer's screen (issue 9 item
# 2).  CSR subjects carry every kind of byte a terminal acts on or that hides
# or reorders text: C0 (ESC sequences, BEL, NUL), DEL, raw 8-bit CSI 0x9b,
# UTF-8 encoded C1 (U+009B), bidi overrides and isolates (U+202E, U+2066),
# zero-width and format characters (U+200B, U+FEFF, U+2028, U+E0001),
# invalid UTF-8.  Every verb that shows untrusted text is run, text and
# --json, and an independent checker (no_controls.py, Python's unicodedata)
# finds none of them in any stdout or stderr; the escapes are there instead.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"

NC="$SRCDIR/tests/integration/no_controls.py"

# the judge itself must be able to fail
printf 'ok\n\tcaf\xc3\xa9\n' >"$WORK/judge-good"
python3 "$NC" "$WORK/judge-good" || fail "no_controls.py refuses clean text"
for s in '\x1b[2J' '\x07' '\x7f' '\x9b' '\xc2\x9b' '\xe2\x80\xae' '\xe2\x81\xa6' \
    '\xe2\x80\x8b' '\xef\xbb\xbf' '\xe2\x80\xa8' '\xf3\xa0\x80\x81' '\xe9' '\x00'; do
  printf "a${s}b" >"$WORK/judge-bad"
  if python3 "$NC" "$WORK/judge-bad" 2>/dev/null; then fail "no_controls.py misses $s"; fi
done
ok "the checker flags every class and passes clean UTF-8"

make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3

# --- the hostile CSRs (one key: the policy does not care)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/k.pem" 2>/dev/null
mkdir "$WORK/dev"
n=0
csr() {   # NAME ATTR... : a tls-server CSR with a DNS SAN of its own
  local name=$1; shift
  n=$((n + 1))
  raw "$WORK/k.pem" "$WORK/dev/$name.csr" --san "dns:d$n.line3.plant.local" "$@"
}
# refused by the name rules (controls, C1, invalid UTF-8)
csr esc 'O=utf8:Acme' 'CN=utf8:\x1b[2J\x1b[1;1Hpump-ok\x07'
csr csi8 'CN=utf8:pump\x9b31mred'
csr c1 'CN=utf8:pump\xc2\x9b31mred'
csr del 'OU=utf8:ops\x7f'
csr nul 'O=utf8:Acme\x00Evil' 'CN=utf8:nul'
csr latin1 'CN=utf8:caf\xe9'
csr pesc 'C=printable:DE' 'ST=printable:\x1b[31mBY' 'CN=utf8:pesc'
# accepted by the name rules: shown escaped
csr bidi 'O=utf8:Acme \xe2\x81\xa6x\xe2\x81\xa9' 'CN=utf8:pump-\xe2\x80\xaegpj.exe'
csr invis 'CN=utf8:pu\xe2\x80\x8bmp\xef\xbb\xbf\xe2\x80\xa8\xf3\xa0\x80\x81'
# refused by the profile (mqtt-client allows C O OU and CN): the reason
# quotes the value
raw "$WORK/k.pem" "$WORK/dev/lbidi.csr" 'L=utf8:Berlin\xe2\x80\xae' 'CN=utf8:lbidi'
raw "$WORK/k.pem" "$WORK/dev/lesc.csr" 'L=utf8:\x1b]0;owned\x07Berlin' 'CN=utf8:lesc'

run() {   # NAME CMD... : run, keep stdout and stderr for the checker
  local name=$1; shift
  local rc=0
  "$@" >"$WORK/cap.$name.out" 2>"$WORK/cap.$name.err" || rc=$?
  OUT=$(cat "$WORK/cap.$name.out"); ERR=$(cat "$WORK/cap.$name.err")
  RC=$rc
}
bundle() {   # MEDIA : a request bundle with every CSR
  expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-server \
    "$WORK"/dev/{esc,csi8,c1,del,nul,latin1,pesc,bidi,invis}.csr \
    --profile mqtt-client "$WORK/dev/lbidi.csr" "$WORK/dev/lesc.csr" -o "$1"
  ls "$1"/*.tar
}
mkdir "$WORK/usb1" "$WORK/usb2" "$WORK/issued"
b1=$(bundle "$WORK/usb1")

run import pc import "$b1"
[ "$RC" = 0 ] || fail "import: exit $RC: $ERR"
run requests pc requests
run requests-json pc --json requests
run approve pc approve --all
run sign pc sign
[ "$RC" = 0 ] || fail "sign: exit $RC: $OUT $ERR"
b2=$(bundle "$WORK/usb2")
run import-json pc --json import "$b2"
run approve2 pc approve --all
run sign-json pc --json sign
run certs pc certs
run certs-json pc --json certs
serials=$(pc --json certs | python3 -c '
import json, sys
print(" ".join(c["serial"] for c in json.load(sys.stdin) if c["kind"] == "leaf"))')
k=0
for s in $serials; do
  k=$((k + 1))
  run "show$k" pc show "$s"
  run "show-json$k" pc --json show "$s"
  pc show "$s" --pem >"$WORK/leaf$k.pem"
done
run audit pc audit log
run audit-json pc --json audit log
# issue and its refusal message (fail() in main.c)
issue_rcs=
for c in esc csi8 c1 latin1 lbidi lesc; do
  run "issue-$c" pc issue "$WORK/dev/$c.csr" --ca line3 --profile mqtt-client -o "$WORK/issued/$c.pem"
  issue_rcs="$issue_rcs $c:$RC"
done
run issue-ok pc --json issue "$WORK/dev/bidi.csr" --ca line3 --profile tls-server -o "$WORK/issued/b.pem"
# the station: a root whose CN has a bidi override and a C1 CSI (init
# prints the root's CN), and accepting the response bundle
openssl req -x509 -new -key "$WORK/k.pem" -utf8 -days 30 -out "$WORK/hroot.pem" \
  -subj "/CN=$(printf 'Root \xe2\x80\xae\xc2\x9b31m CA')"
run st-init "$STATION" init "$WORK/st2" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$WORK/hroot.pem" --passphrase-file "$WORK/pass"
run st-init-json "$STATION" init "$WORK/st3" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$WORK/hroot.pem" --passphrase-file "$WORK/pass" --json
mkdir "$WORK/usb3"
expect 0 pc export line3 "$WORK/usb3"
run st-accept "$STATION" accept "$WORK/st" "$(ls "$WORK"/usb3/*.tar)" --out "$WORK/pki"

python3 "$NC" "$WORK"/cap.* || fail "control, C1, bidi or invisible characters reached a terminal (above)"
ok "no control, C1, bidi or format character in the output of $(ls "$WORK"/cap.*.out | wc -l) runs"
[ "$issue_rcs" = " esc:1 csi8:1 c1:1 latin1:1 lbidi:1 lesc:1" ] || fail "issue exit codes:$issue_rcs"
[ "$(wc -w <<<"$serials")" = 4 ] || fail "expected 4 leaf certificates (bidi, invis twice): $serials"

# --- and what the officer sees instead: the escapes
cat "$WORK"/cap.import.out "$WORK"/cap.requests.out >"$WORK/screen"
for want in 'CN: '"'"'\x1b[2J\x1b[1;1Hpump-ok\x07'"'" "pump\\x9b31mred" "pump\\u009b31mred" \
    "ops\\x7f" "Acme\\x00Evil" "caf\\xe9" "\\x1b[31mBY" "Berlin\\u202e" "\\x1b]0;owned\\x07Berlin" \
    'pump-\u202egpj.exe' 'Acme \u2066x\u2069' 'pu\u200bmp\ufeff\u2028\U000e0001'; do
  grep -qF -- "$want" "$WORK/screen" || fail "review screen lacks $want: $(cat "$WORK/screen")"
done
ok "import and the review screen show every hostile value escaped"
python3 - "$WORK/cap.requests-json.out" "$WORK/cap.certs-json.out" "$WORK/cap.audit-json.out" <<'PY' \
  || fail "JSON output"
import json, sys
reqs = json.load(open(sys.argv[1]))
subj = {r["member"]: r["subject"] for r in reqs}
# JSON consumers get the visible escape, not the character
assert subj["bidi.csr"] == "CN=pump-\\u202egpj.exe,O=Acme \\u2066x\\u2069", subj["bidi.csr"]
assert "\u202e" not in json.dumps(reqs, ensure_ascii=False)
why = {r["member"]: r["reason"] for r in reqs}
assert "'\\x1b]0;owned\\x07Berlin'" in why["lesc.csr"], why["lesc.csr"]
assert "L='Berlin\\u202e'" in why["lbidi.csr"], why["lbidi.csr"]
certs = json.load(open(sys.argv[2]))
assert any(c["subject"] == "CN=pump-\\u202egpj.exe,O=Acme \\u2066x\\u2069" for c in certs), certs
json.load(open(sys.argv[3]))
PY
grep -qF 'CN=pump-\u202egpj.exe' "$WORK/cap.show1.out" "$WORK/cap.show2.out" "$WORK/cap.show3.out" \
  "$WORK/cap.show4.out" || fail "show: $(cat "$WORK"/cap.show*.out)"
grep -qF 'Root \u202e\u009b31m CA' "$WORK/cap.st-init.out" || fail "station init: $(cat "$WORK/cap.st-init.out")"
ok "JSON (requests, certs, audit) holds the visible escapes; show and station init too"

# the certificates issued with bidi and invisible characters are what the
# CSR asked for, byte for byte (OpenSSL reads them)
for k in 1 2 3 4; do
  openssl x509 -in "$WORK/leaf$k.pem" -noout -subject -nameopt RFC2253,-esc_msb >>"$WORK/subjects"
done
grep -qF "$(printf 'CN=pump-\xe2\x80\xaegpj.exe')" "$WORK/subjects" || fail "bidi subject: $(cat -v "$WORK/subjects")"
grep -qF "$(printf 'CN=pu\xe2\x80\x8bmp\xef\xbb\xbf\xe2\x80\xa8\xf3\xa0\x80\x81')" "$WORK/subjects" \
  || fail "invisible subject: $(cat -v "$WORK/subjects")"
ok "the issued subjects hold the requested characters (openssl x509)"
done_testing
