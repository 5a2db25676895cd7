# SPDX-License-Identifier: LGPL-2.1-or-later
"""No leak: 100,000 batches, each viewed with numpy, leave the process's
RSS and Python's allocated blocks flat."""
import gc
import sys

import numpy as np

import uio_daq

BATCHES = 100_000


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_100000_batches_rss_flat(sim):
    dev, dg = sim("sim:ring=1M,chunk=256K", channels=[0], frame_samples=16,
                  test_pattern=True, freerun=True, policy="stop")
    with uio_daq.Reader(dg) as rd:
        dg.start()
        refs = sys.getrefcount(rd)
        total = 0
        for n in range(BATCHES):
            b = rd.next_batch(timeout=10)
            x = np.asarray(b)
            total += int(x.sum())
            _ = (b.first_sample, b.timestamps, b.lost_samples)
            if n % 3 == 0:
                del x
                b.release()
            if n == 20_000:
                gc.collect()
                rss0, blocks0 = rss_bytes(), sys.getallocatedblocks()
        x = b = None
        gc.collect()
        rss1, blocks1 = rss_bytes(), sys.getallocatedblocks()
        assert rd.batches == BATCHES
        assert sys.getrefcount(rd) == refs
    print(f"RSS {rss0 >> 10} KiB -> {rss1 >> 10} KiB, blocks {blocks0} -> {blocks1}")
    # 80,000 batches: a leak of even 16 bytes each would show 1.2 MiB
    assert rss1 - rss0 < 1 << 20
    assert blocks1 - blocks0 < 1000
