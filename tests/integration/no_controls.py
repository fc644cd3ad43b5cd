#!/usr/bin/env python3
"""no_controls.py FILE...: exit 1, naming the file, offset and byte, if any
file holds a byte or character that a terminal acts on or that hides or
reorders text: C0 controls except LF and TAB, DEL, bytes that are not part
of well-formed UTF-8 (raw 8-bit C1 such as 0x9b among them), UTF-8 encoded
C1 controls, and every format character (general category Cf: bidi
overrides and isolates, zero-width characters, BOM, tags), line and
paragraph separators (Zl, Zp) and default-ignorable code points (Unicode
DerivedCoreProperties.txt).

An independent judge for the display escaper (common/text.c): it uses
Python's unicodedata categories, not our table."""
import sys
import unicodedata

# Default_Ignorable_Code_Point that are not Cf (Unicode 15.0)
IGNORABLE = [(0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5),
             (0x180B, 0x180F), (0x3164, 0x3164), (0xFE00, 0xFE0F),
             (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
             (0xE0000, 0xE0FFF)]


def bad_char(ch):
    cp = ord(ch)
    if ch in "\n\t":
        return False
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
        return True
    return any(lo <= cp <= hi for lo, hi in IGNORABLE)


def check(path):
    data = open(path, "rb").read()
    problems = []
    i = 0
    while i < len(data):
        # the longest well-formed UTF-8 sequence at i (RFC 3629), if any
        for n in (1, 2, 3, 4):
            try:
                ch = data[i:i + n].decode("utf-8")
                break
            except UnicodeDecodeError:
                ch = None
        if ch is None or len(ch) != 1:
            problems.append("byte 0x%02x (not UTF-8) at offset %d" % (data[i], i))
            i += 1
            continue
        if bad_char(ch):
            problems.append("U+%04X (%s) at offset %d" % (ord(ch), unicodedata.category(ch), i))
        i += len(ch.encode("utf-8"))
    for p in problems[:5]:
        print("%s: %s" % (path, p), file=sys.stderr)
    return not problems


def main(paths):
    ok = True
    for p in paths:
        ok = check(p) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
