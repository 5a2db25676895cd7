# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exact loss: what a Python reader receives plus what it is told it lost
is every device sample, under forced overflow."""
import time

import numpy as np

import uio_daq
from conftest import verify

CH = [0, 1, 2, 3]


def test_device_drops_under_the_stop_policy(sim):
    """A lossless reader that stops reading makes the paced device drop whole
    frames when the ring is full. Each jump a batch reports is exactly the
    dropped frames its sequence number skips (SEQ counts dropped frames too),
    every frame written is received and right, and the device's count of
    lost samples is the batches' jumps plus what it dropped after the last
    frame it wrote."""
    dev, dg = sim("sim:ring=64K,chunk=16K,maxrate=1M", sample_rate=1000000, channels=CH,
                  frame_samples=256, test_pattern=True, policy="stop")
    with uio_daq.Reader(dg) as rd:
        dg.start()
        got = 0
        gaps = 0
        expect = 0
        seq = -1
        stalls = 0
        waiting = False     # for the gap of the last stall
        since = 0           # batches since it came
        for b in rd:
            verify(b, CH)
            assert b.first_sample == expect + b.lost_samples
            assert b.lost_samples == (b.seq - seq - 1) * 256
            if b.lost_samples:
                gaps += 1
                assert b.flags & uio_daq.FLAG_GAP
            got += b.nsamples
            expect = b.first_sample + b.nsamples
            seq = b.seq + b.nframes - 1
            if waiting and b.lost_samples:
                waiting, since = False, 0
            since += 1
            if not waiting and since == 20:
                if stalls == 3:
                    dg.stop()       # drained, then the loop ends
                else:
                    stalls += 1
                    waiting = True
                    time.sleep(0.2)     # 200 ms at 8 MB/s: the 64K ring overflows
        st = dg.status()
        assert gaps >= 3
        assert got == st["frames"] * 256
        assert got + rd.lost_samples == expect
        trailing = st["lost_samples"] - rd.lost_samples
        assert trailing >= 0 and trailing % 256 == 0
        del b


def test_lossy_reader_overrun_under_the_overwrite_policy(sim):
    """A lossy reader the device laps: each loss is whole frames, counted
    once in samples (from the sample index) and once in ring bytes (by the
    library), and the two agree exactly."""
    dev, dg = sim("sim:ring=256K,chunk=64K", channels=CH, frame_samples=256,
                  test_pattern=True, freerun=True, policy="overwrite")
    fl = None
    with uio_daq.Reader(dg, lossy=True) as rd:
        dg.start()
        fl = dg.frame_len
        got = 0
        expect = 0
        lost = 0
        torn = 0
        for i in range(400):
            b = rd.next_batch(timeout=10)
            assert b.first_sample == expect + b.lost_samples
            assert b.lost_bytes == b.lost_samples // 256 * fl
            lost += b.lost_samples
            if i % 50 == 0:
                time.sleep(0.05)    # let the device lap the reader
            copy = np.array(b)      # use the samples first, then check them
            if b.check():
                assert (copy == uio_daq.test_pattern(b.first_sample, 256, CH)).all()
            else:
                torn += 1
            got += b.nsamples
            expect = b.first_sample + b.nsamples
            b.release()
        dg.stop()
        assert lost > 0
        assert rd.lost_samples == lost
        assert rd.lost_bytes == lost // 256 * fl
        assert got + lost == expect
