# SPDX-License-Identifier: LGPL-2.1-or-later
"""uio_daq.sigmf on daqd's recordings: each capture segment memory-mapped,
across rotated files in order, with its core:global_index and the loss
annotations; every sample is the test pattern at its device index."""
import os
import time

import numpy as np

import uio_daq
from uio_daq import sigmf
from uio_daq.control import Control

CH = [0, 1, 2]


def test_segments_across_rotated_files_with_a_loss(daqd):
    out = os.path.join(daqd.tmp, "rec")
    os.mkdir(out)
    p, usock, ctl = daqd("-d", "sim:ring=1M", "-r", "100000", "-c", "3", "-o", out,
                         "--frame-samples", "500", "--rotate-size", "300000",
                         "--flush-interval", "0.2")
    with Control(ctl) as c:
        while c.status()["acquisition"]["samples"] < 150_000:
            time.sleep(0.05)
        c.sim_fault("overflow")
        while c.status()["acquisition"]["samples"] < 300_000:
            time.sleep(0.05)
        c.stop()
    rec = sigmf.open_recording(out)
    assert len(rec.meta_paths) >= 3 and rec.num_channels == 3
    assert rec.sample_rate == 100000
    segs = list(rec.segments())
    expect = 0
    lost = 0
    files = []
    for s in segs:
        assert isinstance(s.samples, np.memmap) and not s.samples.flags.writeable
        assert s.global_index == expect + s.lost_before
        assert (s.samples == uio_daq.test_pattern(s.global_index, len(s.samples), CH)).all()
        lost += s.lost_before
        expect = s.global_index + len(s.samples)
        files.append(s.file_index)
    assert files == sorted(files) and files[-1] == len(rec.meta_paths) - 1
    assert lost == 500 == rec.lost_samples
    assert [s.lost_before for s in segs if s.lost_before] == [500]
