# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures shared by the python suite: a simulated digitizer, the test
pattern check, a daqd on the simulator."""
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
import pytest

import uio_daq
from uio_daq.control import Control


def verify(batch, channels, x=None):
    """Assert every sample of @batch (or of @x, a copy of it) is the test
    pattern at its index."""
    if x is None:
        x = np.asarray(batch)
    if x.ndim == 3:
        x = x.reshape(-1, x.shape[2])
    exp = uio_daq.test_pattern(batch.first_sample, x.shape[0], channels)
    bad = np.flatnonzero((x != exp).any(axis=1))
    assert bad.size == 0, f"sample {batch.first_sample + bad[0]} is not the test pattern"


@pytest.fixture
def sim():
    """A factory of (device, digitizer) on the simulator, closed at the end."""
    opened = []

    def make(spec="sim:ring=4M,chunk=1M", **cfg):
        dev = uio_daq.Device(spec)
        dg = uio_daq.Digitizer(dev)
        if cfg:
            dg.configure(**cfg)
        opened.append((dev, dg))
        return dev, dg

    yield make
    for dev, dg in reversed(opened):
        dg.stop()
        dg.close()
        dev.close()


def wait_for(cond, seconds, what):
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def daqd():
    """A factory starting daqd on the simulator with the test pattern, a
    Unix stream socket and a control socket; killed at the end."""
    procs = []
    tmp = tempfile.mkdtemp(prefix="pyudaq-")

    def start(*args):
        usock = os.path.join(tmp, f"s{len(procs)}.sock")
        ctl = os.path.join(tmp, f"c{len(procs)}.sock")
        p = subprocess.Popen([os.environ["DAQD"], "-t", "--listen", f"unix:{usock}",
                              "--socket", ctl, "-q", "--status-interval", "0", *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        wait_for(lambda: p.poll() is not None or (os.path.exists(usock) and os.path.exists(ctl)),
                 30, "daqd's sockets")
        assert p.poll() is None, p.stderr.read()

        def answers():      # the socket file exists from bind(), before listen()
            try:
                with Control(ctl, timeout=5) as c:
                    return c.status()["ok"]
            except ConnectionRefusedError:
                return False

        wait_for(answers, 30, "daqd's control socket")
        return p, usock, ctl

    start.tmp = tmp
    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stderr.close()
    shutil.rmtree(tmp, ignore_errors=True)
