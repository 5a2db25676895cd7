#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Run the whole chain, stub to daqd, in a QEMU guest and report it as TAP.

QEMU's edu device is bound to uio_daq.ko; daqd (the host build, with the
shared libraries ldd names copied into the initramfs) records from it
through libuio_daq's edu driver, which moves every byte into the ring by
edu's DMA engine. The guest's /init (chain/init.sh) runs the checks with
chaincheck (chain/chaincheck.c, static, with libuio_daq and json-c) and
prints one line per check.

The kernel-suite machinery (module build, uio.ko, TAP, boot and console
parsing) is run-guest.py's, imported. Differences: its own initramfs and
/init, and, because edu takes 100 ms of QEMU's virtual clock per DMA
transfer and 64 MiB needs 65536 of them:

  * QEMU runs with -icount shift=0,sleep=off: the virtual clock follows
    the instructions executed and jumps over idle time, so a transfer
    costs host time for the work done, not 100 ms of waiting. Times
    measured in the guest are virtual (1 instruction = 1 ns).
  * A wrapper (qemu-chain.sh), passed to run-guest.py's boot() as the QEMU
    binary, appends that option; its own initramfs and /init.
"""
import argparse
import importlib.util
import os
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_run_guest():
    path = os.path.join(HERE, "..", "run-guest.py")
    spec = importlib.util.spec_from_file_location("run_guest", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_chaincheck(rg, tap, args, work):
    lsrc = os.path.join(args.srcdir, "libuio_daq", "src")
    srcs = [os.path.join(HERE, "chaincheck.c")] + rg.libuio_daq_sources(args.srcdir)
    out = os.path.join(work, "chaincheck")
    cc = os.environ.get("CC", "cc").split()
    cmd = cc + ["-static", "-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                "-Werror", "-Wshadow", "-Wmissing-prototypes", "-Wstrict-prototypes",
                "-Wvla", "-pthread", '-DUDAQ_VERSION="chain"',
                "-I", os.path.join(args.srcdir, "libuio_daq", "include"),
                "-I", lsrc, "-o", out] + srcs + ["-l:libjson-c.a"]
    rc, text = rg.run(cmd)
    tap.result(rc == 0, "static chaincheck builds (libuio_daq, json-c)", text.splitlines()[-30:])
    if rc:
        tap.bail("cannot continue without chaincheck (libjson-c-dev provides libjson-c.a)")
    return out


def daqd_files(rg, tap, daqd):
    """daqd and every shared object ldd lists, as initramfs name -> host path."""
    rg.need(tap, daqd, "daqd (build it first: ninja daqd/daqd)")
    rc, out = rg.run(["ldd", daqd])
    if rc:
        tap.bail(f"ldd {daqd} failed: {out}")
    files = {"bin/daqd": daqd}
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            src = parts[2]
        elif parts and parts[0].startswith("/"):
            src = parts[0]
        else:
            continue
        name = os.path.basename(src)
        if name.startswith("ld-linux"):
            files[f"lib64/{name}"] = os.path.realpath(src)
        else:
            # One directory for all, whatever rpath the build gave daqd.
            files[f"lib/x86_64-linux-gnu/{name}"] = os.path.realpath(src)
    return files


def make_initramfs(rg, tap, work, files):
    busybox = "/bin/busybox"
    rg.need(tap, busybox, "busybox (Debian busybox-static)")
    entries = []
    for d in ("bin", "dev", "etc", "lib", "lib/modules", "lib/x86_64-linux-gnu", "lib64",
              "proc", "sys", "tmp", "run"):
        entries.append((d, stat.S_IFDIR | 0o755, b""))
    entries.append(("dev/console", stat.S_IFCHR | 0o600, b""))

    def add(name, src, mode=0o755):
        with open(src, "rb") as f:
            entries.append((name, stat.S_IFREG | mode, f.read()))
    add("init", os.path.join(HERE, "init.sh"))
    add("bin/busybox", busybox)
    entries.append(("bin/sh", stat.S_IFLNK | 0o777, b"busybox"))
    for name, src in files.items():
        add(name, src)
    path = os.path.join(work, "initramfs-chain.cpio")
    rg.cpio_newc(entries, path)
    return path


def check_metadata(tap, args, metas):
    """The 64 MiB recording's .sigmf-meta files, as the guest printed
    them, against the SigMF schema subset the daqd tests use."""
    import json
    import jsonschema
    with open(os.path.join(args.srcdir, "tests", "helpers", "sigmf-schema-subset.json")) as f:
        schema = json.load(f)
    problems = []
    for name, text in sorted(metas.items()):
        try:
            meta = json.loads(text)
            jsonschema.validate(meta, schema)
            g = meta["global"]
            if g["core:datatype"] != "ri16_le" or g["core:num_channels"] != 4:
                problems.append(f"{name}: datatype {g['core:datatype']}, "
                                f"{g['core:num_channels']} channels (want ri16_le, 4)")
            if not meta["captures"] or meta["captures"][0]["core:global_index"] != 0:
                problems.append(f"{name}: the first capture does not start at device sample 0")
        except (ValueError, KeyError, TypeError, jsonschema.ValidationError) as e:
            problems.append(f"{name}: {str(e).splitlines()[0]}")
    if not metas:
        problems.append("the guest sent no .sigmf-meta of the recording")
    tap.result(not problems, f"record: {len(metas)} .sigmf-meta valid against the SigMF "
               "schema (host, jsonschema)", problems)


def main():
    rg = load_run_guest()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rg.add_kernel_args(ap)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--daqd", required=True, help="the daqd binary to run in the guest")
    ap.add_argument("--timeout", type=int, default=900, help="seconds for the guest")
    ap.add_argument("--only", help="comma-separated parts of init.sh to run (debugging): "
                    "record, bare, latency, signals, overflow, unbind")
    args = ap.parse_args()
    args.srcdir = os.path.abspath(args.srcdir)

    tap = rg.Tap("")
    rg.find_kernel(tap, args)
    tap.prefix = f"{args.release}{' +iommu' if args.iommu else ''}: chain: "
    rg.tool(tap, "qemu-system-x86_64", "qemu-system-x86")
    rg.tool(tap, "ldd", "libc-bin")
    work = os.path.abspath(args.workdir)
    os.makedirs(work, exist_ok=True)
    ko = rg.build_module(tap, args, work)
    check = build_chaincheck(rg, tap, args, work)
    files = {
        "bin/chaincheck": check,
        "lib/modules/uio.ko": rg.uio_ko(tap, args, work),
        "lib/modules/uio_daq.ko": ko,
    }
    files.update(daqd_files(rg, tap, os.path.abspath(args.daqd)))
    if args.only:
        parts = os.path.join(work, "chain-parts")
        with open(parts, "w") as f:
            f.write(args.only.replace(",", " ") + "\n")
        files["etc/chain-parts"] = parts
    initrd = make_initramfs(rg, tap, work, files)
    files = {}
    figures = rg.boot(tap, args, work, initrd, "chain", os.path.join(HERE, "qemu-chain.sh"),
                      files)
    check_metadata(tap, args, {k: v for k, v in files.items() if k.startswith("record/")})

    fig = {}
    for f in figures:
        name, *kv = f.split()
        fig[name] = dict(x.split("=", 1) for x in kv)
    if "chain" in fig and "bare" in fig:
        chain = float(fig["chain"]["bytes_per_s"])
        bare = float(fig["bare"]["bytes_per_s"])
        tap.comment(f"throughput (guest virtual time): daqd chain {chain / 1e3:.1f} kB/s, "
                    f"bare edu DMA loop {bare / 1e3:.1f} kB/s, ratio {chain / bare:.3f}")
        # Virtual time is dominated by edu's 100 ms per transfer; host time
        # shows what the guest's CPU work (daqd against the bare loop) costs.
        marks = {k: float(v["host_s"]) for k, v in fig.items() if k.startswith("mark_")}
        if all(f"mark_{m}" in marks for m in ("record_start", "record_end",
                                               "bare_start", "bare_end")):
            hc = float(fig["chain"]["bytes"]) / (marks["mark_record_end"] - marks["mark_record_start"])
            hb = float(fig["bare"]["bytes"]) / (marks["mark_bare_end"] - marks["mark_bare_start"])
            tap.comment(f"throughput (host wall time, TCG): daqd chain {hc / 1e6:.2f} MB/s, "
                        f"bare edu DMA loop {hb / 1e6:.2f} MB/s, ratio {hc / hb:.3f}")
    if "irq_latency" in fig and "eventfd_latency" in fig:
        tap.comment(f"wakeup latency (median, guest virtual time): interrupt through the stub "
                    f"{fig['irq_latency']['median_us']} us, eventfd "
                    f"{fig['eventfd_latency']['median_us']} us")
    tap.finish()
    return 0 if tap.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
