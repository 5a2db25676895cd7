# SPDX-License-Identifier: LGPL-2.1-or-later
"""uio_daq.stream against daqd --listen: numpy blocks with their device
index, an overflow as an explicit gap with its reason, the verifier."""
import numpy as np

import uio_daq
from uio_daq import stream
from uio_daq.control import Control

CH = [0, 1, 2, 3]


def test_blocks_gap_end_and_verify(daqd):
    p, usock, ctl = daqd("-d", "sim:ring=4M", "-r", "200000", "-c", "4", "--frame-samples", "1000")
    with stream.connect(f"unix:{usock}", verify=True, timeout=30) as s, Control(ctl) as c:
        ev = s.next_event()
        assert isinstance(ev, stream.Hello)
        assert ev.info["nchan"] == 4 and ev.info["sample_rate"] == 200000
        expect = None
        got = 0
        gaps = []
        faulted = stopped = False
        for ev in s:
            if isinstance(ev, stream.Block):
                assert ev.samples.dtype == np.int16 and ev.samples.shape[1] == 4
                if expect is not None:
                    assert ev.first_sample == expect
                exp = uio_daq.test_pattern(ev.first_sample, len(ev.samples), CH)
                assert (ev.samples == exp).all()
                expect = ev.first_sample + len(ev.samples)
                got += len(ev.samples)
                if got > 100_000 and not faulted:
                    c.sim_fault("overflow")     # the device drops its next frame
                    faulted = True
                if gaps and got > 300_000 and not stopped:
                    c.stop()
                    stopped = True
            elif isinstance(ev, stream.Gap):
                assert expect is None or ev.first_sample == expect
                gaps.append(ev)
                expect = ev.first_sample + ev.nsamples
            elif isinstance(ev, stream.End):
                assert ev.reason == "stopped"
                assert ev.end_sample == expect
                break
        assert [(g.reason, g.nsamples) for g in gaps] == [("device_overflow", 1000)]
        v = s.verify_stats()
        assert v["errors"] == 0, v["first_error"]
        assert v["gaps"] == 1 and v["gap_samples_device_overflow"] == 1000
        assert v["samples"] == got
        assert s.bytes_received > got * 8


def test_channels_and_decimation(daqd):
    p, usock, ctl = daqd("-d", "sim:ring=4M", "-r", "100000", "-c", "4")
    with stream.connect(f"unix:{usock}", channels=[1, 3], decimation=3, verify=True,
                        timeout=30) as s:
        hello = s.next_event()
        assert hello.info["chan_mask"] == 0b1010 and hello.info["decimation"] == 3
        n = 0
        while n < 30_000:
            ev = s.next_event()
            if isinstance(ev, stream.Block):
                assert ev.first_sample % 3 == 0 and ev.decimation == 3
                idx = ev.first_sample + 3 * np.arange(len(ev.samples))
                exp = np.stack([uio_daq.test_pattern(int(i), 1, [1, 3])[0] for i in idx[:50]])
                assert (ev.samples[:50] == exp).all()
                n += len(ev.samples)
        assert s.verify_stats()["errors"] == 0
