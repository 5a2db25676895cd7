#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Run the uio_daq kernel checks in a QEMU guest and report them as TAP.

For one Debian kernel release (and optionally an emulated Intel IOMMU) this
builds uio_daq.ko against that release's headers, builds the static guest
check program, packs a busybox initramfs with the release's own uio.ko and
boots it with QEMU's edu device, once per phase:

  main  256 MiB guest, edu with its default 28-bit DMA mask: load/bind,
        maps, DMA loopback, MSI and INTx, bad mmaps, unbind/remove while
        mapped, first-touch figures, new_id, 100 load/unload cycles
  big   1.5 GiB guest, edu with a 64-bit DMA mask: a 1 GiB ring
  shared  two edu cards on one INTx line (behind one PCI bridge, whose
        swizzle gives slots 0 and 4 the same pin): shared-interrupt checks
  highmem  3 GiB guest (1 GiB of it above 4 GiB), two edu cards, one with a
        64-bit and one with a 32-bit DMA mask: rings at bus addresses at or
        above 4 GiB (behind the IOMMU with iommu.forcedac=1) and within
        4 GiB, DMA loopback through both; behind the IOMMU in strict mode
        (iommu.strict=1)

Every "@@ok"/"@@not ok" line the guest prints becomes one TAP test. The
guest's kernel log is printed (as TAP comments) when anything failed. A
missing tool or kernel is a failure, never a skip: install the tools with
scripts/setup.sh.

The kernels come from a cache that scripts/guest-kernels.sh fills (Meson
runs it before the tests): vmlinuz and uio.ko unpacked from Debian's
packages, the headers on the host (6.x) or in a trixie root in the cache
(7.x, where the module is then built).
"""
import argparse
import json
import lzma
import os
import selectors
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Tap:
    def __init__(self, prefix):
        self.n = 0
        self.failed = 0
        self.prefix = prefix

    def result(self, ok, desc, diag=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {self.prefix}{desc}")
        for line in diag:
            print(f"# {line}")
        sys.stdout.flush()

    def comment(self, line):
        print(f"# {line}")
        sys.stdout.flush()

    def bail(self, why):
        self.result(False, why)
        self.finish()
        sys.exit(1)

    def finish(self):
        print(f"1..{self.n}")
        sys.stdout.flush()


def need(tap, path, what):
    if not os.path.exists(path):
        tap.bail(f"{what} missing: {path} (run scripts/setup.sh)")


def tool(tap, name, package):
    p = shutil.which(name)
    if not p:
        tap.bail(f"{name} not found (Debian package {package}; run scripts/setup.sh)")
    return p


def run(cmd, cwd=None, env=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def build_module(tap, args, work):
    """uio_daq.ko against the guest kernel's headers, by uio_daq/build-module.sh
    (on the host, or in the trixie root for Debian's 7.x kernels)."""
    k = args.kinfo
    root = os.path.join(args.kernels, k["root"]) if k["root"] else ""
    need(tap, root + k["kdir"], f"kernel headers for {args.release}")
    mdir = os.path.join(work, "module")
    shutil.rmtree(mdir, ignore_errors=True)
    ko = os.path.join(work, "uio_daq.ko")
    cmd = ["sh", os.path.join(args.srcdir, "uio_daq", "build-module.sh")]
    if root:
        cmd += ["--root", root]
    cmd += [os.path.join(args.srcdir, "uio_daq"), mdir, k["kdir"],
            os.path.join(args.srcdir, "libuio_daq", "include"), ko]
    rc, out = run(cmd)
    warn = [l for l in out.splitlines() if "warning:" in l or "error:" in l]
    tap.result(rc == 0 and not warn,
               f"uio_daq.ko builds without warnings against {args.release} headers",
               out.splitlines()[-40:] if rc or warn else ())
    if rc:
        tap.bail("cannot continue without the module")
    run(["strip", "--strip-debug", ko])
    return ko


def libuio_daq_sources(srcdir):
    """libuio_daq's sources for a static guest program (kcheck here,
    chaincheck in chain/run-chain.py): every .c of its src/ folders, walked
    so that a new file needs no edit here. pci_names.c needs libpci, which
    Debian ships only as a shared library: guest-lib has a names-unknown
    stand-in."""
    lsrc = os.path.join(srcdir, "libuio_daq", "src")
    srcs = []
    for sub in (lsrc, os.path.join(lsrc, "drivers"), os.path.join(lsrc, "sim")):
        srcs += sorted(os.path.join(sub, f) for f in os.listdir(sub)
                       if f.endswith(".c") and f != "pci_names.c")
    srcs.append(os.path.join(HERE, "guest-lib", "pci_names_none.c"))
    return srcs


def build_kcheck(tap, args, work):
    gdir = os.path.join(HERE, "guest")
    srcs = sorted(os.path.join(gdir, f) for f in os.listdir(gdir) if f.endswith(".c"))
    # libuio_daq from source, static.
    srcs += libuio_daq_sources(args.srcdir)
    lsrc = os.path.join(args.srcdir, "libuio_daq", "src")
    out = os.path.join(work, "kcheck")
    cc = os.environ.get("CC", "cc").split()
    cmd = cc + ["-static", "-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                "-Werror", "-Wshadow", "-Wmissing-prototypes", "-Wstrict-prototypes",
                "-Wvla", "-Wno-unused-parameter", "-pthread", '-DUDAQ_VERSION="kernel-suite"',
                "-I", os.path.join(args.srcdir, "libuio_daq", "include"),
                "-I", lsrc, "-o", out] + srcs
    rc, text = run(cmd)
    tap.result(rc == 0, "static guest check program builds (with libuio_daq)", text.splitlines()[-30:])
    if rc:
        tap.bail("cannot continue without the guest program")
    return out


def uio_ko(tap, args, work):
    """The guest kernel's own uio.ko, from the cache (decompressed)."""
    base = os.path.join(args.kernels, args.release, "modules", "kernel", "drivers", "uio", "uio.ko")
    dst = os.path.join(work, "uio.ko")
    if os.path.exists(base):
        shutil.copy(base, dst)
    elif os.path.exists(base + ".xz"):
        with lzma.open(base + ".xz") as f, open(dst, "wb") as o:
            o.write(f.read())
    elif os.path.exists(base + ".zst"):
        rc, out = run([tool(tap, "zstd", "zstd"), "-dqf", base + ".zst", "-o", dst])
        if rc:
            tap.bail(f"cannot decompress {base}.zst: {out}")
    else:
        tap.bail(f"uio.ko missing from {os.path.dirname(base)} (scripts/guest-kernels.sh fetches it)")
    return dst


def cpio_newc(entries, path):
    """Write a newc archive: entries are (name, mode, data or symlink target).

    Character devices are always 5:1, the console: the only node the
    kernel needs before init mounts devtmpfs.
    """
    def hdr(ino, name, mode, size):
        rdev = (5, 1) if stat.S_ISCHR(mode) else (0, 0)
        return ("070701" + "".join(f"{v:08x}" for v in (
            ino, mode, 0, 0, 1, 0, size, 0, 0, rdev[0], rdev[1],
            len(name) + 1, 0))).encode()

    def pad(b):
        return b + b"\0" * (-len(b) % 4)

    with open(path, "wb") as o:
        for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
            o.write(pad(hdr(ino, name, mode, len(data)) + name.encode() + b"\0"))
            o.write(pad(data))


def make_initramfs(tap, work, files):
    busybox = "/bin/busybox"
    need(tap, busybox, "busybox (Debian busybox-static)")
    entries = []
    for d in ("bin", "dev", "lib", "lib/modules", "proc", "sys", "tmp"):
        entries.append((d, stat.S_IFDIR | 0o755, b""))
    entries.append(("dev/console", stat.S_IFCHR | 0o600, b""))

    def add(name, src, mode=0o755):
        with open(src, "rb") as f:
            entries.append((name, stat.S_IFREG | mode, f.read()))
    add("init", os.path.join(HERE, "guest", "init.sh"))
    add("bin/busybox", busybox)
    entries.append(("bin/sh", stat.S_IFLNK | 0o777, b"busybox"))
    for name, src in files.items():
        add(name, src)
    path = os.path.join(work, "initramfs.cpio")
    cpio_newc(entries, path)
    return path


def boot(tap, args, work, initrd, phase, qemu, files=None):
    """Boot one guest; return its FIGURE lines. Text the guest prints
    between "@@FILE-BEGIN name" and "@@FILE-END" goes into @files[name]."""
    big = phase == "big"
    highmem = phase == "highmem"
    machine = "q35,kernel-irqchip=split" if args.iommu else "q35"
    # no_timer_check: on a busy host a TCG guest can miss the boot-time
    # check of the IO-APIC timer, which panics with interrupt remapping
    # ("timer doesn't work through Interrupt-remapped IO-APIC").
    append = (f"console=ttyS0 panic=-1 loglevel=4 no_timer_check udaq.phase={phase} "
              f"udaq.iommu={int(args.iommu)}")
    cmd = [qemu, "-M", machine, "-accel", "tcg", "-cpu", "max", "-smp", "1",
           "-m", "1536M" if big else "3G" if highmem else "256M", "-nodefaults", "-display", "none",
           "-serial", "stdio", "-no-reboot", "-kernel", args.vmlinuz,
           "-initrd", initrd]
    if args.iommu:
        # The IOMMU must exist before the devices it translates for.
        cmd += ["-device", "intel-iommu,intremap=on"]
        append += " intel_iommu=on"
        if highmem:
            # IOVAs above 4 GiB for a 64-bit mask, and unmaps that
            # invalidate the IOTLB at once (no flush queue).
            append += " iommu.forcedac=1 iommu.strict=1"
    if phase == "shared":
        cmd += ["-device", "pci-bridge,id=br1,chassis_nr=1,addr=0x8",
                "-device", "edu,bus=br1,addr=0x0", "-device", "edu,bus=br1,addr=0x4"]
    elif highmem:
        # q35 puts the RAM beyond 2 GiB above 4 GiB. The cards' own masks
        # clamp their addresses, so a ring outside one misses the DMA.
        cmd += ["-device", "edu,addr=0x4,dma_mask=0xffffffffffffffff",
                "-device", "edu,addr=0x5,dma_mask=0xffffffff"]
    else:
        cmd += ["-device", "edu,dma_mask=0xffffffffffffffff" if big else "edu"]
    if not big and not highmem and phase != "shared":
        cmd += ["-device", "pci-testdev"]
    cmd += ["-append", append]

    tap.comment(f"phase {phase}: {' '.join(cmd)}")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    console, dmesg, in_dmesg, ended = [], [], False, False
    in_file = None
    figures = []
    failed_before = tap.failed
    deadline = t0 + args.timeout
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not sel.select(timeout=min(left, 5)):
            if p.poll() is not None:
                break
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if in_file is not None:
                if line.startswith("@@FILE-END"):
                    in_file = None
                elif files is not None:
                    files[in_file] += line + "\n"
            elif line.startswith("@@FILE-BEGIN "):
                in_file = line[13:].strip()
                if files is not None:
                    files[in_file] = ""
            elif line.startswith("@@DMESG-BEGIN"):
                in_dmesg = True
            elif line.startswith("@@DMESG-END"):
                in_dmesg = False
            elif in_dmesg:
                dmesg.append(line)
            elif line.startswith("@@ok - "):
                tap.result(True, f"[{phase}] {line[7:]}")
            elif line.startswith("@@not ok - "):
                tap.result(False, f"[{phase}] {line[11:]}")
            elif line.startswith("@@# "):
                tap.comment(line[4:])
            elif line.startswith("@@FIGURE "):
                figures.append(line[9:])
                tap.comment("FIGURE " + line[9:])
            elif line.startswith("@@MARK "):
                # Host time of a point in the guest: under -icount the
                # guest's own clock is virtual.
                figures.append(f"mark_{line[7:].strip()} host_s={time.monotonic():.6f}")
            elif line.startswith("@@END"):
                ended = True
            else:
                console.append(line)
    if p.poll() is None:
        p.kill()
    p.wait()
    elapsed = time.monotonic() - t0
    tap.result(ended, f"[{phase}] guest ran to the end ({elapsed:.0f} s)",
               [] if ended else [f"no end marker after {elapsed:.0f} s (timeout {args.timeout} s)"])
    if tap.failed != failed_before:
        tap.comment(f"--- guest console ({phase}, last 80 lines) ---")
        for line in console[-80:]:
            tap.comment(line)
        tap.comment(f"--- guest dmesg ({phase}) ---")
        for line in (dmesg or ["(none received)"]):
            tap.comment(line)
    return figures


def add_kernel_args(ap):
    """The options that choose the guest kernel (here and in run-chain.py)."""
    ap.add_argument("--kernels", required=True, help="the guest kernel cache "
                    "(scripts/guest-kernels.sh --cache DIR; Meson fills it before the tests)")
    ap.add_argument("--kernel", help="Debian kernel series, e.g. 6.1, 6.12 or 7.3: the newest "
                    "release of it in the cache")
    ap.add_argument("--flavour", default="amd64", choices=("amd64", "rt"),
                    help="Debian kernel flavour: amd64 (generic) or rt (PREEMPT_RT)")
    ap.add_argument("--release", help="exact kernel release in the cache, e.g. 6.1.0-56-amd64")
    ap.add_argument("--iommu", action="store_true", help="emulate an Intel IOMMU")


def find_kernel(tap, args):
    """Set args.release, .kinfo (the cache's kernel.json) and .vmlinuz:
    the given release, or the newest one of --kernel and --flavour."""
    def key(r):
        return [int(x) if x.isdigit() else 0 for x in
                r.replace("-", ".").replace("+", ".").split(".")]
    args.kernels = os.path.abspath(args.kernels)
    found = {}
    for rel in os.listdir(args.kernels) if os.path.isdir(args.kernels) else ():
        path = os.path.join(args.kernels, rel, "kernel.json")
        if os.path.exists(path):
            with open(path) as f:
                found[rel] = json.load(f)
    if args.release:
        if args.release not in found:
            tap.bail(f"kernel {args.release} not in {args.kernels} "
                     "(scripts/guest-kernels.sh --cache DIR SERIES [FLAVOUR] fetches one)")
    else:
        if not args.kernel:
            tap.bail("give --kernel or --release")
        match = [r for r, k in found.items()
                 if k["series"] == args.kernel and k["flavour"] == args.flavour]
        if not match:
            log = os.path.join(args.kernels, f"fetch-{args.kernel}-{args.flavour}.log")
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    for line in f.read().splitlines()[-15:]:
                        tap.comment(line)
            tap.bail(f"no Debian {args.kernel} {args.flavour} kernel in {args.kernels} "
                     f"(scripts/guest-kernels.sh --cache {args.kernels} {args.kernel} "
                     f"{args.flavour} fetches it; meson test does it first, log: {log})")
        args.release = sorted(match, key=key)[-1]
    args.kinfo = found[args.release]
    args.vmlinuz = os.path.join(args.kernels, args.release, "vmlinuz")
    need(tap, args.vmlinuz, "kernel image")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_kernel_args(ap)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--phases", default="main,cycles,big,shared,highmem")
    ap.add_argument("--timeout", type=int, default=420, help="seconds per guest boot")
    args = ap.parse_args()
    args.srcdir = os.path.abspath(args.srcdir)

    tap = Tap("")
    find_kernel(tap, args)
    tap.prefix = f"{args.release}{' +iommu' if args.iommu else ''}: "
    qemu = tool(tap, "qemu-system-x86_64", "qemu-system-x86")
    work = os.path.abspath(args.workdir)
    os.makedirs(work, exist_ok=True)
    ko = build_module(tap, args, work)
    kcheck = build_kcheck(tap, args, work)
    uio = uio_ko(tap, args, work)
    initrd = make_initramfs(tap, work, {
        "bin/kcheck": kcheck,
        "lib/modules/uio.ko": uio,
        "lib/modules/uio_daq.ko": ko,
    })
    figures = []
    for phase in args.phases.split(","):
        figures += boot(tap, args, work, initrd, phase, qemu)
    touch = {}
    for f in figures:
        kv = dict(x.split("=", 1) for x in f.split()[1:])
        touch[f.split()[0]] = float(kv["first_touch_us"])
    if "populated" in touch and "lazy" in touch and touch["populated"] > 0:
        tap.comment(f"first touch of 16 MiB: populated {touch['populated']:.0f} us, "
                    f"fault-per-page {touch['lazy']:.0f} us, "
                    f"ratio {touch['lazy'] / touch['populated']:.1f}x")
    tap.finish()
    return 0 if tap.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
