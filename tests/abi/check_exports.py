#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The library's boundary: what libuio_daq.so exports is the documented API.

Usage: check_exports.py NM LIBRARY HEADER...

Runs `NM -D --defined-only LIBRARY` and compares the exported names with the
functions (and data) the installed public HEADERs declare. Fails, naming the
symbol, for an export that no public header declares (an internal function
that escaped hidden visibility, or a new call not yet documented) and for a
declared function the library does not export (a definition without
UDAQ_API). Functions defined in a header (static inline) are not exports.
Output is TAP.
"""
import re
import subprocess
import sys


def strip_comments(s):
    # Strings first, so that a "/*" inside one (extern "C") is not a comment.
    pat = re.compile(r'"(?:\\.|[^"\\])*"|/\*.*?\*/|//[^\n]*', re.S)
    return pat.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else " ", s)


def strip_preprocessor(s):
    """Drop directives (with their continuation lines) and the C++ guards'
    contents (`extern "C" {` and its brace), which are not declarations."""
    out, skip = [], 0
    lines = iter(s.replace("\\\n", " ").splitlines())
    for line in lines:
        t = line.strip()
        if t.startswith("#"):
            d = t[1:].strip()
            if skip:
                if d.startswith("if"):
                    skip += 1
                elif d.startswith("endif"):
                    skip -= 1
            elif re.match(r"ifdef\s+__cplusplus\b", d):
                skip = 1
            continue
        if not skip:
            out.append(line)
    return "\n".join(out)


def drop_balanced(s, opener):
    """Remove every `opener(...)` with its balanced parentheses."""
    while True:
        i = s.find(opener)
        if i < 0:
            return s
        j, depth = s.index("(", i), 0
        for k in range(j, len(s)):
            depth += {"(": 1, ")": -1}.get(s[k], 0)
            if depth == 0:
                break
        s = s[:i] + " " + s[k + 1:]


def statements(s):
    """Top-level statements: brace blocks (struct, enum, inline bodies) are
    reduced to `{}`, and a function body ends its statement like `;` does."""
    out, cur, depth = [], [], 0
    for ch in s:
        if ch == "{":
            if depth == 0:
                cur.append("{}")
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and re.search(r"\)\s*\{\}$", "".join(cur)):
                out.append("".join(cur))
                cur = []
        elif depth == 0:
            if ch == ";":
                out.append("".join(cur))
                cur = []
            else:
                cur.append(ch)
    return [" ".join(x.split()) for x in out if x.strip()]


def declared(path):
    """Names of the functions and extern data a header declares."""
    with open(path) as f:
        s = f.read()
    s = strip_preprocessor(strip_comments(s))
    s = drop_balanced(s, "__attribute__")
    names = set()
    for st in statements(s):
        words = re.findall(r"[A-Za-z_]\w*", st)
        if not words or words[0] in ("typedef", "static") or st.endswith("{}"):
            continue
        # The first name directly followed by "(": not "(*name)(...)", a
        # pointer to a function, which is data.
        m = re.search(r"\b([A-Za-z_]\w*)\s*\(", st)
        if m and not re.match(r"\(\s*\*", st[m.end() - 1:]):
            names.add(m.group(1))
        elif words[0] == "extern" and "(" not in st:
            names.add(words[-1])
    return names


def exported(nm, lib):
    p = subprocess.run([nm, "-D", "--defined-only", lib], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"Bail out! {nm} -D --defined-only {lib} failed: {p.stderr.strip()}")
    names = set()
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) < 3:
            continue
        typ, name = f[1], f[2].split("@")[0]
        if typ == "A":
            continue	# the version node (LIBUIO_DAQ_0), not a symbol
        names.add(name)
    return names


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    nm, lib, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    decl = {}
    for h in headers:
        for name in declared(h):
            decl.setdefault(name, h)
    exp = exported(nm, lib)
    n = 0

    def result(ok, what):
        nonlocal n
        n += 1
        print(f"{'ok' if ok else 'not ok'} {n} - {what}")

    result(bool(decl), f"public headers declare {len(decl)} functions")
    result(bool(exp), f"{lib} exports {len(exp)} symbols")
    for name in sorted(exp - set(decl)):
        result(False, f"{name} is exported but no public header declares it "
               "(make it static, or declare and document it)")
    for name in sorted(set(decl) - exp):
        result(False, f"{name} is declared in {decl[name]} but not exported "
               "(UDAQ_API missing on its definition?)")
    result(exp == set(decl), "exports == public declarations")
    print(f"1..{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
