#!/usr/bin/env python3
"""check_layers.py SRCDIR - every product file includes only headers of its
own folder and of the layers below it (docs/architecture.md "Layers").

Headers are found by name in the product folders; an #include "x.h" that
names a header of a folder the including folder may not use is reported as
FILE:LINE: includes FOLDER/x.h.  A folder's internal header (NAME_int.h:
hsm_int.h, policy_int.h, tr_int.h) is for that folder's own files only.
System headers (<...>) are not checked.
"""
import os
import re
import sys

# folder -> the folders it may include from (besides itself)
ALLOWED = {
    'common': set(),
    'pkix': {'common'},
    'hsm': {'common', 'pkix'},
    'policy': {'common', 'pkix'},
    'transfer': {'common', 'pkix'},
    'transfer/station': {'common', 'pkix', 'transfer'},
    'ca': {'common', 'pkix', 'hsm', 'policy', 'transfer'},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    src = sys.argv[1]
    owner = {}
    for d in ALLOWED:
        for f in os.listdir(os.path.join(src, d)):
            if f.endswith(('.h', '.def')):
                owner.setdefault(f, d)
    bad = 0
    for d, allowed in ALLOWED.items():
        for f in sorted(os.listdir(os.path.join(src, d))):
            if not f.endswith(('.c', '.h')):
                continue
            p = os.path.join(src, d, f)
            text = open(p, encoding='utf-8').read()
            for m in INCLUDE.finditer(text):
                h = os.path.basename(m.group(1))
                o = owner.get(h)
                # a folder's X_int.h is shared by its own files only
                if o is None or o == d or (o in allowed and not h.endswith('_int.h')):
                    continue
                line = text.count('\n', 0, m.start()) + 1
                print('%s/%s:%d: includes %s/%s' % (d, f, line, o, h))
                bad += 1
    print('%d layering violations' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
