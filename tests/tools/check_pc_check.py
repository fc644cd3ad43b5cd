#!/usr/bin/env python3
"""check_pc_check.py SRCDIR - every function that returns pc_rc is marked
PC_CHECK (warn_unused_result), so that the compiler refuses a dropped
result (docs/architecture.md "Errors").

A function passes when its header prototype or its definition carries
PC_CHECK; static functions carry it on the definition.  Function pointer
types are not functions and are left alone.  Prints each offender as
FILE:LINE: NAME and exits 1 if there is any.
"""
import os
import re
import sys

DIRS = ['common', 'pkix', 'hsm', 'policy', 'transfer', 'ca']
# The error constructors: they fill the error record and hand its code back
# for `return pc_fail(...)`; as a statement (after the record is filled by
# another call) their result is the one already in hand.
CONSTRUCTORS = {'pc_fail', 'pc_wrap', 'hsm_ck_fail', 'pc_rec_fail'}
# a declaration or definition starting at the beginning of a line:
#   [PC_CHECK] [static] pc_rc name(
START = re.compile(r'^(PC_CHECK\s+)?(static\s+)?(inline\s+)?pc_rc\s+([a-z_0-9]+)\s*\(', re.M)


def scan(path):
    text = open(path, encoding='utf-8').read()
    for m in START.finditer(text):
        name = m.group(4)
        # the end of the declarator: the first ';' or '{' after the name
        rest = text[m.end():]
        end = min([i for i in (rest.find(';'), rest.find('{')) if i >= 0], default=len(rest))
        decl = rest[:end]
        marked = bool(m.group(1)) or 'PC_CHECK' in decl
        kind = 'def' if end < len(rest) and rest[end] == '{' else 'decl'
        line = text.count('\n', 0, m.start()) + 1
        yield name, marked, bool(m.group(2)), kind, line


def main():
    src = sys.argv[1]
    marked_decl = set()
    items = []
    for d in DIRS:
        for root, _, files in os.walk(os.path.join(src, d)):
            for f in sorted(files):
                if not f.endswith(('.c', '.h')):
                    continue
                p = os.path.join(root, f)
                for name, marked, static, kind, line in scan(p):
                    items.append((os.path.relpath(p, src), line, name, marked, static, kind))
                    if marked and not static:
                        marked_decl.add(name)
    # the one spelling: PC_CHECK first ("PC_CHECK static pc_rc f(")
    for d in DIRS:
        for root, _, files in os.walk(os.path.join(src, d)):
            for f in sorted(files):
                if f.endswith(('.c', '.h')):
                    p = os.path.join(root, f)
                    for i, line in enumerate(open(p, encoding='utf-8'), 1):
                        if re.match(r'^(static\s+)?pc_rc\s+PC_CHECK\b', line):
                            items.append((os.path.relpath(p, src), i, 'PC_CHECK after the type', False,
                                          True, 'def'))
    # PC_TRY returns at once: in a function with a cleanup label it would
    # skip the cleanup, so such functions use PC_TRY_OUT
    body_re = re.compile(r'\n([A-Za-z_][^\n;]*\([^;{]*\)[^;{]*)\{(.*?)\n\}', re.S)
    for d in DIRS:
        for root, _, files in os.walk(os.path.join(src, d)):
            for f in sorted(files):
                if not f.endswith('.c'):
                    continue
                p = os.path.join(root, f)
                text = open(p, encoding='utf-8').read()
                for m in body_re.finditer(text):
                    body = m.group(2)
                    if not re.search(r'\n(out|fail|done|cleanup):', body):
                        continue
                    for t in re.finditer(r'\bPC_TRY\(', body):
                        line = text.count('\n', 0, m.start(2) + t.start()) + 1
                        items.append((os.path.relpath(p, src), line,
                                      'PC_TRY in a function with a cleanup label (use PC_TRY_OUT)',
                                      False, True, 'def'))
    bad = [(p, l, n) for p, l, n, marked, static, kind in items
           if not marked and n not in CONSTRUCTORS and (static or n not in marked_decl)]
    for p, l, n in bad:
        print('%s:%d: %s' % (p, l, n if ' ' in n else n + ' returns pc_rc without PC_CHECK'))
    print('%d pc_rc functions, %d without PC_CHECK' % (len({(i[2], i[4] and i[0]) for i in items}), len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
