#!/usr/bin/env bash
# plantca's command line comes from one verb table: every verb --help lists
# has its own --help and dispatches, and an option a verb does not take is
# refused (exit 2, named), never ignored.  Checked mechanically for every
# verb and every option, with a CA home that does not exist, so nothing
# runs and nothing is created.
source "$(dirname "$0")/lib.sh"

NOHOME=$WORK/nohome
P() { "$PLANTCA" --home "$NOHOME" "$@"; }

expect 0 "$PLANTCA" --help
HELP=$OUT
# the verb lines: two spaces, then the verb's lowercase words
mapfile -t VERBS < <(printf '%s\n' "$HELP" | awk '
  /^Verbs/ { on = 1; next }
  /^Global options:/ { on = 0 }
  on && /^  [a-z]/ { v = ""; for (i = 1; i <= NF && $i ~ /^[a-z]+$/; i++) v = v (v ? " " : "") $i; print v }')
[ "${#VERBS[@]}" -ge 25 ] || fail "only ${#VERBS[@]} verbs in --help: ${VERBS[*]}"
for v in init "ca new" "ca list" "ca cert" issue "policy check" "policy show" "policy set" \
    "station add" "station list" import requests approve reject sign export certs status show \
    revoke crl "firmware signer new" "firmware signer list" "firmware sign" "firmware verify" \
    "firmware list" "firmware publish" "audit log" "audit verify"; do
  printf '%s\n' "${VERBS[@]}" | grep -qx "$v" || fail "--help does not list '$v'"
done
ok "--help lists ${#VERBS[@]} verbs, the design card's among them"

# each verb: its own --help (one usage line, its options), and it dispatches
declare -A TAKES ARG
ALL=()
for v in "${VERBS[@]}"; do
  read -ra w <<<"$v"
  expect 0 "$PLANTCA" "${w[@]}" --help
  [[ "$OUT" == "usage: plantca $v"* ]] || fail "$v --help: $OUT"
  [ "$(grep -c '^usage: ' <<<"$OUT")" -eq 1 ] || fail "$v --help shows more than its own usage"
  line=$(sed -n '/^Options:/,/^Global options:/p' <<<"$OUT" | sed '$d' | tr '\n' ' ' |
    sed 's/^Options: *//')
  TAKES[$v]=" "
  if [ "$line" != "none " ]; then
    IFS=',' read -ra items <<<"$line"
    for it in "${items[@]}"; do
      read -ra f <<<"$it"
      name=${f[0]#-o/}; name=${name#--}
      TAKES[$v]+="$name "
      if [ -z "${ARG[$name]+x}" ]; then ALL+=("$name"); ARG[$name]=$([ "${#f[@]}" -gt 1 ] && echo 1 || echo 0); fi
    done
  fi
  rc=0; P "${w[@]}" --json >"$WORK/out" 2>"$WORK/err" || rc=$?
  ERR=$(cat "$WORK/err")
  [[ "$ERR" != *"unknown verb"* && "$ERR" != *"does not apply"* ]] || fail "$v does not dispatch: $ERR"
  [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || fail "$v: exit $rc without a CA home: $ERR"
  [ ! -e "$NOHOME" ] || fail "$v created $NOHOME"
done
[ "${#ALL[@]}" -ge 25 ] || fail "only ${#ALL[@]} options found: ${ALL[*]}"
ok "every verb has its own --help and dispatches (${#ALL[@]} verb options in all)"

# every option a verb does not list is refused before anything is opened;
# every option it lists gets through
refused=0 passed=0
for v in "${VERBS[@]}"; do
  read -ra w <<<"$v"
  for o in "${ALL[@]}"; do
    args=(--"$o"); [ "${ARG[$o]}" = 1 ] && args+=(1)
    rc=0; P "${w[@]}" "${args[@]}" >"$WORK/out" 2>"$WORK/err" || rc=$?
    ERR=$(cat "$WORK/err")
    if [[ "${TAKES[$v]}" == *" $o "* ]]; then
      [[ "$ERR" != *"does not apply"* ]] || fail "$v refuses its own --$o: $ERR"
      passed=$((passed + 1))
    else
      [ "$rc" -eq 2 ] || fail "$v --$o: exit $rc, expected 2"
      [ "$ERR" = "plantca: $v: option --$o does not apply (plantca $v --help)" ] ||
        fail "$v --$o: $ERR"
      refused=$((refused + 1))
    fi
    [ ! -e "$NOHOME" ] || fail "$v --$o created $NOHOME"
  done
done
ok "$refused verb/option pairs refused, $passed taken"

expect 2 "$PLANTCA" --home "$NOHOME" certs --der
[ "$ERR" = "plantca: certs: option --der does not apply (plantca certs --help)" ] || fail "$ERR"
expect 2 "$PLANTCA" --home "$NOHOME" sign --days 3
[ "$ERR" = "plantca: sign: option --days does not apply (plantca sign --help)" ] || fail "$ERR"
expect 2 "$PLANTCA" --home "$NOHOME" ca list -o "$WORK/x"
[ "$ERR" = "plantca: ca list: option -o does not apply (plantca ca list --help)" ] || fail "$ERR"
[ ! -e "$WORK/x" ] || fail "ca list -o wrote a file"
# the first stray option in command-line order is named
expect 2 "$PLANTCA" --home "$NOHOME" status --der --margin 3 --pem
err_has "option --der does not apply"
ok "certs --der, sign --days, ca list -o: refused by name"

# a half verb or a group: its entries, not "unknown verb"
expect 2 "$PLANTCA" --home "$NOHOME" ca frobnicate
err_has "usage: plantca ca new" "plantca ca list" "plantca ca cert NAME"
expect 0 "$PLANTCA" firmware --help
out_has "firmware signer new" "firmware sign IMAGE" "firmware verify IMAGE" "firmware publish"
expect 2 "$PLANTCA" --home "$NOHOME" frobnicate
err_has "unknown verb 'frobnicate'"
ok "a group's --help lists its verbs; a half verb shows the group's usage"

# bash completion (completion/plantca, which the packages install for both
# programs): what bash offers after TAB, from the programs' own --help
: "${STATION:?}"
comp() {   # PROGRAM WORDS... (the last is the word being completed): COMPREPLY, sorted
  PATH="$(dirname "$PLANTCA"):$(dirname "$STATION"):$PATH" bash -c '
    . "$1/completion/plantca"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _plantca "$1"
    printf "%s\n" "${COMPREPLY[@]}" | sort' comp "$SRCDIR" "$@"
}
[ "$(comp plantca '')" = "$(printf '%s\n' "${VERBS[@]}" | awk '{print $1}' | sort -u)" ] \
  || fail "completion of the first word: $(comp plantca '' | tr '\n' ' ')"
[ "$(comp plantca ca '' | tr '\n' ' ')" = "cert list new roll " ] || fail "plantca ca TAB: $(comp plantca ca '')"
[ "$(comp plantca firmware sign --f | tr '\n' ' ')" = "--format --fw-version " ] \
  || fail "plantca firmware sign --f TAB: $(comp plantca firmware sign --f)"
[ "$(comp plantca-station sc)" = scan ] || fail "plantca-station sc TAB: $(comp plantca-station sc)"
[ "$(comp plantca-station scan DIR --con | tr '\n' ' ')" = "--concurrency --connect-timeout " ] \
  || fail "plantca-station scan DIR --con TAB: $(comp plantca-station scan DIR --con)"
mkdir -p "$WORK/compdir.d"
[ "$(cd "$WORK" && comp plantca --home compd)" = compdir.d ] || fail "--home TAB does not offer directories"
ok "bash completion: the verbs of --help, a group's verbs, a verb's options, plantca-station's verbs and options, directories after --home"
done_testing
