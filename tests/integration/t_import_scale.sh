#!/usr/bin/env bash
# Import matches BUNDLE's csr lines to the bundle's members in O(n log n)
# (issue 9 item 8: the search was quadratic, 60,000 members took 44 s).
# The test asserts no time: it imports a bundle of 150,000 members (their
# csr lines in the reverse of the tar order, each naming its own profile)
# and checks every request got its own member and profile.  Before the fix
# this import alone outlasted the test's timeout (120 s, meson.build; the
# quadratic search needs about 170 s for 150,000 members on the 2-core VM,
# the linear one about 1 s); timings are in scripts/bench-import.
. "$(dirname "$0")/lib.sh"

N=${IMPORT_SCALE_MEMBERS:-150000}
make_ca
minisign -G -W -p "$WORK/st.pub" -s "$WORK/st.key" >/dev/null
expect 0 pc station add line3 "$WORK/st.pub" --ca line3
mkdir "$WORK/usb"
b=$(python3 "$SRCDIR/tests/integration/mkbundle.py" --key "$WORK/st.key" --pub "$WORK/st.pub" \
  --segment line3 --sequence 1 -o "$WORK/usb" --many "$N" --reverse)
expect 0 pc import "$b"
out_has "0 pending, 0 approved by policy, $N rejected"
ok "a bundle of $N members imports"

pc --json requests >"$WORK/requests.json" || fail "requests --json"   # 60 MB: not into $OUT
python3 - "$WORK/requests.json" "$N" <<'PY' || fail "requests do not match their members"
import json, sys
reqs = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert len(reqs) == n, len(reqs)
seen = set()
for r in reqs:
    k = int(r["member"][1:7])            # m000123.csr
    assert r["profile"] == "p%d" % (k % 7), r
    assert r["status"] == "rejected", r
    seen.add(k)
assert seen == set(range(n)), "members missing or twice"
PY
ok "each of the $N requests has its own member and the profile of its csr line"

# both directions (a smaller bundle: the scale is shown above): one .csr
# member without a line, one line without a member
M=1000
printf 'x\n' >"$WORK/x.csr"
before=$(store_dump)
b=$(python3 "$SRCDIR/tests/integration/mkbundle.py" --key "$WORK/st.key" --pub "$WORK/st.pub" \
  --segment line3 --sequence 2 -o "$WORK/usb" --many "$M" --unlisted extra.csr="$WORK/x.csr")
expect 1 pc import "$b"
err_has "$(basename "$b")" "member extra.csr has no csr line in BUNDLE"
rm -f "$b" "$b.minisig"
b=$(python3 "$SRCDIR/tests/integration/mkbundle.py" --key "$WORK/st.key" --pub "$WORK/st.pub" \
  --segment line3 --sequence 2 -o "$WORK/usb" --many "$M" --orphan-line ghost.csr)
expect 1 pc import "$b"
err_has "$(basename "$b")" "BUNDLE has a csr line for ghost.csr, which is not in the bundle"
[ "$(store_dump)" = "$before" ] || fail "a refused bundle changed the store"
ok "among $M members, a .csr member without a csr line and a csr line without a member are refused"
done_testing
