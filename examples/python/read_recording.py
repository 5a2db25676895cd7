#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""List the capture segments of a daqd recording (rotated files in order),
memory-mapped, with their device sample index and the losses before them.

    read_recording.py /var/lib/daqd            # the newest acquisition
    read_recording.py DIR --verify             # check a test-pattern recording
"""
import argparse
import sys

import uio_daq
from uio_daq import sigmf


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--acquisition", help="PREFIX-ACQSTART (default: the newest)")
    ap.add_argument("--prefix", default="daqd")
    ap.add_argument("--verify", action="store_true", help="check the test pattern")
    a = ap.parse_args(argv)
    rec = sigmf.open_recording(a.dir, a.acquisition, a.prefix)
    bad = 0
    for s in rec.segments():
        print(f"file {s.file_index:06d} @{s.sample_start:<10} device index {s.global_index:>12} "
              f"{len(s.samples):>10} samples" +
              (f"  ({s.lost_before} lost before)" if s.lost_before else ""))
        if a.verify:
            exp = uio_daq.test_pattern(s.global_index, len(s.samples),
                                       range(s.samples.shape[1]))
            bad += int((s.samples != exp).any(axis=1).sum())
    print(f"{len(rec.meta_paths)} files, {rec.num_channels} channels, "
          f"{rec.lost_samples} samples lost" + (f", {bad} bad samples" if a.verify else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
