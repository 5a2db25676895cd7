# SPDX-License-Identifier: LGPL-2.1-or-later
"""The examples in examples/python run: the spectrum PNG of the
simulator's test pattern, the stream consumer, the recording reader."""
import os
import subprocess
import sys
import time

import matplotlib.image
import numpy as np

from uio_daq.control import Control

EX = os.environ["UIO_DAQ_EXAMPLES"]


def run(script, *args):
    r = subprocess.run([sys.executable, os.path.join(EX, script), *args],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_spectrum_png(tmp_path):
    out = str(tmp_path / "spectrum.png")
    text = run("spectrum.py", "--frames", "100", "-o", out)
    img = matplotlib.image.imread(out)
    assert img.shape[:2] == (450, 800)
    assert img[..., :3].std() > 0.05           # something is drawn
    # The test pattern is a sawtooth advancing 0.6180339887 of a turn per
    # sample: its fundamental folds to 0.381966 x the rate, the 2nd and 3rd
    # harmonics to 0.236068 and 0.145898, 6.0 and 9.5 dB down (1/k).
    found = [(float(line.split()[1]), float(line.split()[3]))
             for line in text.splitlines() if line.startswith("peak ")]
    assert len(found) == 3, text
    bin_hz = 1e6 / 1024
    for (f, _), want in zip(found, (381966, 236068, 145898)):
        assert abs(f - want) <= bin_hz, text
    assert abs(found[0][1] - found[1][1] - 6.02) < 1.5, text
    assert abs(found[0][1] - found[2][1] - 9.54) < 1.5, text
    keep = os.environ.get("UIO_DAQ_SPECTRUM_PNG")
    if keep:
        os.replace(out, keep)


def test_stream_consumer_and_recording_reader(daqd):
    out = os.path.join(daqd.tmp, "rec")
    os.mkdir(out)
    p, usock, ctl = daqd("-d", "sim:ring=1M", "-r", "100000", "-c", "2", "-o", out,
                         "--rotate-size", "100000", "--flush-interval", "0.2")
    text = run("stream_consumer.py", f"unix:{usock}", "--verify", "--samples", "50000")
    assert "acquisition 1: 2 channels at 100000 Hz" in text
    assert "verify:" in text and " 0 errors" in text
    with Control(ctl) as c:
        while c.status()["acquisition"]["samples"] < 120_000:
            time.sleep(0.05)
        c.stop()
    text = run("read_recording.py", out, "--verify")
    assert "0 samples lost, 0 bad samples" in text
    assert int(text.splitlines()[-1].split()[0]) >= 2        # files
    assert np.sum([1 for line in text.splitlines() if line.startswith("file ")]) >= 2
