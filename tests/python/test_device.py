# SPDX-License-Identifier: LGPL-2.1-or-later
"""Devices, digitizers and their lifetimes: open by spec, list, configure,
start/stop/status, context managers, close order."""
import json
import os
import subprocess
import tempfile

import pytest

import uio_daq


def test_open_sim_and_properties():
    with uio_daq.Device("sim:ring=1M,channels=4") as dev:
        assert dev.name == "refdaq-sim"
        assert dev.devname == "sim"
        assert dev.is_sim
        assert dev.pci_addr is None
        assert dev.pci_id == (0x1234, 0xDA9C)
        assert dev.num_maps == 3
        assert "sim:ring=1M" in repr(dev)
        with uio_daq.Digitizer(dev) as dg:
            caps = dg.caps
            assert caps["model"] == "refdaq"
            assert caps["num_channels"] == 4
            assert caps["ring_size"] == 1 << 20
    assert dev.closed
    with pytest.raises(ValueError, match="closed Device"):
        dev.name


def test_configure_start_stop_status(sim):
    dev, dg = sim("sim:ring=1M")
    assert dg.frame_len == 0
    dg.configure(sample_rate=100000, channels=[0, 2], frame_samples=256, test_pattern=True)
    assert dg.frame_samples == 256
    assert dg.frame_len == 48 + 256 * 2 * 2
    assert not dg.status()["running"]
    dg.start()
    with pytest.raises(RuntimeError, match="already running"):
        dg.start()
    with pytest.raises(RuntimeError, match="stop\\(\\) first"):
        dg.configure(channels=[0])
    assert dg.wait(timeout=5.0)
    st = dg.status()
    assert st["running"] and st["wr_ptr"] > 0
    dg.stop()
    st = dg.status()
    assert not st["running"]
    assert st["frames"] == st["wr_ptr"] // dg.frame_len


def test_start_unconfigured(sim):
    dev, dg = sim()
    with pytest.raises(RuntimeError, match="configure\\(\\) first"):
        dg.start()


def test_close_order_is_enforced():
    dev = uio_daq.Device("sim:ring=1M")
    dg = uio_daq.Digitizer(dev)
    dg.configure(test_pattern=True, freerun=True)
    rd = uio_daq.Reader(dg)
    with pytest.raises(RuntimeError, match="Digitizer"):
        dev.close()
    with pytest.raises(RuntimeError, match="Reader"):
        dg.close()
    rd.close()
    rd.close()      # twice is a no-op
    dg.close()
    dev.close()
    with pytest.raises(ValueError, match="closed"):
        uio_daq.Digitizer(dev)
    with pytest.raises(ValueError, match="closed Digitizer"):
        dg.start()
    with pytest.raises(ValueError, match="closed Reader"):
        rd.next_batch()


def test_objects_keep_what_they_need_alive():
    """Dropping the device and digitizer names does not unmap the ring under
    a reader: each object holds the one below it."""
    dev = uio_daq.Device("sim:ring=1M")
    dg = uio_daq.Digitizer(dev)
    dg.configure(channels=[0], test_pattern=True, freerun=True)
    rd = uio_daq.Reader(dg)
    dg.start()
    del dev, dg
    b = rd.next_batch(timeout=10)
    assert b is not None and b.nsamples > 0
    rd.digitizer.stop()


def test_list_devices_on_a_fake_tree():
    """list_devices() shows what lsdaq --json does, from a fake sysfs tree."""
    with tempfile.TemporaryDirectory() as tmp:
        sysfs, dev = os.path.join(tmp, "sys"), os.path.join(tmp, "dev")
        assert uio_daq.list_devices(sysfs_root=sysfs, dev_root=dev) == []
        u = os.path.join(sysfs, "class", "uio", "uio3")
        os.makedirs(os.path.join(u, "maps", "map0"))
        os.makedirs(dev)
        for name, text in [("name", "refdaq\n"), ("version", "1.0\n")]:
            with open(os.path.join(u, name), "w") as f:
                f.write(text)
        for name, text in [("name", "regs\n"), ("addr", "0xfe000000\n"),
                           ("size", "0x1000\n"), ("offset", "0x0\n")]:
            with open(os.path.join(u, "maps", "map0", name), "w") as f:
                f.write(text)
        devs = uio_daq.list_devices(sysfs_root=sysfs, dev_root=dev)
        assert len(devs) == 1
        d = devs[0]
        assert d["index"] == 3 and d["devname"] == "uio3" and d["name"] == "refdaq"
        assert d["node"] == os.path.join(dev, "uio3")
        assert d["maps"] == [{"index": 0, "name": "regs", "addr": 0xFE000000,
                              "size": 0x1000, "offset": 0}]
        assert d["pci"] is None
        # a broken entry is listed too, and the list is lsdaq --json's
        os.makedirs(os.path.join(sysfs, "class", "uio", "uio4"))
        devs = uio_daq.list_devices(sysfs_root=sysfs, dev_root=dev)
        assert [d["devname"] for d in devs] == ["uio3", "uio4"]
        assert devs[1]["error"]["code"] == "ENOENT" and devs[1]["error"]["message"]
        env = dict(os.environ, UIO_DAQ_SYSFS_ROOT=sysfs, UIO_DAQ_DEV_ROOT=dev)
        r = subprocess.run([os.environ["LSDAQ"], "--json"], env=env, capture_output=True,
                           text=True, timeout=60)
        assert json.loads(r.stdout)["devices"] == devs


def test_library_version():
    assert uio_daq.library_version().count(".") == 2
