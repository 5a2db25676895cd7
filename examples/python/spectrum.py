#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live spectrum of a uio-daq device, saved as a PNG.

Reads the simulator's test pattern (or any device spec) through a lossless
reader, averages the power spectrum of every channel over `--frames`
frames (numpy views straight into the DMA ring, no copy), and plots it
with matplotlib. The test pattern (uio_daq/frame.h) is the top 16 bits of
n x 0x9E3779B97F4A7C15: a sawtooth whose phase advances by the golden ratio's
fraction of a turn per sample, so its spectrum is a line at (1 - 0.618...) x
the rate and its harmonics, folded, each k-th 20 log10(k) dB down.

    spectrum.py -o spectrum.png
    spectrum.py --spec uio0 --rate 500000 --channels 0 1 -o live.png
"""
import argparse
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import uio_daq  # noqa: E402


def averaged_spectrum(spec, rate, channels, nfft, frames):
    """Mean power spectrum (dB full scale) per channel over @frames frames."""
    acc = np.zeros((nfft // 2 + 1, len(channels)))
    window = np.hanning(nfft)[:, None]
    norm = (window ** 2).sum() * 32768.0 ** 2
    n = 0
    with uio_daq.Device(spec) as dev, uio_daq.Digitizer(dev) as dg:
        dg.configure(sample_rate=rate, channels=channels, frame_samples=nfft,
                     test_pattern=spec.startswith("sim"), policy="stop")
        with uio_daq.Reader(dg) as rd:
            dg.start()
            for batch in rd:
                x = np.asarray(batch)           # (nfft, channels) int16, in the ring
                acc += np.abs(np.fft.rfft(x * window, axis=0)) ** 2 / norm
                n += 1
                if n == frames:
                    break
            dg.stop()
            x = batch = None
    return 10 * np.log10(acc / n), n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default="sim:ring=4M", help="device spec (default sim:ring=4M)")
    ap.add_argument("--rate", type=int, default=1_000_000, help="sample rate, Hz per channel")
    ap.add_argument("--channels", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--nfft", type=int, default=1024, help="FFT length (= samples per frame)")
    ap.add_argument("--frames", type=int, default=200, help="frames to average")
    ap.add_argument("-o", "--output", default="spectrum.png")
    a = ap.parse_args(argv)
    db, n = averaged_spectrum(a.spec, a.rate, a.channels, a.nfft, a.frames)
    freqs = np.fft.rfftfreq(a.nfft, 1.0 / a.rate)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for i, c in enumerate(a.channels):
        ax.plot(freqs / 1e3, db[:, i], lw=0.8, label=f"channel {c}")
    ax.set_xlabel("frequency (kHz)")
    ax.set_ylabel("power (dBFS per bin)")
    ax.set_title(f"{a.spec}: {n} frames of {a.nfft} samples averaged")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.output)
    print(f"{a.output}: {n} frames averaged")
    for f, level in peaks(freqs, db[:, 0], 3):
        print(f"peak {f:.0f} Hz {level:.1f} dBFS")
    return 0


def peaks(freqs, db, count):
    """The @count strongest local maxima of @db: (frequency, level), strongest first."""
    inner = np.flatnonzero((db[1:-1] > db[:-2]) & (db[1:-1] >= db[2:])) + 1
    top = inner[np.argsort(db[inner])[::-1][:count]]
    return [(freqs[i], db[i]) for i in top]


if __name__ == "__main__":
    sys.exit(main())
