#!/usr/bin/env bash
# Recovery completes interrupted intents through the request hook
# (ca/request_state.c) with the legacy rule, and abandons the ones whose
# request can no longer be issued:
#   - `plantca sign` is killed at its first signature (fault point
#     hsm.sign), its first group of intents committed (their requests
#     "signing");
#   - the store is edited: one of those requests becomes "rejected", the
#     others "approved", as a plantca from before the "signing" state left
#     them;
#   - the next sign completes the "approved" ones (each request marked
#     issued once) and abandons the rejected one (issue.abandoned, no
#     certificate), and audit verify finds the store consistent.
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
[ "${FAULT_POINTS:-false}" = true ] || { echo "SKIP: built without -Dfault_points=true (the kill lands at fault point hsm.sign)" >&2; exit 77; }

N=600          # more than one group (CA_ISSUE_GROUP 512): the kill lands in the first
make_ca
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
mkdir "$WORK/dev" "$WORK/usb"
mkcsr p256 dev "$WORK/dev/0.csr"
for i in $(seq 1 "$N"); do cp "$WORK/dev/0.csr" "$WORK/dev/$i.csr"; done
rm "$WORK/dev/0.csr" "$WORK/dev/0.csr.key"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile tls-client \
  "$WORK"/dev/*.csr -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/*.tar
expect 0 pc approve --all

intents() { mdb_stat -s intents "$CAHOME/db" 2>/dev/null | sed -n 's/^ *Entries: //p'; }
# Killed at the first signature the token makes (fault point hsm.sign):
# the first group's intents are committed by then, its certificates not.
# Deterministic, unlike a kill timed by watching the store (which lost the
# race whenever sign finished first under load).
rc=0
PLANTCA_FAULT=hsm.sign:1:kill "$PLANTCA" --home "$CAHOME" --pin-file "$PIN" sign >/dev/null \
  2>"$WORK/sign1.err" </dev/null || rc=$?
[ "$rc" -eq 137 ] || fail "sign was not killed at its first signature: exit $rc: $(cat "$WORK/sign1.err")"
pending=$(intents)
[ "${pending:-0}" -gt 1 ] || fail "sign killed at its first signature with ${pending:-no} intents committed"
ok "sign killed with $pending intents committed"

# A request record's status is field 2: tag 02, u32 length, the bytes
# (common/rec.h).  The first "signing" becomes "rejected", the others
# "approved", in the records and in their status index.
mdb_dump -a "$CAHOME/db" >"$WORK/dump"
python3 - "$WORK/dump" "$pending" <<'PY' || fail "editing the dump"
import sys
path, pending = sys.argv[1], int(sys.argv[2])
s = open(path).read()
field = lambda t: "02%08x" % len(t) + t.encode().hex()
assert s.count(field("signing")) == pending, (s.count(field("signing")), pending)
s = s.replace(field("signing"), field("rejected"), 1).replace(field("signing"), field("approved"))
# the status index (req-by-status: STATUS NUL id) says the same, in the
# same id order: what ca_request_put would have written
head, sec = s.split("database=req-by-status\n", 1)
sec, tail = sec.split("DATA=END\n", 1)
key = lambda t: "\n " + (t.encode() + b"\0").hex()
assert sec.count(key("signing")) == pending, (sec.count(key("signing")), pending)
sec = sec.replace(key("signing"), key("rejected"), 1).replace(key("signing"), key("approved"))
s = head + "database=req-by-status\n" + sec + "DATA=END\n" + tail
open(path, "w").write(s)
PY
rm "$CAHOME/db/data.mdb" "$CAHOME/db/lock.mdb"
mdb_load -f "$WORK/dump" "$CAHOME/db" 2>/dev/null || fail "mdb_load"
chmod 600 "$CAHOME/db/data.mdb" "$CAHOME/db/lock.mdb"
expect 0 pc requests --status signing
out_has "no signing requests"

expect 0 pc sign
err_has "completed $((pending - 1)) interrupted issuance(s)" \
  "abandoned 1 interrupted issuance(s)"
pc --json requests >"$WORK/reqs.json"
pc --json certs >"$WORK/certs.json"
python3 - "$WORK/reqs.json" "$WORK/certs.json" "$N" <<'PY' || fail "requests and certificates disagree"
import json, sys
reqs = json.load(open(sys.argv[1]))
certs = [c for c in json.load(open(sys.argv[2])) if c["kind"] == "leaf"]
n = int(sys.argv[3])
issued = [r for r in reqs if r["status"] == "issued"]
rejected = [r for r in reqs if r["status"] == "rejected"]
assert len(issued) == n - 1 and len(rejected) == 1, (len(issued), len(rejected))
serials = [r["serial"] for r in issued]
assert len(set(serials)) == len(serials) == len(certs), "a request issued twice"
assert set(c["serial"] for c in certs) == set(serials), "certificate without its request"
assert rejected[0]["serial"] not in set(serials), "the rejected request has a certificate"
PY
expect 0 pc audit verify
expect 0 pc audit log
[ "$(grep -c 'issue.abandoned' <<<"$OUT")" -eq 1 ] || fail "not one issue.abandoned event"
[ "$(grep -c 'issue.recovered' <<<"$OUT")" -eq $((pending - 1)) ] || fail "issue.recovered count"
ok "recovery: $((pending - 1)) legacy intents completed and their requests issued, the rejected one abandoned"
done_testing
