#!/usr/bin/env python3
"""md2scd.py - one of our format documents (docs/*.md) as an scdoc page.

    md2scd.py IN.md OUT.scd NAME SECTION 'one-line description'

docs/bundle-format.md and docs/policy-format.md are the one text of the
formats; plantca-bundle(5) and plantca-policy(5) are built from them so
that the page and the document cannot say different things.  This reads
only the Markdown those two files use (headings, paragraphs, bulleted and
numbered lists with indented continuation lines, pipe tables (also under
a list item), indented and fenced code blocks, `code`, **bold**, *emphasis*,
[links](x)) and refuses anything it
does not know rather than guessing.  Input is our own documentation, never
untrusted bytes.
"""
import re
import sys

# links between the documents become references to the pages
PAGES = {
    "bundle-format.md": "*plantca-bundle*(5)",
    "policy-format.md": "*plantca-policy*(5)",
    "architecture.md": "docs/architecture.md",
    "firmware.md": "docs/firmware.md",
    "cmp.md": "docs/cmp.md",
}


def esc(text):
    """scdoc's special characters, literal"""
    return re.sub(r"([\\*_`])", r"\\\1", text)


def inline(text):
    out, i = [], 0
    pat = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)]+)\)"
                     r"|(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])")
    for m in pat.finditer(text):
        out.append(esc(text[i:m.start()]))
        if m.group(1) is not None:
            out.append("*" + esc(m.group(1)) + "*")
        elif m.group(2) is not None:
            out.append("*" + esc(m.group(2)) + "*")
        elif m.group(5) is not None:
            out.append("_" + esc(m.group(5)) + "_")
        else:
            label, target = m.group(3), m.group(4)
            page = PAGES.get(target.split("#")[0])
            if page is None:
                sys.exit("md2scd: link to %s: no page for it" % target)
            # [bundle-format.md](bundle-format.md): the page's name
            out.append(page if label.endswith(".md") else esc(label) + " (" + page + ")")
        i = m.end()
    out.append(esc(text[i:]))
    s = "".join(out)
    # scdoc drops a '.' that begins a line (a roff request)
    if s.startswith("."):
        sys.exit("md2scd: a line of text begins with '.': %s" % text)
    return s


def table(rows, out):
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    if len(cells) < 2 or not all(set(c) <= set("-: ") for c in cells[1]):
        sys.exit("md2scd: table without a header separator: %s" % rows[0])
    head, body = cells[0], cells[2:]
    n = len(head)
    for r in body:
        if len(r) != n:
            sys.exit("md2scd: table row with %d cells, header has %d: %s" % (len(r), n, r))
    out.append("")
    if n > 4:
        # too wide for a terminal: one item per row, "column: value"
        for r in body:
            out.append("- *" + inline(r[0]).strip() + "*: " + "; ".join(
                inline(h).strip() + ": " + inline(c).strip() for h, c in zip(head[1:], r[1:])))
        out.append("")
        return
    for k, c in enumerate(head):
        out.append(("[[ " if k == 0 else ":< " if k == n - 1 else ":[ ") + "*" + inline(c).strip() + "*")
    for r in body:
        for k, c in enumerate(r):
            out.append(("|  " if k == 0 else ":  ") + (inline(c).strip() or " "))
    out.append("")


def convert(lines, name, section, desc):
    out = ["%s(%s)" % (name, section), "", "# NAME", "", "%s - %s" % (name, desc), "",
           "# DESCRIPTION"]
    i, n = 0, len(lines)
    # the document's title is the page's NAME line
    if lines and lines[0].startswith("# "):
        i = 1
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith("```"):
            j = i + 1
            block = []
            while j < n and not lines[j].startswith("```"):
                block.append(lines[j])
                j += 1
            if j == n:
                sys.exit("md2scd: line %d: unterminated code fence" % (i + 1))
            out += ["", "```"] + [b.replace("\\", "\\\\") for b in block] + ["```", ""]
            i = j + 1
            continue
        if line.startswith("    "):
            block = []
            while i < n and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += ["", "```"] + [b.replace("\\", "\\\\") for b in block] + ["```", ""]
            continue
        m = re.match(r"(#{2,3}) (.*)", line)
        if m:
            title = m.group(2).strip()
            out += ["", ("# " + title.upper()) if len(m.group(1)) == 2 else ("## " + title), ""]
            out[-2] = out[-2].replace("`", "")
            i += 1
            continue
        if line.startswith("#"):
            sys.exit("md2scd: line %d: heading level not used in a page: %s" % (i + 1, line))
        # a table, also one indented under a list item (shown after it)
        if line.lstrip().startswith("|") and len(line) - len(line.lstrip()) < 4:
            rows = []
            while i < n and lines[i].lstrip().startswith("|"):
                rows.append(lines[i].strip())
                i += 1
            table(rows, out)
            continue
        m = re.match(r"(\s*)(- |\d+\. )(.*)", line)
        if m and len(m.group(1)) % 2 == 0:
            out.append("")
            while i < n:
                m = re.match(r"(\s*)(- |\d+\. )(.*)", lines[i])
                if not m:
                    break
                depth = 1 if m.group(1) else 0
                # scdoc numbers every item of a list that began numbered,
                # nested bullets too: numbered items are written as
                # paragraphs with their number, bullets below them indented
                mark = "-" if m.group(2) == "- " else None
                text = [m.group(3)]
                ind = len(m.group(1)) + len(m.group(2))
                i += 1
                while i < n and lines[i].strip() and lines[i].startswith(" " * ind) \
                        and not re.match(r"\s*(- |\d+\. )", lines[i]):
                    text.append(lines[i].strip())
                    i += 1
                # a blank line between items of the same list
                if i + 1 < n and not lines[i].strip() and re.match(r"\s+(- |\d+\. )", lines[i + 1]):
                    i += 1
                if mark is None:
                    out += ["", m.group(2) + inline(" ".join(text)).strip(), ""]
                else:
                    out.append("\t" * depth + mark + " " + inline(" ".join(text)).strip())
            out.append("")
            continue
        para = []
        while i < n and lines[i].strip() and not lines[i].lstrip().startswith(("|", "```", "#")) \
                and not re.match(r"(- |\d+\. )", lines[i]):
            para.append(lines[i].strip())
            i += 1
        out += ["", inline(" ".join(para)), ""]
    text = "\n".join(out) + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    src, dst, name, section, desc = sys.argv[1:]
    with open(src, encoding="utf-8") as f:
        lines = f.read().splitlines()
    text = convert(lines, name, section, desc)
    text += "\n# SEE ALSO\n\n*plantca*(1), *plantca-station*(1)%s\n" % (
        ", *plantca-policy*(5)" if name == "plantca-bundle" else ", *plantca-bundle*(5)")
    with open(dst, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
