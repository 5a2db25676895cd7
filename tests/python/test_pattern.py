# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every sample of 256 MiB through a Python reader is the test pattern at
its device index, with nothing lost and nothing repeated."""
import numpy as np

import uio_daq
from conftest import verify

CH = list(range(8))
TOTAL = 256 << 20


def test_256_mib_sample_by_sample(sim):
    dev, dg = sim("sim:ring=16M,chunk=1M", channels=CH, frame_samples=8192,
                  test_pattern=True, freerun=True, policy="stop")
    got = 0
    expect = 0
    stopped = False
    with uio_daq.Reader(dg, max_frames=8) as rd:
        dg.start()
        for b in rd:
            assert b.first_sample == expect, (b.first_sample, expect)
            assert b.lost_samples == 0 and b.lost_bytes == 0
            assert b.flags & uio_daq.FLAG_TEST
            assert not b.flags & uio_daq.FLAG_GAP
            verify(b, CH)
            expect += b.nsamples
            got += b.nsamples * len(CH) * 2
            if got >= TOTAL and not stopped:
                dg.stop()       # what it wrote before stopping is still read
                stopped = True
        assert got >= TOTAL
        assert rd.lost_samples == 0 and rd.lost_bytes == 0
        st = dg.status()
        assert st["lost_samples"] == 0
        assert st["frames"] * 8192 == expect
        del b


def test_pattern_helper_matches_the_definition():
    """uio_daq.test_pattern against udaq_test_sample() written out in Python."""
    mult = 0x9E3779B97F4A7C15
    n0 = (1 << 64) - 5      # across the 64-bit wrap of the index product
    x = uio_daq.test_pattern(n0 % (1 << 64), 4, [0, 7])
    for i in range(4):
        n = (n0 + i) % (1 << 64)
        v = ((n * mult) % (1 << 64)) >> 48
        for j, c in enumerate([0, 7]):
            w = v ^ c
            assert int(x[i, j]) == (w - 65536 if w >= 32768 else w)
    assert x.dtype == np.int16
