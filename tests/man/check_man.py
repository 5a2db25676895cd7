#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check the manual pages (man/): each parses without a single groff warning,
each program's page names every long option the program accepts (its source's
option table and its --help), daqd's page every configuration key, and each
public header's page every function and macro the header declares.

Usage: check_man.py SRCDIR page=PATH... prog=NAME:PAGE:BINARY... hdr=HEADER:PAGE...
Prints TAP; exits 1 on any failure.
"""
import os
import re
import shutil
import subprocess
import sys

failures = 0
n = 0


def result(ok, what, detail=""):
    global failures, n
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    if not ok:
        failures += 1
        for line in str(detail).splitlines()[:40]:
            print(f"# {line}")


def page_text(path):
    """The page's source with roff escapes for '-' and font changes removed
    and macro arguments unquoted, so that names read as they are typed."""
    with open(path) as f:
        s = f.read()
    s = re.sub(r"\\f[BIRP]", "", s)
    s = s.replace("\\-", "-").replace("\\(dq", '"').replace("\\(aq", "'")
    # .BI \-\-no\- FLAG and friends alternate fonts between arguments:
    # join them as they print.
    out = []
    for line in s.splitlines():
        m = re.match(r"^\.(BI|BR|IB|IR|RB|RI)\s+(.*)$", line)
        if m:
            out.append("".join(a.strip('"') for a in re.findall(r'"[^"]*"|\S+', m.group(2))))
        else:
            out.append(line)
    return "\n".join(out)


def mentions(text, name):
    return re.search(r"(?<![A-Za-z0-9_-])" + re.escape(name) + r"(?![A-Za-z0-9_-])", text) is not None


def source_options(src):
    """Long options of a getopt_long table: { "name", x_argument, ... }."""
    with open(src) as f:
        s = f.read()
    return set(re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument', s))


def help_options(binary):
    p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    return p.returncode, set(re.findall(r"--([a-z][a-z0-9-]*[a-z0-9])(?![A-Za-z0-9-])", p.stdout)), p.stdout


def daqd_keys(srcdir):
    """daqd's settings: (section, key, flag) from daqd/config.c's key table."""
    with open(os.path.join(srcdir, "daqd", "config.c")) as f:
        s = f.read()
    keys = re.findall(r'\{\s*"([a-z]+)",\s*"([a-z_]+)",\s*"([a-z-]+)"', s)
    extra = set(re.findall(r'\(struct option\)\{\s*"([a-z-]+)"', s))
    return keys, extra


def header_names(path):
    with open(path) as f:
        s = f.read()
    s_nc = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    funcs = set(re.findall(r"\b(udaq_[a-z0-9_]+)\s*\(", s_nc))
    macros = {m for m in re.findall(r"^#define\s+([A-Z][A-Z0-9_]+)", s_nc, flags=re.M)
              if not m.startswith("UIO_DAQ_")}
    return funcs, macros


def main():
    srcdir = sys.argv[1]
    pages, progs, hdrs = [], [], []
    for a in sys.argv[2:]:
        kind, _, v = a.partition("=")
        {"page": pages, "prog": progs, "hdr": hdrs}[kind].append(v)

    groff = shutil.which("groff")
    if not groff:
        print("Bail out! groff missing (Debian package groff-base; run scripts/setup.sh)")
        return 1
    for page in pages:
        p = subprocess.run([groff, "-man", "-ww", "-z", page], capture_output=True, text=True)
        result(p.returncode == 0 and not p.stderr.strip(),
               f"{os.path.basename(page)} parses without warnings", p.stderr)

    for spec in progs:
        name, page, binary = spec.split(":", 2)
        text = page_text(page)
        rc, helped, out = help_options(binary)
        result(rc == 0 and helped, f"{name} --help lists its options", out)
        if name == "daqd":
            keys, extra = daqd_keys(srcdir)
            accepted = {k[2] for k in keys} | extra
            missing = sorted(f"[{sec}] {key}" for sec, key, _ in keys
                             if not mentions(text, key) or f"[{sec}]" not in text)
            result(keys and not missing, f"{name}({page[-1]}) names every configuration key",
                   "missing: " + ", ".join(missing))
            result("--no-FLAG" in text, f"{name}({page[-1]}) explains the --no-FLAG forms")
        else:
            accepted = source_options(os.path.join(srcdir, "tools", name + ".c"))
        result(accepted, f"{name}: long options found in the source")
        missing = sorted(o for o in accepted | helped
                         if not mentions(text, "--" + o) and not o.startswith("no-"))
        missing += sorted(o for o in helped if o.startswith("no-") and not mentions(text, "--" + o))
        result(not missing, f"{name}({page[-1]}) documents every long option",
               "missing: " + ", ".join("--" + o for o in missing))

    incdir = os.path.join(srcdir, "libuio_daq", "include", "uio_daq")
    covered = set()
    for spec in hdrs:
        header, page = spec.split(":", 1)
        covered.add(header)
        text = page_text(page)
        funcs, macros = header_names(os.path.join(incdir, header))
        wild = re.findall(r"\b([A-Z][A-Z0-9_]*_)\*", text)
        missing = sorted(f for f in funcs if not mentions(text, f))
        missing += sorted(m for m in macros
                          if not mentions(text, m) and not any(m.startswith(w) for w in wild))
        result(not missing, f"{os.path.basename(page)} documents every call and macro of "
               f"<uio_daq/{header}>", "missing: " + ", ".join(missing))
    headers = sorted(h for h in os.listdir(incdir) if h.endswith(".h"))
    result(set(headers) == covered, "every public header has a page",
           f"headers {headers}, pages for {sorted(covered)}")

    print(f"1..{n}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
