# SPDX-License-Identifier: LGPL-2.1-or-later
"""uio_daq.control against daqd's control socket."""
import os
import time

import pytest

from uio_daq.control import Control, ControlError
from uio_daq import sigmf


def test_status_stop_start_rotate(daqd):
    out = os.path.join(daqd.tmp, "rec")
    os.mkdir(out)
    p, usock, ctl = daqd("-d", "sim:ring=1M", "-r", "50000", "-c", "2", "-o", out,
                         "--flush-interval", "0.2")
    with Control(ctl) as c:
        st = c.status()
        assert st["ok"] and st["acquisition"]["state"] == "running"
        assert "wr_ptr" in str(c.stats())
        while c.status()["acquisition"]["samples"] < 10_000:
            time.sleep(0.05)
        c.rotate()
        time.sleep(0.3)
        c.stop()
        assert c.status()["acquisition"]["state"] == "stopped"
        with pytest.raises(ControlError, match="not running"):
            c.stop()
        c.start()
        assert c.status()["acquisition"]["state"] == "running"
        while c.status()["acquisition"]["samples"] < 10_000:
            time.sleep(0.05)        # a recording that got no sample is removed
        c.stop()
        with pytest.raises(ControlError):
            c.request("no-such-command")
    acqs = sigmf.acquisitions(out)
    assert len(acqs) == 2
    first = sigmf.open_recording(out, acqs[0])
    assert len(first.meta_paths) == 2        # rotated once
