#!/usr/bin/env bash
# plantca report: one self-contained HTML page, checked in a real browser.
# Debian's headless chromium renders it: the DOM it built (--dump-dom) has
# the segments, counts and sections the store holds, a CSR subject with
# markup stays text, the screenshot is not blank and shows the stale
# segment in red, after a root roll the cross-certificates are drawn with
# their dates, and the browser's own network log (--log-net-log) has no
# request for anything but the file itself, also with the page's
# Content-Security-Policy removed (a control page with one remote image
# shows that the log would have caught one).
. "$(dirname "$0")/lib.sh"
: "${STATION:?}"
need chromium "the report is checked in a real browser (scripts/setup installs chromium)"
# the screenshot is read with Pillow (Debian python3-pil, for the system's
# python3, which may not be the first python3 on PATH)
pil_python=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import PIL' 2>/dev/null; then pil_python=$p; break; fi
done
[ -n "$pil_python" ] || { echo "SKIP: python3-pil not installed: the screenshot is read with Pillow (scripts/setup installs it)" >&2; exit 77; }

make_ca
expect 0 pc ca new line4 --subject "/C=DE/O=Acme Plant/CN=Line 4 Issuing CA" \
  --permit dns:line4.plant.local

# line3: a real station (request bundle with a hostile subject); line4: a
# station that never got anything (its segment must show red)
printf 'correct horse battery staple\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
expect 0 "$STATION" init "$WORK/st" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
  --trust "$CAHOME/public/root.pem" --passphrase-file "$WORK/pass"
expect 0 pc station add line3 "$WORK/st/station.pub" --ca line3
minisign -G -W -p "$WORK/st4.pub" -s "$WORK/st4.key" >/dev/null 2>&1 || fail "minisign -G"
expect 0 pc station add line4 "$WORK/st4.pub" --ca line4

# certificates ending this month or next, in about 100 days, in two years;
# one of them revoked
mkdir "$WORK/dev" "$WORK/usb"
for d in 20 100 730; do
  mkcsr p256 "dev$d" "$WORK/dev/dev$d.csr" "DNS:dev$d.line3.plant.local"
  expect 0 pc issue "$WORK/dev/dev$d.csr" --ca line3 --profile tls-client --days "$d" -o "$WORK/dev/dev$d.pem"
done
expect 0 pc revoke "$(serial_of "$WORK/dev/dev100.pem")" --reason keyCompromise
expect 0 pc crl

# a pending request (ldevid waits for the officer) whose CN is markup
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/evil.key" 2>/dev/null
hostile='<img src=x onerror=alert(1)><script>alert(2)</script>&amp;"'"'"'</p>'   # 64 characters, the CN limit
raw "$WORK/evil.key" "$WORK/dev/evil.csr" --san dns:evil.line3.plant.local \
  'serialNumber=printable:SN-0001' "CN=utf8:$hostile"
expect 0 "$STATION" request "$WORK/st" --passphrase-file "$WORK/pass" --profile ldevid \
  "$WORK/dev/evil.csr" -o "$WORK/usb"
expect 0 pc import "$WORK"/usb/line3-request-000001.tar
expect 0 pc requests --status pending
out_has "SN-0001"
expect 0 pc export line3 "$WORK/usb"

before=$(store_dump)
expect 0 "$PLANTCA" --home "$CAHOME" report -o "$WORK/report.html"
[ "$(store_dump)" = "$before" ] || fail "report changed the store"
[ -s "$WORK/report.html" ] || fail "no report written"
expect 0 "$PLANTCA" --home "$CAHOME" report
[ "$OUT" != "" ] && [[ "$OUT" == *"<!DOCTYPE html>"* ]] || fail "report on stdout: $OUT"
ok "report -o FILE and report on stdout; the store is unchanged"

# nothing in the file refers outside it: no script at all, no URL but the
# SVG namespace name (an identifier, never fetched)
python3 - "$WORK/report.html" <<'PY' || fail "the page refers outside itself"
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
assert "<script" not in s, "a script element in the page"
urls = set(re.findall(r"(?:https?|ftp|file|//)[:/][^\s\"'<>)]*", s))
urls.discard("http://www.w3.org/2000/svg")
assert not urls, urls
assert not re.search(r"\b(src|href)\s*=", s), "src/href attribute"
assert "@import" not in s and "url(" not in s, "CSS that loads"
PY
ok "the file has no script, no src/href, no URL, no CSS import"

# ---------------------------------------------------------------- browser
# chromium as root needs --no-sandbox; its own background traffic is
# switched off, every host name resolves to nothing and any proxy use goes
# to a closed port: a page that tried to load something still shows the
# attempt in the net log
browse() {   # OUTDIR PAGE ARGS...: chromium on a page, net log in OUTDIR/net.json
  local dir=$1 page=$2; shift 2
  mkdir -p "$dir"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$dir/profile" --disable-background-networking --disable-component-update \
    --disable-sync --disable-default-apps --no-default-browser-check --disable-extensions \
    --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server='http://127.0.0.1:9' \
    --log-net-log="$dir/net.json" --net-log-capture-mode=Everything \
    "$@" "file://$page" >"$dir/stdout" 2>"$dir/stderr"
}
# The URLs a page asked for, from a net log: requests whose initiator is
# a document (the file's origin is "null").  Chromium's own requests
# (component updates, network time, accounts; none reach anything here)
# have the initiator "not an origin" and are left out; the control page
# below shows that a page's request is counted.
requests() {
  python3 - "$1" "$2" <<'PY'
import json, sys
log, page = sys.argv[1], "file://" + sys.argv[2]
with open(log, encoding="utf-8") as f:
    text = f.read()
try:
    d = json.loads(text)
except json.JSONDecodeError:   # chromium ended before it closed the array
    d = json.loads(text.rstrip().rstrip(",") + "]}")
seen = set()
for ev in d.get("events", []):
    p = ev.get("params") or {}
    url, initiator = p.get("url"), p.get("initiator")
    if not url or initiator is None or initiator == "not an origin":
        continue
    if url != page and not url.startswith(("data:", "about:")):
        seen.add(url)
print("\n".join(sorted(seen)))
PY
}

# control: the net log catches a page's remote image
cat >"$WORK/control.html" <<'EOF'
<!DOCTYPE html><html><body><img src="http://plantca-report-test.invalid/x.png"></body></html>
EOF
browse "$WORK/b0" "$WORK/control.html" --dump-dom
[ -s "$WORK/b0/net.json" ] || fail "chromium wrote no net log: $(cat "$WORK/b0/stderr")"
r=$(requests "$WORK/b0/net.json" "$WORK/control.html")
[ "$r" = "http://plantca-report-test.invalid/x.png" ] || fail "the net log did not show the control page's request alone: $r"
ok "control: a remote image shows in chromium's net log"

browse "$WORK/b1" "$WORK/report.html" --dump-dom
[ -s "$WORK/b1/stdout" ] || fail "no DOM from chromium: $(cat "$WORK/b1/stderr")"
r=$(requests "$WORK/b1/net.json" "$WORK/report.html")
[ -z "$r" ] || fail "the report made requests: $r"
sed '/Content-Security-Policy/d' "$WORK/report.html" >"$WORK/nocsp.html"
browse "$WORK/b2" "$WORK/nocsp.html" --dump-dom
r=$(requests "$WORK/b2/net.json" "$WORK/nocsp.html")
[ -z "$r" ] || fail "the report without its CSP made requests: $r"
ok "chromium's net log: no request but the file, with and without the page's CSP"

# the checkpoint the export carried to the plant (its sequence line)
cp_seq=$(tar xOf "$(ls "$WORK"/usb/line3-response-*.tar | tail -1)" audit-checkpoint.txt | sed -n 's/^sequence: //p')
[ -n "$cp_seq" ] || fail "the response bundle carries no audit checkpoint"
python3 - "$WORK/b1/stdout" "$hostile" "$cp_seq" <<'PY' || fail "the DOM chromium built is not the expected one"
import sys
from html.parser import HTMLParser

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.els, self.stack, self.text = [], [], {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        a["_tag"] = tag
        a["_path"] = [x.get("id") for x in self.stack if x.get("id")]
        self.els.append(a)
        if tag not in ("meta", "br", "rect", "line", "img", "input"):
            self.stack.append(a)
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1]["_tag"] == tag:
            self.stack.pop()
    def handle_endtag(self, tag):
        if tag not in [x["_tag"] for x in self.stack]:
            return
        while self.stack:
            if self.stack.pop()["_tag"] == tag:
                break
    def handle_data(self, data):
        for x in self.stack:
            x["_text"] = x.get("_text", "") + data

dom = Dom()
dom.feed(open(sys.argv[1], encoding="utf-8").read())
hostile = sys.argv[2]
def find(tag=None, cls=None, **kv):
    out = []
    for e in dom.els:
        if tag and e["_tag"] != tag:
            continue
        if cls and cls not in (e.get("class") or "").split():
            continue
        if any(e.get(k.replace("_", "-")) != v for k, v in kv.items()):
            continue
        out.append(e)
    return out
def one(what, xs):
    assert len(xs) == 1, "%s: %d elements" % (what, len(xs))
    return xs[0]

# the sections, each once
for s in ("hierarchy", "segments", "expiry", "pending", "revocations", "checkpoint"):
    one("section " + s, find("section", id=s))
# hierarchy: root, two issuing CAs, two edges, expiry dates
cas = find("g", "ca")
assert sorted(e["data-ca"] for e in cas) == ["line3", "line4", "root"], cas
assert len(find("g", "root")) == 1 and len(find("g", "issuing")) == 2
assert len(find("line", "edge")) == 2
assert all("until 20" in e.get("_text", "") for e in cas), [e.get("_text") for e in cas]
# segments: line3 exported with fresh CRLs (7 days), line4 never: red
l3 = one("segment line3", find("tr", "segment", data_segment="line3"))
l4 = one("segment line4", find("tr", "segment", data_segment="line4"))
assert l3["data-stale"] == "no" and l3["data-days-left"] in ("6", "7"), l3
assert l4["data-stale"] == "yes" and "stale" in l4["class"].split(), l4
assert "never exported" in l4["_text"], l4["_text"]
# chart: 12 months and 'later'; the bars count every valid certificate
ex = one("expiry", find("section", id="expiry"))
bars = find("rect", "bar")
assert len(bars) == 13 and bars[-1]["data-month"] == "later", bars
total = sum(int(b["data-count"]) for b in bars)
assert ex["data-valid"] == "4" and total == 4, (ex, total)   # 2 issuing CAs + 2 leaves
assert ex["data-revoked"] == "1", ex
assert int(bars[-1]["data-count"]) >= 3, bars[-1]            # 730 days, the CAs
assert sum(int(b["data-count"]) for b in bars[:3]) == 1, bars[:3]   # the 20-day one
# the pending request and its subject: text, not markup
req = one("pending request", find("tr", "request"))
assert one("pending", find("section", id="pending"))["data-count"] == "1"
subj = one("subject cell", [e for e in find("td", "subject") if "pending" in e["_path"]])
# the whole CN, as text (RFC 4514 puts a backslash before < > = " ; +)
assert hostile in subj["_text"].replace("\\", ""), subj["_text"]
assert not find("img") and not find("script"), "markup got in"
assert not find(tag="title") or all(e.get("_text") == "plantca report" for e in find(tag="title"))
# revocations: the one revoked certificate
rv = one("revocation", find("tr", "revocation"))
assert "keyCompromise" in rv["_text"] and "dev100" in rv["_text"], rv["_text"]
# the export signed a checkpoint: the section shows it, its signature
# checked, at the sequence the store holds (sys.argv[3])
cp = one("checkpoint", find("section", id="checkpoint"))
assert cp["data-count"] == "1" and cp["data-verified"] == "yes", cp
assert cp["data-seq"] == sys.argv[3], (cp["data-seq"], sys.argv[3])
assert "Its signature verifies" in cp["_text"], cp["_text"]
PY
ok "DOM: sections, 3 CAs and 2 edges, line3 fresh and line4 red, 13 bars counting 4 valid, 1 pending (its markup subject is text), 1 revocation, the last checkpoint verified"

browse "$WORK/b3" "$WORK/report.html" --screenshot="$WORK/shot.png" --window-size=1200,1800 \
  --hide-scrollbars
[ -s "$WORK/shot.png" ] || fail "no screenshot: $(cat "$WORK/b3/stderr")"
info=$("$pil_python" - "$WORK/shot.png" <<'PY'
import sys
from PIL import Image, ImageStat
im = Image.open(sys.argv[1]).convert("RGB")
assert im.size == (1200, 1800), im.size
st = ImageStat.Stat(im.convert("L"))
assert st.stddev[0] > 10, "grey-level deviation %.1f: blank" % st.stddev[0]
colours = im.getcolors(1 << 20)
assert colours and len(colours) > 50, "%d colours" % len(colours or [])
# the stale segment's cells (#f8d0d0) and the chart's bars (#2e6da4)
px = im.getdata()
def near(c, t): return all(abs(a - b) <= 6 for a, b in zip(c, t))
red = sum(1 for c in px if near(c, (0xf8, 0xd0, 0xd0)))
blue = sum(1 for c in px if near(c, (0x2e, 0x6d, 0xa4)))
assert red > 200 and blue > 200, (red, blue)
print("stddev %.1f, %d colours, %d red, %d blue pixels" % (st.stddev[0], len(colours), red, blue))
PY
) || fail "the screenshot is blank or lacks the red segment and the bars"
ok "screenshot 1200x1800 not blank: $info"

# ---------------------------------------------------------------- root roll
# after plantca root roll the diagram has both root key generations and the
# cross-certificates: NewWithOld and OldWithNew between them, and from the
# replaced root to each issuing CA it re-certified, each dated as openssl
# reads the certificate itself
pc ca cert line4 >"$WORK/line4.pem"
expect 0 pc root roll
expect 0 "$PLANTCA" --home "$CAHOME" report -o "$WORK/roll.html"
browse "$WORK/b4" "$WORK/roll.html" --dump-dom
[ -s "$WORK/b4/stdout" ] || fail "no DOM from chromium: $(cat "$WORK/b4/stderr")"
r=$(requests "$WORK/b4/net.json" "$WORK/roll.html")
[ -z "$r" ] || fail "the report after the roll made requests: $r"
enddate() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }
openssl verify -x509_strict -CAfile "$WORK/root.pem" "$CAHOME/public/root-newwithold.gen2.pem" >/dev/null \
  || fail "NewWithOld does not verify under the old root"
python3 - "$WORK/b1/stdout" "$WORK/b4/stdout" "$(enddate "$CAHOME/public/root-newwithold.gen2.pem")" \
  "$(enddate "$CAHOME/public/root-oldwithnew.gen2.pem")" "$(enddate "$WORK/line3.pem")" \
  "$(enddate "$WORK/line4.pem")" <<'PY' || fail "the DOM after the root roll is not the expected one"
import sys
from html.parser import HTMLParser

class Dom(HTMLParser):
    """elements with their attributes and the text inside them"""
    def __init__(self):
        super().__init__()
        self.els, self.open = [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs, _tag=tag, _text="")
        self.els.append(a)
        self.open.append(a)
    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()["_tag"] == tag:
                break
    def handle_data(self, data):
        for x in self.open:
            x["_text"] += data
    def find(self, tag, cls):
        return [e for e in self.els if e["_tag"] == tag and cls in (e.get("class") or "").split()]

def dom(path):
    d = Dom()
    d.feed(open(path, encoding="utf-8").read())
    return d

before, after = dom(sys.argv[1]), dom(sys.argv[2])
nwo, own, l3, l4 = sys.argv[3:7]
assert not before.find("line", "cross") and not before.find("tr", "cross"), "a cross-certificate before any roll"
roots = after.find("g", "root")
assert sorted((e["data-gen"], "replaced" in e["class"].split()) for e in roots) == [("1", True), ("2", False)], roots
assert "gen 1 (replaced)" in [e for e in roots if e["data-gen"] == "1"][0]["_text"]
lines = sorted((e["data-kind"], e.get("stroke-dasharray")) for e in after.find("line", "cross"))
assert lines == [("NewWithOld", "6 4"), ("OldWithNew", "6 4"), ("previous-root", "6 4"), ("previous-root", "6 4")], lines
rows = {(e["data-kind"], e["data-subject"]): e for e in after.find("tr", "cross")}
assert len(rows) == 4, rows
want = {("NewWithOld", "root"): ("1", "2", nwo), ("OldWithNew", "root"): ("2", "1", own),
        ("previous-root", "line3"): ("1", "1", l3), ("previous-root", "line4"): ("1", "1", l4)}
for k, (ig, sg, until) in want.items():
    e = rows[k]
    assert e["data-issuer-gen"] == ig and e["data-subject-gen"] == sg, (k, e)
    assert until in e["_text"], (k, until, e["_text"])
# the current root's edges to its issuing CAs stay solid
solid = [e for e in after.find("line", "edge") if "cross" not in e["class"].split()]
assert len(solid) == 2 and not any(e.get("stroke-dasharray") for e in solid), solid
PY
ok "after root roll: root generations 1 (replaced) and 2, NewWithOld, OldWithNew and line3's and line4's certificates from the old root drawn dashed, each with openssl's notAfter; no cross-certificate before the roll"

# refused: a directory that does not exist; the store and that path untouched
expect 2 "$PLANTCA" --home "$CAHOME" report -o "$WORK/nodir/r.html"
err_has "$WORK/nodir/r.html"
[ ! -e "$WORK/nodir" ] || fail "report created a directory"
expect 2 "$PLANTCA" --home "$CAHOME" report --der
err_has "does not apply"
ok "report into a missing directory fails naming the file; a stray option is refused"
done_testing
