#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""lsdaq against fake sysfs trees: JSON content, the table, broken entries
being reported without hiding good ones, exit codes, and root overrides."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

LSDAQ = None


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class Tree:
    def __init__(self, base):
        self.sysfs = os.path.join(base, "sys")
        self.dev = os.path.join(base, "dev")
        os.makedirs(os.path.join(self.sysfs, "class", "uio"))
        os.makedirs(self.dev)

    def uio(self, idx, name, version="1.0"):
        d = os.path.join(self.sysfs, "class", "uio", "uio%d" % idx)
        write(os.path.join(d, "name"), name + "\n")
        write(os.path.join(d, "version"), version + "\n")
        return d

    def map(self, idx, m, name, addr, size, offset=0):
        d = os.path.join(self.sysfs, "class", "uio", "uio%d" % idx, "maps", "map%d" % m)
        write(os.path.join(d, "name"), name + "\n")
        write(os.path.join(d, "addr"), "0x%016x\n" % addr)
        write(os.path.join(d, "size"), "0x%016x\n" % size)
        write(os.path.join(d, "offset"), "0x%x\n" % offset)
        return d

    def pci(self, idx, addr, vendor, device):
        d = os.path.join(self.sysfs, "devices", "pci0000:00", addr)
        write(os.path.join(d, "vendor"), "0x%04x\n" % vendor)
        write(os.path.join(d, "device"), "0x%04x\n" % device)
        os.symlink("../../../devices/pci0000:00/" + addr,
                   os.path.join(self.sysfs, "class", "uio", "uio%d" % idx, "device"))


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("UIO_DAQ_SYSFS_ROOT", None)
    e.pop("UIO_DAQ_DEV_ROOT", None)
    if env:
        e.update(env)
    return subprocess.run([LSDAQ] + list(args), capture_output=True, text=True,
                          env=e, timeout=30)


class LsdaqTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lsdaq-test-")
        self.t = Tree(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def populate(self):
        t = self.t
        t.uio(0, "refdaq", "0.3.1")
        t.pci(0, "0000:03:00.0", 0x8086, 0x1533)
        t.map(0, 0, "regs", 0xfe000000, 0x1000)
        t.map(0, 1, "ring", 0x7f000000, 0x1000000)
        t.map(0, 2, "desc", 0xfe001080, 0x80, 0x80)
        t.uio(1, "daq-platform", "devicetree")
        os.makedirs(os.path.join(t.sysfs, "devices", "platform", "fe000000.daq"))
        os.symlink("../../../devices/platform/fe000000.daq",
                   os.path.join(t.sysfs, "class", "uio", "uio1", "device"))
        t.map(1, 0, "regs", 0xfe000000, 0x100)
        # uio2: broken, its map0 size is not a number
        t.uio(2, "broken-one")
        d = t.map(2, 0, "regs", 0xfe000000, 0x100)
        write(os.path.join(d, "size"), "lots\n")

    def json_of(self, r):
        try:
            return json.loads(r.stdout)
        except ValueError:
            self.fail("lsdaq --json printed invalid JSON: %r (stderr %r)" % (r.stdout, r.stderr))

    def test_json_lists_good_and_broken(self):
        self.populate()
        r = run("--json", "--sysfs-root", self.t.sysfs, "--dev-root", self.t.dev)
        self.assertEqual(r.returncode, 1, r.stderr)
        doc = self.json_of(r)
        self.assertEqual(doc["sysfs_root"], self.t.sysfs)
        devs = doc["devices"]
        self.assertEqual([d["devname"] for d in devs], ["uio0", "uio1", "uio2"])

        d0 = devs[0]
        self.assertIsNone(d0["error"])
        self.assertEqual(d0["name"], "refdaq")
        self.assertEqual(d0["version"], "0.3.1")
        self.assertEqual(d0["node"], os.path.join(self.t.dev, "uio0"))
        self.assertEqual(d0["pci"]["address"], "0000:03:00.0")
        self.assertEqual(d0["pci"]["id"], "8086:1533")
        self.assertEqual(d0["pci"]["vendor"], 0x8086)
        self.assertEqual(d0["pci"]["vendor_name"], "Intel Corporation")
        self.assertEqual(d0["pci"]["device_name"], "I210 Gigabit Network Connection")
        self.assertEqual([(m["index"], m["name"], m["addr"], m["size"], m["offset"])
                          for m in d0["maps"]],
                         [(0, "regs", 0xfe000000, 0x1000, 0),
                          (1, "ring", 0x7f000000, 0x1000000, 0),
                          (2, "desc", 0xfe001080, 0x80, 0x80)])

        d1 = devs[1]
        self.assertIsNone(d1["error"])
        self.assertIsNone(d1["pci"])
        self.assertEqual(len(d1["maps"]), 1)

        d2 = devs[2]
        self.assertEqual(d2["name"], "broken-one")
        self.assertEqual(d2["error"]["code"], "EINVAL")
        self.assertIn("uio2/maps/map0/size", d2["error"]["message"])
        self.assertEqual(d2["maps"], [])
        self.assertIn("uio2: broken entry", r.stderr)
        self.assertIn("maps/map0/size", r.stderr)

    def test_table(self):
        self.populate()
        r = run("--sysfs-root", self.t.sysfs)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("DEVICE"), lines)
        row0 = next(l for l in lines if l.startswith("uio0 "))
        self.assertEqual(row0.split()[:5],
                         ["uio0", "refdaq", "0.3.1", "0000:03:00.0", "8086:1533"])
        self.assertIn("Intel Corporation / I210 Gigabit Network Connection", row0)
        # Device rows are aligned: every column starts at the same place.
        rows = [l for l in lines if l.startswith("uio")]
        self.assertEqual(len(rows), 3)
        col = lines[0].index("NAME")
        for l in rows:
            self.assertNotEqual(l[col], " ", l)
            self.assertEqual(l[col - 1], " ", l)
        self.assertIn("0x00000000fe001080", r.stdout)
        broken = [l for l in lines if "BROKEN" in l]
        self.assertEqual(len(broken), 1)
        self.assertIn("EINVAL", broken[0])
        self.assertIn("uio2/maps/map0/size", broken[0])

    def test_all_good_exits_zero(self):
        t = self.t
        t.uio(3, "refdaq")
        t.pci(3, "0000:05:00.0", 0x1234, 0xda9c)
        t.map(3, 0, "regs", 0xfe000000, 0x1000)
        r = run("-j", env={"UIO_DAQ_SYSFS_ROOT": t.sysfs, "UIO_DAQ_DEV_ROOT": t.dev})
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = self.json_of(r)
        self.assertEqual(doc["dev_root"], t.dev)
        (d,) = doc["devices"]
        self.assertEqual(d["index"], 3)
        # Not in the PCI ID database: null names, not made-up ones.
        self.assertIsNone(d["pci"]["vendor_name"])
        self.assertIsNone(d["pci"]["device_name"])
        self.assertEqual(r.stderr, "")

    def test_flag_overrides_env(self):
        self.populate()
        other = os.path.join(self.tmp.name, "empty")
        os.makedirs(os.path.join(other, "class", "uio"))
        r = run("--json", "--sysfs-root", other, env={"UIO_DAQ_SYSFS_ROOT": self.t.sysfs})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.json_of(r)["devices"], [])
        self.assertIn("no UIO devices", r.stderr)
        # Relative roots are taken from the current directory.
        r = subprocess.run([LSDAQ, "-j", "-s", "sys"], cwd=self.tmp.name,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(self.json_of(r)["sysfs_root"], self.t.sysfs)

    def test_no_uio_class(self):
        r = run("--sysfs-root", os.path.join(self.tmp.name, "nowhere"))
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")
        self.assertIn("is the uio module loaded?", r.stderr)
        r = run("--json", "--sysfs-root", os.path.join(self.tmp.name, "nowhere"))
        self.assertEqual(r.returncode, 0)
        self.assertEqual(self.json_of(r)["devices"], [])

    def test_usage(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Exit status", r.stdout)
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^lsdaq \(uio-daq\) \d+\.\d+\.\d+\n$")
        r = run("--bogus")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--help", r.stderr)
        r = run("extra")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unexpected argument 'extra'", r.stderr)
        r = run(env={"UIO_DAQ_SYSFS_ROOT": "relative"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("absolute", r.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_lsdaq.py /path/to/lsdaq")
    LSDAQ = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
