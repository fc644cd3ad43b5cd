#!/usr/bin/env python3
"""check_format_page.py - a format page (section 5) says what its document says.

    check_format_page.py PANDOC DOC.md PAGE.5 NAME 'description'

plantca-bundle(5) and plantca-policy(5) are made by pandoc from
docs/bundle-format.md and docs/policy-format.md (doc/meson.build,
doc/manpage.lua).  The document is read by pandoc itself (its JSON AST),
the page is rendered by groff as man(1) renders it on an 80-column
terminal, and:

  - groff and tbl give no warning at all (-ww): no table wider than the
    line, no line that cannot be broken or adjusted;
  - the page's sections are NAME ("NAME - description", what whatis(1)
    reads), SYNOPSIS, DESCRIPTION, then one per "##" heading of the
    document, in its order, and SEE ALSO; every "###" heading is a
    subsection;
  - every line of every code block is on the page as it is;
  - every table of at most four columns is a table on the page (tbl), every
    wider one a list whose items begin with the first cell of each row;
  - no rendered line is wider than 80 columns unless it is a code line of
    the document (verbatim, as written).

Each finding is printed; exit 1 if there is any.
"""
import json
import os
import re
import subprocess
import sys

WIDE = 4  # doc/manpage.lua: wider tables become lists


def text(inlines):
    out = []
    for el in inlines:
        t, c = el["t"], el.get("c")
        if t == "Str":
            out.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif t == "Code":
            out.append(c[1])
        elif t in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            out.append(text(c))
        elif t in ("Link", "Span", "Quoted"):
            out.append(text(c[1]) if t != "Quoted" else text(c[1]))
    return "".join(out)


def blocks_text(blocks):
    return " ".join(text(b["c"]) for b in blocks if b["t"] in ("Plain", "Para"))


def walk(blocks, found):
    """headings, code blocks and tables of a block list, nested ones too"""
    for b in blocks:
        t, c = b["t"], b.get("c")
        if t == "Header":
            found["headings"].append((c[0], text(c[2])))
        elif t == "CodeBlock":
            found["code"].append(c[1])
        elif t == "Table":
            # [attr, caption, colspecs, head, bodies, foot]
            rows = [r for body in c[4] for r in body[3]]
            found["tables"].append((len(c[2]), [blocks_text(r[1][0][4]) for r in rows]))
        elif t == "BulletList" or t == "OrderedList":
            for item in (c if t == "BulletList" else c[1]):
                walk(item, found)
        elif t in ("BlockQuote", "Div"):
            walk(c if t == "BlockQuote" else c[1], found)


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    pandoc, md, page, name, desc = sys.argv[1:]
    ast = json.loads(subprocess.run([pandoc, "-f", "markdown", "-t", "json", md],
                                    capture_output=True, text=True, check=True).stdout)
    found = {"headings": [], "code": [], "tables": []}
    walk(ast["blocks"], found)
    findings = []

    env = dict(os.environ, LC_ALL="C.UTF-8")
    # what man(1) runs for an 80-column terminal: tbl, a 78n line,
    # continuous rendering; -P-cbou: plain characters, no overstriking
    g = subprocess.run(["groff", "-ww", "-t", "-man", "-Tutf8", "-rLL=78n", "-rcR=1",
                        "-P-cbou", page], capture_output=True, text=True, env=env)
    if g.returncode != 0:
        findings.append("groff: exit %d" % g.returncode)
    for w in g.stderr.splitlines():
        findings.append("groff: " + w)
    lines = g.stdout.splitlines()

    with open(page, encoding="utf-8") as f:
        roff = f.read()

    # sections (.SH lines start in column 0 of the rendered page, as do
    # its header and footer lines: the first and the last)
    body = [l for l in lines if l.strip()][1:-1]
    sections = [norm(l) for l in body if re.match(r"\S", l)]
    want = ["NAME", "SYNOPSIS", "DESCRIPTION"] + \
        [h for lvl, h in found["headings"] if lvl == 2] + ["SEE ALSO"]
    # upper case, but for the document's code spans in a heading
    if [s.upper() for s in sections] != [norm(w).upper() for w in want]:
        findings.append("sections are %s, want %s" % (sections, want))
    m = re.search(r"^\.SH NAME\n(?:\.PP\n)?(.*)$", roff, re.M)
    if not m or m.group(1) != "%s - %s" % (name, desc):
        findings.append("NAME line is %r, want %r" % (m.group(1) if m else None,
                                                      "%s - %s" % (name, desc)))
    for lvl, h in found["headings"]:
        if lvl == 3 and not any(norm(l) == norm(h) for l in lines if l.startswith("   ")
                                and not l.startswith("    ")):
            findings.append("subsection %r is not on the page" % h)
        if lvl not in (1, 2, 3):
            findings.append("heading level %d: %r" % (lvl, h))

    verbatim = set()
    stripped = {l.strip() for l in lines}
    for block in found["code"]:
        for cl in block.splitlines():
            verbatim.add(cl.strip())
            if cl.strip() and cl.strip() not in stripped:
                findings.append("code line %r is not on the page" % cl)

    narrow = sum(1 for n, _ in found["tables"] if n <= WIDE)
    ts = roff.count("\n.TS\n")
    if ts != narrow:
        findings.append("%d tables on the page, the document has %d of at most %d columns"
                        % (ts, narrow, WIDE))
    flat = norm(" ".join(lines))
    for n, first in found["tables"]:
        if n > WIDE:
            for cell in first:
                if ("• %s:" % norm(cell)) not in flat:
                    findings.append("wide table row %r is not a list item" % cell)

    for i, l in enumerate(lines):
        if len(l) > 80 and l.strip() not in verbatim:
            findings.append("rendered line %d is %d columns: %s" % (i + 1, len(l), l))

    for f in findings:
        print("%s: %s" % (page, f))
    print("%s: %d sections, %d code blocks, %d tables checked, %d findings"
          % (page, len(sections), len(found["code"]), len(found["tables"]), len(findings)))
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
