#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Consume daqd's network stream: per-channel RMS of every block, gaps
with their reasons, and the test-pattern verification daqcat --verify does.

    daqd -t --listen unix:/tmp/daq.sock &
    stream_consumer.py unix:/tmp/daq.sock --verify --samples 10000000
"""
import argparse
import sys

import numpy as np

from uio_daq import stream


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("addr", help="HOST:PORT, :PORT or unix:PATH")
    ap.add_argument("--channels", type=int, nargs="+")
    ap.add_argument("--decimation", type=int, default=1)
    ap.add_argument("--samples", type=int, default=0, help="stop after this many (0: at END)")
    ap.add_argument("--verify", action="store_true", help="check the test pattern")
    a = ap.parse_args(argv)
    got = 0
    with stream.connect(a.addr, a.channels, a.decimation, verify=a.verify) as s:
        for ev in s:
            if isinstance(ev, stream.Hello):
                print(f"acquisition {ev.info['acq_id']}: {ev.info['nchan']} channels at "
                      f"{ev.info['sample_rate']} Hz from {ev.info['device']}")
            elif isinstance(ev, stream.Block):
                rms = np.sqrt((ev.samples.astype(np.float64) ** 2).mean(axis=0))
                got += len(ev.samples)
                print(f"{ev.first_sample:>12} +{len(ev.samples):<6} rms "
                      + " ".join(f"{r:7.0f}" for r in rms))
            elif isinstance(ev, stream.Gap):
                print(f"GAP {ev.nsamples} samples at {ev.first_sample}: {ev.reason}")
            elif isinstance(ev, stream.End):
                print(f"END at {ev.end_sample}: {ev.reason}")
                break
            if a.samples and got >= a.samples:
                break
        if a.verify:
            v = s.verify_stats()
            print(f"verify: {v['samples']} samples, {v['gaps']} gaps, {v['errors']} errors"
                  + (f" (first: {v['first_error']})" if v["errors"] else ""))
            return 1 if v["errors"] else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
