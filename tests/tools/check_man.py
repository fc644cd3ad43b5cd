#!/usr/bin/env python3
"""check_man.py - a program's man page says what its --help says.

    check_man.py PROGRAM PAGE.scd PAGE.ROFF

From PROGRAM --help (and PROGRAM VERB --help for each verb it lists) and
from the scdoc source of its page (COMMANDS: one entry per verb, a line that
begins with *VERB WORDS*):

  - every verb --help lists has an entry in the page, and every entry is a
    verb --help lists;
  - every option a verb's own --help names appears in that verb's entry,
    and every option on the entry's first line (its synopsis) is one the
    verb takes or a global one;
  - every option anywhere in --help appears in the page and the other way
    round;
  - the built page (scdoc's output) has every verb and option too (a
    formatting slip in the source can swallow text).

Each finding is printed; exit 1 if there is any.
"""
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w\\-])(--[a-z][a-z0-9-]*[a-z0-9]|-[a-zA-Z])(?![\w-])")


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("check_man: %s: exit %d: %s" % (" ".join(argv), p.returncode, p.stderr))
    return p.stdout


def help_verbs(text):
    """verbs of the main --help: two-space lines of lower-case words"""
    verbs = []
    for line in text.splitlines():
        if re.match(r"(Global options|Options):", line):
            break
        m = re.match(r"  ([a-z][a-z-]*(?: [a-z][a-z-]*)*)(?: |$)", line)
        if m and not line.startswith("   "):
            verbs.append(m.group(1))
    return verbs


def options(text):
    return set(OPT.findall(text))


def verb_options(text):
    """the options a verb's own --help lists under Options: (not the
    global ones, which plantca lists on their own line)"""
    m = re.search(r"^Options:(.*?)(?:^Global options|^\n|^Exit status|\Z)", text, re.S | re.M)
    return options(m.group(1)) if m else set()


def unscd(text):
    return re.sub(r"\\(.)", r"\1", text).replace("*", "").replace("_", " ")


def page_entries(scd):
    """{verb: (synopsis line, whole entry)} from the COMMANDS section"""
    m = re.search(r"^# COMMANDS\n(.*?)(?=^# )", scd, re.S | re.M)
    if not m:
        sys.exit("check_man: the page has no COMMANDS section")
    entries, cur = {}, None
    for line in m.group(1).splitlines():
        e = re.match(r"\*([a-z][a-z -]*)\*", line)
        if e:
            cur = e.group(1).strip()
            if cur in entries:
                print("page: verb '%s' has two entries" % cur)
            entries[cur] = [unscd(line), ""]
        elif cur is not None:
            entries[cur][1] += unscd(line) + "\n"
    return {v: (s, s + "\n" + body) for v, (s, body) in entries.items()}


def roff_text(roff):
    # scdoc writes \- for '-' and \(bu etc.; enough to find words
    t = roff.replace("\\-", "-").replace("\\&", "")
    return re.sub(r"\\f[BIRP]", "", t)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    prog, scd_path, roff_path = sys.argv[1:]
    with open(scd_path, encoding="utf-8") as f:
        scd = f.read()
    with open(roff_path, encoding="utf-8") as f:
        roff = roff_text(f.read())
    findings = []
    main_help = run([prog, "--help"])
    verbs = help_verbs(main_help)
    if not verbs:
        sys.exit("check_man: %s --help lists no verbs" % prog)
    entries = page_entries(scd)
    all_help = options(main_help)
    for v in verbs:
        if v not in entries:
            findings.append("verb '%s' is in --help, not in the page" % v)
    for v in entries:
        if v not in verbs:
            findings.append("the page has verb '%s', --help does not" % v)
    globals_ = options(main_help.split("Global options:")[1]) if "Global options:" in main_help \
        else set()
    globals_ |= {"--help", "-h"}
    for v in verbs:
        vh = run([prog] + v.split() + ["--help"])
        all_help |= options(vh)
        takes = verb_options(vh) - {"-h", "--help"}
        if v not in entries:
            continue
        synopsis, entry = entries[v]
        for o in sorted(takes - options(entry)):
            findings.append("verb '%s' takes %s (its --help), its entry does not say so" % (v, o))
        for o in sorted(options(synopsis) - takes - globals_):
            findings.append("the page's synopsis of '%s' has %s, which '%s --help' does not list"
                            % (v, o, v))
        if not re.search(r"(^|\n)" + re.escape(v.replace("-", "-")) + r"\b", roff):
            findings.append("verb '%s' is missing from the built page" % v)
    page_opts = options(unscd(scd))
    for o in sorted(all_help - page_opts):
        findings.append("option %s is in --help, not in the page" % o)
    for o in sorted(page_opts - all_help):
        findings.append("the page has option %s, --help does not" % o)
    for o in sorted(all_help & page_opts):
        if o not in roff:
            findings.append("option %s is missing from the built page" % o)
    for f in findings:
        print("%s: %s" % (scd_path, f))
    print("%s: %d verbs, %d options checked, %d findings" % (scd_path, len(verbs), len(all_help),
                                                             len(findings)))
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
