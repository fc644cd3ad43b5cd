#!/usr/bin/env bash
# The README's first command must keep working: run scripts/demo with the
# programs just built, into a temp dir, and check that it ends with the OPC UA
# store verified against the delivered CRLs.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
# The README runs scripts/demo on its own: it then takes the programs from
# scripts/build, which must name the very programs this suite tests (asked
# with --names: building here would relink programs other tests run; it
# once named a plantca-station that no build makes, and the README's demo
# failed while this test, given the programs, passed).
out=$(cd "$SRCDIR" && BUILD_DIR=$(dirname "$(dirname "$PLANTCA")") scripts/build --names) \
  || fail "scripts/build failed: $out"
named=$(sed 1d <<<"$out")
for v in PLANTCA STATION; do
  p=$(bash -c "$named"$'\n'"echo \$$v")
  [ -x "$p" ] && [ "$(realpath "$p")" = "$(realpath "${!v}")" ] ||
    fail "scripts/build names $v=$p, but the suite tests ${!v}"
done
ok "scripts/build names the programs this suite tests"
DEMO_PLANTCA=$PLANTCA DEMO_STATION=$STATION "$SRCDIR/scripts/demo" "$WORK/demo" >"$WORK/demo.log" 2>&1 \
  || { tail -30 "$WORK/demo.log"; fail "scripts/demo failed"; }
grep -q '^Demo finished' "$WORK/demo.log" || fail "demo did not finish"
[ "$(grep -c ': OK$' "$WORK/demo.log")" -eq 4 ] || { tail -30 "$WORK/demo.log"; fail "not all 4 device certificates verified"; }
ls "$WORK"/demo/plant-pki/trusted/crl/*.crl "$WORK"/demo/plant-pki/issuers/crl/*.crl >/dev/null || fail "no CRLs in the plant PKI"
ok "scripts/demo runs end to end: request bundle in, certificates, CRLs and trust bundle out"
done_testing
