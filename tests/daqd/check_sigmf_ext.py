#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every key of the daqd SigMF namespace that the code writes is defined in
docs/daqd.sigmf-ext.md, in the table of the object it is written to, and the
document defines no key the code does not write (SigMF requires an extension
namespace to be documented).

Usage: check_sigmf_ext.py SRCDIR
"""
import glob
import os
import re
import sys


def written_keys(src):
    """{key: set of objects ('global' or 'segment')} from daqd/ and tools/."""
    keys = {}
    files = glob.glob(os.path.join(src, 'daqd', '**', '*.c'), recursive=True) + \
        glob.glob(os.path.join(src, 'tools', '*.c'))
    for path in files:
        with open(path) as f:
            for line in f:
                # add(global, ...) in daqd/sigmf.c; any other object is a
                # capture's or an annotation's.
                for m in re.finditer(r'add\(\s*(\w+)\s*,\s*"daqd:(\w+)"', line):
                    obj = 'global' if m.group(1) == 'global' else 'segment'
                    keys.setdefault(m.group(2), set()).add(obj)
                # A key written some other way still needs a definition.
                for m in re.finditer(r'"daqd:(\w+)"', line):
                    keys.setdefault(m.group(1), set())
    return keys


def documented_keys(doc):
    """{key: objects} from the tables of sections '1 Global' ('global'),
    '2 Captures' and '3 Annotations' ('segment')."""
    keys = {}
    section = None
    for line in doc.splitlines():
        h = re.match(r'## \d+ (\w+)', line)
        if h:
            section = h.group(1).lower()
            continue
        m = re.match(r'\|\s*`(\w+)`\s*\|', line)
        if m and section in ('global', 'captures', 'annotations'):
            keys.setdefault(m.group(1), set()).add('global' if section == 'global' else 'segment')
    return keys


def main():
    src = sys.argv[1]
    path = os.path.join(src, 'docs', 'daqd.sigmf-ext.md')
    if not os.path.exists(path):
        print(f'FAIL: {path} does not exist: the daqd namespace is not defined')
        return 1
    with open(path) as f:
        doc = f.read()
    written, documented = written_keys(src), documented_keys(doc)
    bad = []
    if not written:
        bad.append('no daqd: key found in daqd/ or tools/ (is the pattern stale?)')
    for key, objs in sorted(written.items()):
        if key not in documented:
            bad.append(f'daqd:{key} is written but not defined')
        elif not objs <= documented[key]:
            bad.append(f'daqd:{key} is written to {sorted(objs)} but defined for '
                       f'{sorted(documented[key])}')
    for key in sorted(set(documented) - set(written)):
        bad.append(f'daqd:{key} is defined but never written')
    with open(os.path.join(src, 'daqd', 'sigmf.c')) as f:
        v = re.search(r'"version",\s*json_object_new_string\("([^"]+)"\)', f.read())
    if not v:
        bad.append('daqd/sigmf.c: no extension version found (is the pattern stale?)')
    elif f'# The `daqd` SigMF Extension Namespace v{v.group(1)}' not in doc:
        bad.append(f'the document is not for v{v.group(1)}, the version daqd/sigmf.c declares')
    for b in bad:
        print(f'FAIL: {b}')
    if not bad:
        print(f'ok: {len(written)} daqd: keys, each defined in docs/daqd.sigmf-ext.md')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
