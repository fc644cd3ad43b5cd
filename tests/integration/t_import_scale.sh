#!/usr/bin/env bash
# Import matches BUNDLE's csr lines to the bundle's members in O(n log n)
# (issue 9 item 8: the search was quadratic, 60,000 members took 44 s).
# The test asserts no time: it imports a bundle of 150,000 members (their
# csr lines in the reverse of the tar order, each naming its own profile)
# and checks every request got its own member and profile.  Before the fix
# this import alone outlasted the test's timeout (meson.build); timings
# are in scripts/bench-import.
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

expect 0 pc --json requests
python3 - "$WORK/out" "$N" <<'PY' || fail "requests do not match their members"
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
done_testing
